"""Loads the technology providers' consultation on the draft Toolkit, demo participants and an organiser.

Idempotent: a re-run updates the same rows, keeps every answer, issues fresh invite links (only their hashes are
stored, so the old links stop working) and resets the demo organiser's password so that the printed one works.
"""

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from feedback import demo_translations
from feedback.models import (
    AgendaItem,
    Codebook,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    Theme,
)
from feedback.organising import invitations

SLUG = "tech-providers-2022"
TOOLKIT_CODEBOOK = "Toolkit principles for responsible AI innovation"
ORGANISER_USERNAME = "organiser"
MEETING_TZ = ZoneInfo("Europe/Paris")  # CET in November; INTERPOL's headquarters are in Lyon.

BACKGROUND = """\
Although a promising technology, the use of artificial intelligence (AI) in law enforcement can often be a highly \
sensitive and controversial subject. The absence of specific guidance on the use of AI in law enforcement has placed \
increased value on the need to advance AI governance for law enforcement.

To this end, the INTERPOL Innovation Centre and the Centre for AI and Robotics of the United Nations Interregional \
Crime and Justice Research Institute (UNICRI) undertook to develop a Toolkit for the Responsible AI Innovation in \
Law Enforcement, with the financial support of the European Union.

The objective of the initiative is to fill gaps in terms of guidance and help law enforcement agencies across the \
globe in the development, procurement and deployment of AI in a responsible manner. To do so, the Toolkit will \
include a series of practical and operationally-oriented resources to support law enforcement agencies in adhering \
to the principles for responsible AI innovation, which are drawn from human rights and ethical principles related \
to policing.

With a view toward promoting openness and transparency in the Toolkit development process and ensuring that the \
project is accepted by, and benefits from the insights of all relevant stakeholders, INTERPOL and UNICRI are \
organizing a series of consultations with representatives from law enforcement agencies as well as other important \
stakeholders from industry, academia, judiciary and prosecutors, and human rights experts."""

OBJECTIVE = """\
While law enforcement agencies play a significant role in ensuring the responsible use of AI, in many cases the \
technology being used is developed by other entities. According to a poll conducted by INTERPOL and UNICRI at the \
3rd Global Meeting on AI for Law Enforcement, in approximately 60% of cases, when law enforcement agencies consider \
the application of AI, they will seek to procure tools from technology providers rather than attempt to develop \
capabilities in-house.

In light of the significant role played by technology providers in ensuring responsible AI, this consultation is \
intended to collect their feedback on the guidance contained in the Toolkit. During the consultation, INTERPOL and \
UNICRI will present the aspirations and objectives of the Toolkit at a high-level and describe its various \
resources. This includes aspects such as the principles that should guide the use of the AI technology by law \
enforcement and key considerations for law enforcement to take into account to ensure the implementation of these \
principles, which may impact the decisions taken during the procurement processes. Ultimately, the consultation \
will seek to affirm with technology providers that what is being presented to the law enforcement community \
reflects the perspective of those developing and providing the technology to law enforcement."""

STRUCTURE = """\
The consultation will be structured as a moderated discussion. Participants will first be introduced to the Toolkit \
and its various resources – which will be shared ahead of the meeting for their review. Thereafter, participants \
will have the opportunity to individually share general feedback and discuss freely with the Toolkit team and the \
remaining participants. A series of guiding questions will be posed to frame a group discussion.

This consultation will be limited to representatives of technology providers providing AI-based technologies to law \
enforcement. This includes technology providers developing AI-based tools exclusively for law enforcement use and \
those developing tools for use by law enforcement agencies amongst other clients."""

EXPECTED_OUTCOMES = """\
The meeting is expected to inform the development of the Toolkit in the following manner:
– To gather insights on the best way to reflect the perspectives of technology providers in the Toolkit.
– Expert feedback on the draft resources of the Toolkit will be obtained."""

