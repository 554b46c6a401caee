"""The demo data: the concept note's consultation, loaded as many times as anyone likes."""

import re
from io import StringIO
from zoneinfo import ZoneInfo

from django.contrib.auth import authenticate
from django.core.management import call_command

from feedback.models import Consultation, Participant, Question, Resource, ResourceSection


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_loads_the_concept_note(db):
    seed()

    consultation = Consultation.objects.get()
    meeting = consultation.meeting_starts_at.astimezone(ZoneInfo(consultation.time_zone))
    assert (meeting.year, meeting.month, meeting.day, meeting.hour, meeting.minute) == (2022, 11, 3, 13, 0)
    assert meeting.tzname() == "CET"
    assert consultation.meeting_ends_at.astimezone(meeting.tzinfo).strftime("%H:%M") == "14:30"
    assert consultation.is_open()
    assert "Centre for AI and Robotics" in consultation.background
    assert "60% of cases" in consultation.objective
    assert "moderated discussion" in consultation.structure
    assert "Expert feedback on the draft resources" in consultation.expected_outcomes
    assert "3 November 2022" in consultation.window_note


def test_seed_demo_has_the_five_guiding_questions_word_for_word(db):
    seed()

    texts = list(Question.objects.order_by("number").values_list("text", flat=True))
    assert len(texts) == 5
    assert texts[0] == (
        "What are your thoughts on the Toolkit and its resources from the perspective of a technology provider?"
    )
    assert texts[2].endswith(
        "Is there anything unique in your approach that is not being considered in the Toolkit?"
    )
    assert (
        texts[4]
        == "How can the support of technology providers for initiatives such as the Toolkit be secured?"
    )


def test_seed_demo_has_seven_draft_resources_with_sections(db):
    seed()

    assert Resource.objects.count() == 7
    assert set(Resource.objects.values_list("category", flat=True)) == {"primary", "practical", "supporting"}
    assert all(r.sections.count() >= 3 for r in Resource.objects.all())
    assert Consultation.objects.get().resources.count() == 7


def test_seed_demo_prints_working_invites_and_organiser_login(client, db):
    output = seed()

    invites = re.findall(r"^invite: (http://\S+/i/(\S+)/)$", output, re.M)
    assert len(invites) == 3
    for _url, token in invites:
        assert Participant.objects.by_token(token).exists()
        assert client.get(f"/i/{token}/").status_code == 200
    username, password = re.search(r"^organiser: (\S+) (\S+)$", output, re.M).groups()
    assert authenticate(username=username, password=password).is_staff


def test_seed_demo_participants_come_from_different_kinds_of_provider(db):
    seed()

    assert Participant.objects.count() == 3
    assert len(set(Participant.objects.values_list("organisation_type", flat=True))) >= 2
    assert len(set(Participant.objects.values_list("organisation", flat=True))) == 3


def test_seed_demo_runs_again_without_duplicating_or_losing_answers(client, db):
    first = seed()
    token = re.search(r"/i/(\S+)/", first).group(1)
    client.post(f"/i/{token}/")
    participant = Participant.objects.by_token(token).get()
    participant.attribution = "named"
    participant.save()

    second = seed()

    counts = (
        Consultation.objects.count(),
        Resource.objects.count(),
        ResourceSection.objects.count(),
        Question.objects.count(),
        Participant.objects.count(),
    )
    assert counts == (1, 7, 23, 5, 3)
    participant.refresh_from_db()
    assert participant.attribution == "named"
    username, password = re.search(r"^organiser: (\S+) (\S+)$", second, re.M).groups()
    assert authenticate(username=username, password=password) is not None
    new_token = re.search(r"/i/(\S+)/", second).group(1)
    assert client.get(f"/i/{new_token}/").status_code == 200


def test_seed_demo_codes_the_consultation_with_the_toolkit_principles(db):
    seed()

    assert Consultation.objects.get().codebook.themes.count() == 23


def test_seed_demo_gives_every_section_two_to_four_numbered_paragraphs(db):
    from feedback.models import ResourceParagraph

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    sections = ResourceSection.objects.filter(resource__version_label="Draft")
    assert sections.count() == 23
    for section in sections:
        assert 2 <= section.paragraphs.count() <= 4, section
    assert ResourceParagraph.objects.filter(text="").count() == 0


def test_demo_has_the_concept_notes_agenda_and_a_join_link(db):
    call_command("seed_demo", stdout=StringIO())
    consultation = Consultation.objects.get(slug="tech-providers-2022")
    items = list(consultation.agenda_items.order_by("position"))
    assert sum(item.planned_minutes for item in items) == 90
    assert [item.question.number for item in items if item.question] == [1, 2, 3, 4, 5]
    assert consultation.join_url.startswith("https://")
