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
    touch_consultations,
    touch_resource_consultations,
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

# Demo drafts: titles from the Toolkit's public structure; summaries and sections are short stand-ins written for the
# demo, not quotations. Each section's text is split into numbered paragraphs at blank lines.
RESOURCES = [
    (
        PRIMARY,
        "Introduction to Responsible AI Innovation",
        "What responsible AI innovation means for a law enforcement agency, and how the Toolkit's resources fit "
        "together.",
        [
            (
                "Why responsible AI innovation",
                "AI systems can help an agency sift large volumes of data, spot patterns and free officers for work "
                "that needs human judgement.\n\n"
                "The same systems can also intrude on privacy, repeat the biases of the data they learn from and "
                "make decisions that are hard to explain to the people affected.\n\n"
                "Responsible innovation means weighing both sides from the start, so that public trust and human "
                "rights are protected while the benefits are pursued.",
            ),
            (
                "The AI life cycle in law enforcement",
                "An AI system passes through stages: identifying a need, procuring or developing the system, "
                "deploying it, monitoring it in use and eventually retiring it.\n\n"
                "Each stage raises its own questions, and decisions taken early, such as which data to use, "
                "shape what is possible later.\n\n"
                "Agencies should revisit their assessment whenever the system, its data or the way it is used "
                "changes.",
            ),
            (
                "How to use the Toolkit",
                "Readers new to the subject may start with this introduction and the principles, then turn to the "
                "roadmap.\n\n"
                "The practical tools (the questionnaires and the workbook) help teams apply the guidance to a "
                "specific agency or system.",
            ),
        ],
    ),
    (
        PRIMARY,
        "Principles for Responsible AI Innovation",
        "Five core principles and eighteen instrumental principles, drawn from human rights and policing ethics.",
        [
            (
                "Lawfulness",
                "Instrumental principles: legitimacy; necessity; proportionality.\n\n"
                "An agency uses an AI system only for a lawful aim that is stated before the system is used.\n\n"
                "The system is used only where less intrusive means would not achieve that aim, and only to the "
                "extent the aim requires.",
            ),
            (
                "Minimization of harm",
                "Instrumental principles: human and environmental well-being; robustness and safety; accuracy; "
                "efficiency.\n\n"
                "Before deployment, the agency checks that the system performs reliably in the conditions where it "
                "will be used, not only in the laboratory.\n\n"
                "Errors are recorded and reviewed, and the agency is ready to suspend a system that causes harm.",
            ),
            (
                "Human autonomy",
                "Instrumental principles: human agency; human control and oversight; privacy; transparency; "
                "explainability.\n\n"
                "A person remains responsible for every decision that affects someone's rights, and can question or "
                "override the system's output.\n\n"
                "People affected by a system can learn that it is used and, as far as possible, how it reached a "
                "result.",
            ),
            (
                "Fairness",
                "Instrumental principles: equality and non-discrimination; diversity and accessibility; protection "
                "of vulnerable groups; contestability and redress.\n\n"
                "The agency tests whether the system performs differently for different groups and corrects the "
                "differences it finds.\n\n"
                "Anyone affected by a decision supported by AI has a clear way to challenge it and to obtain "
                "redress.",
            ),
            (
                "Good governance",
                "Instrumental principles: accountability; traceability and auditability.\n\n"
                "Roles and responsibilities for each system are assigned and documented.\n\n"
                "Records of data, versions and decisions are kept so that an independent body can audit the "
                "system's use.",
            ),
        ],
    ),
    (
        PRIMARY,
        "Organizational Roadmap",
        "Steps an agency can take to build the structures, skills and processes that responsible AI needs.",
        [
            (
                "Leadership and strategy",
                "Senior leaders set out why the agency uses AI, which uses it will not consider and who decides.\n\n"
                "A named person or board is accountable for the agency's AI portfolio as a whole.",
            ),
            (
                "People and skills",
                "Officers who use AI outputs are trained to understand their limits, not only to operate the "
                "tools.\n\n"
                "Teams that select or build systems bring together operational, technical, legal and ethical "
                "expertise.\n\n"
                "The agency encourages staff to report concerns about a system without fear of blame.",
            ),
            (
                "Processes and oversight",
                "Each new use of AI goes through an internal review before it starts.\n\n"
                "External oversight bodies and the communities served are consulted on uses with a high impact.",
            ),
        ],
    ),
    (
        PRACTICAL,
        "Organizational Readiness Assessment Questionnaire",
        "A self-assessment of how ready an agency is to adopt AI responsibly.",
        [
            (
                "How to complete the questionnaire",
                "The questionnaire is best answered by a small group drawn from different parts of the agency.\n\n"
                "Answers should describe current practice honestly rather than plans or intentions.",
            ),
            (
                "Readiness dimensions",
                "Governance: whether decision-making and accountability for AI are defined.\n\n"
                "Data and infrastructure: whether the agency's data is of known quality and held securely.\n\n"
                "Skills and engagement: whether staff have the knowledge needed and the public is involved.",
            ),
            (
                "Interpreting the results",
                "The results form a profile of strengths and gaps rather than a single score.\n\n"
                "The largest gaps become priorities in the agency's roadmap, with a date to assess again.",
            ),
        ],
    ),
    (
        PRACTICAL,
        "Risk Assessment Questionnaire",
        "A structured way to identify and weigh the risks of a specific AI system before and during its use.",
        [
            (
                "Scope of the assessment",
                "Every system that informs decisions about people should be assessed, whether it is bought, built "
                "or provided free of charge.\n\n"
                "The assessment is done before deployment and repeated when the system or its use changes.",
            ),
            (
                "Risk factors",
                "For each risk, the team estimates how likely harm is and how severe it would be.\n\n"
                "Harms to individuals, to particular groups and to the agency's legitimacy are considered "
                "separately.\n\n"
                "Risks that cannot be estimated for lack of information are recorded as such, not ignored.",
            ),
            (
                "Mitigation and review",
                "Each significant risk is matched with a measure that reduces it and a person responsible for "
                "it.\n\n"
                "Risks that remain high after mitigation are escalated to the decision-maker named in the "
                "roadmap.",
            ),
        ],
    ),
    (
        PRACTICAL,
        "Responsible AI Innovation in Action Workbook",
        "Worked exercises that apply the principles to realistic law enforcement scenarios.",
        [
            (
                "Using the workbook",
                "The exercises are designed for mixed teams working through them together over a few "
                "sessions.\n\n"
                "There are no model answers: the value lies in the discussion and the reasons recorded.",
            ),
            (
                "Scenario exercises",
                "A fictional agency considers buying a tool that ranks incoming reports by urgency.\n\n"
                "Teams identify which principles are engaged at procurement, at deployment and after six months "
                "of use.\n\n"
                "A second scenario follows a system whose accuracy drops after a change in the data it receives.",
            ),
            (
                "Recording decisions",
                "Teams note each decision, the options considered and why one was chosen.\n\n"
                "These records help explain the agency's choices to oversight bodies and to the public.",
            ),
        ],
    ),
    (
        SUPPORTING,
        "Technical Reference Book",
        "Background on AI techniques and their characteristics for non-specialist readers in law enforcement.",
        [
            (
                "Core AI concepts",
                "Machine learning systems learn patterns from examples instead of following rules written by "
                "hand.\n\n"
                "A model is only as good as the data it learned from and the way its performance was measured.\n\n"
                "Evaluation on data that resembles real use is essential before relying on a model.",
            ),
            (
                "Common law enforcement applications",
                "Typical uses include analysing images and video, transcribing and translating speech, and "
                "searching large document collections.\n\n"
                "Each application has known technical limits, such as lower accuracy on poor-quality images.",
            ),
            (
                "Questions to ask technology providers",
                "How was the system tested, on which data, and with what results for different groups?\n\n"
                "What records does the system keep, and can the agency audit them independently?\n\n"
                "How will updates be announced, and what happens to the agency's data if the contract ends?",
            ),
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
                    section.paragraphs.update_or_create(
                        number=paragraph_number, defaults={"text": text.strip()}
                    )
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
            # update() sends no signal: say that the participants' pages change.
            touch_consultations([consultation.pk])
            for english_title, (title, summary, headings) in getattr(module, "RESOURCES", {}).items():
                resource = Resource.objects.filter(title_en=english_title, version_label="Draft").first()
                if resource is None:
                    continue
                setattr(resource, f"title_{language}", title)
                setattr(resource, f"summary_{language}", summary)
                resource.save()
                for position, heading in enumerate(headings, start=1):
                    resource.sections.filter(position=position).update(**{f"heading_{language}": heading})
                touch_resource_consultations([resource.pk])
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