# The five guiding questions, worded exactly as in the concept note (one bullet each, sub-questions kept).
GUIDING_QUESTIONS = [
    "What are your thoughts on the Toolkit and its resources from the perspective of a technology provider?",
    "Is there anything in the Toolkit that you consider potentially problematic from a technology provider's "
    "perspective? Do you consider the Toolkit could be useful for you as a provider of technology to align your work "
    "with the needs and requirements of law enforcement?",
    "Is responsible AI in law enforcement being considered in your company or organization? And if so, how is it "
    "being addressed? Is the Toolkit consistent with policies, practices or messaging on responsible AI in your "
    "company or organization? Is there anything unique in your approach that is not being considered in the Toolkit?",
    "As a technology provider, have you ever received any requests or questions from law enforcement agencies "
    "concerning responsible use? If so, how were such requests handled?",
    "How can the support of technology providers for initiatives such as the Toolkit be secured?",
]

PRIMARY = Resource.Category.PRIMARY
PRACTICAL = Resource.Category.PRACTICAL
SUPPORTING = Resource.Category.SUPPORTING

# Demo drafts: titles from the Toolkit's public structure; summaries and sections are short stand-ins, not quotations.
RESOURCES = [
    (
        PRIMARY,
        "Introduction to Responsible AI Innovation",
        "What responsible AI innovation means for a law enforcement agency, and how the Toolkit's resources fit "
        "together.",
        [
            (
                "Why responsible AI innovation",
                "The opportunities AI offers policing and the risks it raises for "
                "human rights and public trust.",
            ),
            (
                "The AI life cycle in law enforcement",
                "From identifying a need, through procurement or development, "
                "to deployment, monitoring and retirement.",
            ),
            (
                "How to use the Toolkit",
                "Which resource to read first, and how the practical tools support the guidance documents.",
            ),
        ],
    ),
    (
        PRIMARY,
        "Principles for Responsible AI Innovation",
        "Five core principles and eighteen instrumental principles, drawn from human rights and policing ethics.",
        [
            ("Lawfulness", "Instrumental principles: legitimacy; necessity; proportionality."),
            (
                "Minimization of harm",
                "Instrumental principles: human and environmental well-being; robustness and "
                "safety; accuracy; efficiency.",
            ),
            (
                "Human autonomy",
                "Instrumental principles: human agency; human control and oversight; privacy; "
                "transparency; explainability.",
            ),
            (
                "Fairness",
                "Instrumental principles: equality and non-discrimination; diversity and accessibility; "
                "protection of vulnerable groups; contestability and redress.",
            ),
            ("Good governance", "Instrumental principles: accountability; traceability and auditability."),
        ],
    ),
    (
        PRIMARY,
        "Organizational Roadmap",
        "Steps an agency can take to build the structures, skills and processes that responsible AI needs.",
        [
            (
                "Leadership and strategy",
                "Setting direction, roles and responsibilities for AI in the agency.",
            ),
            (
                "People and skills",
                "Training, multidisciplinary teams and a culture of responsible innovation.",
            ),
            (
                "Processes and oversight",
                "Internal review, external oversight and engagement with communities.",
            ),
        ],
    ),
    (
        PRACTICAL,
        "Organizational Readiness Assessment Questionnaire",
        "A self-assessment of how ready an agency is to adopt AI responsibly.",
        [
            ("How to complete the questionnaire", "Who should answer, and how to read the results."),
            ("Readiness dimensions", "Governance, data, infrastructure, skills and stakeholder engagement."),
            ("Interpreting the results", "Turning the readiness profile into priorities for the roadmap."),
        ],
    ),
    (
        PRACTICAL,
        "Risk Assessment Questionnaire",
        "A structured way to identify and weigh the risks of a specific AI system before and during its use.",
        [
            ("Scope of the assessment", "Which systems and uses should be assessed, and when."),
            ("Risk factors", "Likelihood and severity of harm to individuals, groups and the agency."),
            ("Mitigation and review", "Measures to reduce risk and when to assess again."),
        ],
    ),
    (
        PRACTICAL,
        "Responsible AI Innovation in Action Workbook",
        "Worked exercises that apply the principles to realistic law enforcement scenarios.",
        [
            ("Using the workbook", "How teams can work through the exercises together."),
            (
                "Scenario exercises",
                "Applying the principles to procurement, deployment and monitoring decisions.",
            ),
            ("Recording decisions", "Documenting choices so that they can be explained and audited."),
        ],
    ),
    (
        SUPPORTING,
        "Technical Reference Book",
        "Background on AI techniques and their characteristics for non-specialist readers in law enforcement.",
        [
            ("Core AI concepts", "Machine learning, data, models and evaluation in plain terms."),
            ("Common law enforcement applications", "Typical uses and their technical limitations."),
            ("Questions to ask technology providers", "Technical points to raise during procurement."),
        ],
    ),
]

PARTICIPANTS = [
    {
        "email": "amira.haddad@sentinel-forensics.example",
        "name": "Amira Haddad",
        "organisation": "Sentinel Forensics",
        "role": "Head of Responsible AI",
        "organisation_type": Participant.OrganisationType.PROVIDER_LE_ONLY,
        "country": "GB",
    },
    {
        "email": "jonas.weber@northbridge-cloud.example",
        "name": "Jonas Weber",
        "organisation": "Northbridge Cloud Systems",
        "role": "Director, Public Safety Solutions",
        "organisation_type": Participant.OrganisationType.PROVIDER_MIXED,
        "country": "DE",
    },
    {
        "email": "lucia.fernandez@veritas-vision.example",
        "name": "Lucía Fernández",
        "organisation": "Veritas Vision (start-up)",
        "role": "Co-founder and CTO",
        "organisation_type": Participant.OrganisationType.PROVIDER_MIXED,
        "country": "ES",
        # Her pages and emails are in Spanish from the first visit; the others follow their browser.
        "language": "es",
    },
]


class Command(BaseCommand):
    help = (
        "Load the demo consultation with technology providers; print invite links and the organiser's login."
    )

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            consultation = self.load_consultation()
            self.load_resources(consultation)
            self.load_questions(consultation)
            self.load_translations(consultation)
            self.load_agenda(consultation)
            participants = self.load_participants(consultation)
            urls = [invitations.issue_invite(participant=p) for p in participants]
            password = self.load_organiser()
            # Production-like settings ask the admin for a second factor: give the demo organiser an authenticator.
            totp_url = self.load_organiser_totp() if settings.ADMIN_REQUIRE_2FA else None
        for url in urls:
            self.stdout.write(f"invite: {url}")
        self.stdout.write(f"organiser: {ORGANISER_USERNAME} {password}")
        if totp_url:
            self.stdout.write(f"organiser-totp: {totp_url}")

    def load_consultation(self) -> Consultation:
        # The meeting keeps the note's date; the demo's feedback window runs four weeks from today so it can be tried.
        today = timezone.localdate(timezone=MEETING_TZ)
        opens_at = datetime.combine(today, time.min, tzinfo=MEETING_TZ)
        closes_at = datetime.combine(today + timedelta(days=28), time(23, 59), tzinfo=MEETING_TZ)
        consultation, _created = Consultation.objects.update_or_create(
            slug=SLUG,
            defaults={
                "title": "Stakeholder consultation session with technology providers",
                "stakeholder_group": "Technology providers",
                "summary": "Toolkit for Responsible Artificial Intelligence (AI) Innovation in Law Enforcement: "
                "feedback from technology providers on the draft resources.",
                "background": BACKGROUND,
                "objective": OBJECTIVE,
                "structure": STRUCTURE,
                "expected_outcomes": EXPECTED_OUTCOMES,
                "meeting_starts_at": datetime(2022, 11, 3, 13, 0, tzinfo=MEETING_TZ),
                "meeting_ends_at": datetime(2022, 11, 3, 14, 30, tzinfo=MEETING_TZ),
                "time_zone": "Europe/Paris",
                "opens_at": opens_at,
                "closes_at": closes_at,
                "window_note": "This is a demonstration. The online meeting took place on 3 November 2022; so that "
                "the demo can be tried, written feedback opens on the day the demo data was loaded and stays open "
                "for four weeks.",
                "confidentiality": "INTERPOL For official use only",
                "contact_email": "toolkit-consultation@example.org",
                # A placeholder: the organisers paste the real Teams, Zoom or Webex link.
                "join_url": "https://meeting.example.org/join/tech-providers-2022",
                "is_published": True,
                # Loaded by migration 0007: the Toolkit's principles as the code book for the series.
                "codebook": Codebook.objects.filter(name=TOOLKIT_CODEBOOK).first(),
            },
        )
        return consultation

    def load_resources(self, consultation: Consultation) -> None:
        for position, (category, title, summary, sections) in enumerate(RESOURCES, start=1):
            resource, _created = Resource.objects.update_or_create(
                title=title, version_label="Draft", defaults={"category": category, "summary": summary}
            )
            version = resource.latest_version()
            for number, (heading, body) in enumerate(sections, start=1):
                section, _created = resource.sections.update_or_create(
                    version=version,
                    position=number,
                    defaults={"heading": heading, "body": body, "number": str(number)},
                )
                # Numbered paragraphs, as an imported draft has: one per blank-line-separated block.
                for paragraph_number, text in enumerate(body.split("\n\n"), start=1):
                    section.paragraphs.update_or_create(number=paragraph_number, defaults={"text": text.strip()})
            ConsultationResource.objects.update_or_create(
                consultation=consultation, resource=resource, defaults={"position": position}
            )

    def load_questions(self, consultation: Consultation) -> None:
        for number, text in enumerate(GUIDING_QUESTIONS, start=1):
            Question.objects.update_or_create(
                consultation=consultation,
                number=number,
                defaults={"text": text, "kind": Question.Kind.LONG_TEXT, "is_required": number == 1},
            )

    def load_agenda(self, consultation: Consultation) -> None:
        """The concept note's 90 minutes: the Toolkit presented, individual feedback, then a group discussion
        framed by the five guiding questions."""
        items = [
            ("Welcome and introductions", 5, None),
            ("Presentation of the Toolkit and its resources", 20, None),
            ("Individual feedback from participants", 20, None),
            *((f"Group discussion: guiding question {number}", 8, number) for number in range(1, 6)),
            ("Closing and next steps", 5, None),
        ]
        for position, (title, minutes, number) in enumerate(items, start=1):
            AgendaItem.objects.update_or_create(
                consultation=consultation,
                position=position,
                defaults={
                    "title": title,
                    "planned_minutes": minutes,
                    "question": consultation.questions.get(number=number) if number else None,
                },
            )

    def load_translations(self, consultation: Consultation) -> None:
        """The demo's French, Spanish and Arabic content; whatever a language lacks shows in English."""
        for language in demo_translations.LANGUAGES:
            module = demo_translations.load(language)
            if module is None:
                continue
            for field, text in getattr(module, "CONSULTATION", {}).items():
                setattr(consultation, f"{field}_{language}", text)
            consultation.save()
            for number, text in getattr(module, "QUESTIONS", {}).items():
                consultation.questions.filter(number=number).update(**{f"text_{language}": text})
            for english_title, (title, summary, headings) in getattr(module, "RESOURCES", {}).items():
                resource = Resource.objects.filter(title_en=english_title, version_label="Draft").first()
                if resource is None:
                    continue
                setattr(resource, f"title_{language}", title)
                setattr(resource, f"summary_{language}", summary)
                resource.save()
                for position, heading in enumerate(headings, start=1):
                    resource.sections.filter(position=position).update(**{f"heading_{language}": heading})
            for code, (name, description) in getattr(module, "THEMES", {}).items():
                Theme.objects.filter(codebook__name=TOOLKIT_CODEBOOK, code=code).update(
                    **{f"name_{language}": name, f"description_{language}": description}
                )

    def load_participants(self, consultation: Consultation) -> list[Participant]:
        participants = []
        for data in PARTICIPANTS:
            # get_or_create: a re-run must not overwrite what the participant changed in their profile.
            participant, _created = Participant.objects.get_or_create(
                consultation=consultation,
                email=data["email"],
                defaults={key: value for key, value in data.items() if key != "email"},
            )
            if participant.is_revoked:
                participant.is_revoked = False
                participant.save(update_fields=["is_revoked"])
            participants.append(participant)
        return participants

    def load_organiser(self) -> str:
        password = secrets.token_urlsafe(12)
        user, _created = User.objects.get_or_create(
            username=ORGANISER_USERNAME, defaults={"email": "organiser@example.org", "first_name": "Demo"}
        )
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name="Organiser"))
        return password

    def load_organiser_totp(self) -> str:
        # Kept across re-runs, so an authenticator app set up from an earlier run goes on working.
        device, _created = TOTPDevice.objects.get_or_create(
            user=User.objects.get(username=ORGANISER_USERNAME),
            name="Demo authenticator",
            defaults={"confirmed": True},
        )
        return device.config_url
