"""A participant's whole journey in Chromium, at desktop and phone width, with axe on every page."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from feedback.models import (
    Answer,
    Comment,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    Response,
)
from tests.browser.conftest import axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def invite_url(live_server) -> str:
    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Technology providers' consultation",
        slug="tech",
        stakeholder_group="Technology providers",
        background="Why we consult.",
        meeting_starts_at=datetime(2022, 11, 3, 13, 0, tzinfo=ZoneInfo("Europe/Paris")),
        meeting_ends_at=datetime(2022, 11, 3, 14, 30, tzinfo=ZoneInfo("Europe/Paris")),
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
    )
    kinds = [
        {"kind": "long_text", "text": "What are your thoughts on the Toolkit?", "is_required": True},
        {"kind": "short_text", "text": "In one line, your main concern?"},
        {
            "kind": "scale",
            "text": "How useful is the Toolkit?",
            "scale_min_label": "Not useful",
            "scale_max_label": "Very useful",
        },
        {"kind": "single_choice", "text": "Which resource matters most?", "choices": "Principles\nRoadmap"},
        {
            "kind": "multiple_choice",
            "text": "Which parts did you read?",
            "choices": "Principles\nRoadmap\nWorkbook",
        },
        {"kind": "yes_no", "text": "Would you use it with clients?"},
    ]
    for number, fields in enumerate(kinds, start=1):
        Question.objects.create(consultation=consultation, number=number, **fields)
    resource = Resource.objects.create(title="Principles for Responsible AI Innovation", category="primary")
    resource.sections.create(position=1, heading="Lawfulness", body="Legitimacy; necessity; proportionality.")
    resource.sections.create(position=2, heading="Fairness", body="Equality and non-discrimination.")
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
    participant = Participant(consultation=consultation, name="Amira Haddad", email="amira@example.org")
    token = participant.issue_token()
    participant.save()
    return f"{live_server.url}/i/{token}/"


def assert_accessible(page: Page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


def test_a_participant_answers_every_kind_of_question_submits_and_edits(page: Page, invite_url: str):
    page.goto(invite_url)
    assert_accessible(page, "1-invite")
    page.get_by_role("button", name="Continue to the consultation").click()

    expect(page).to_have_url(invite_url.split("/i/")[0] + "/c/tech/profile/")
    assert "/i/" not in page.url
    assert_accessible(page, "2-profile")
    page.locator("#id_organisation").fill("Sentinel Forensics")
    page.locator("#id_role").fill("Head of Responsible AI")
    page.locator("#id_organisation_type").select_option("provider_le_only")
    page.locator("#id_country").select_option("GB")
    page.get_by_label("Unattributed (Chatham House rule)").check()
    page.get_by_label("I agree that the organisers record my feedback").check()
    page.get_by_role("button", name="Save and continue to the questions").click()

    expect(page).to_have_url(invite_url.split("/i/")[0] + "/c/tech/questions/")
    page.locator("#id_q1").fill("Useful, but the procurement checklist should ask for model cards.")
    page.locator("#id_q2").fill("Vendor lock-in")
    page.locator("#id_q3_4").check()
    page.get_by_label("Roadmap").first.check()
    page.locator("#id_q5_0").check()
    page.locator("#id_q5_2").check()
    page.locator("#id_q6_2").check()
    assert_accessible(page, "3-questions")
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_text("Your answers were saved at")).to_be_visible()

    page.reload()
    expect(page.locator("#id_q1")).to_have_value(
        "Useful, but the procurement checklist should ask for model cards."
    )
    expect(page.locator("#id_q3_4")).to_be_checked()
    expect(page.locator("#id_q5_2")).to_be_checked()

    page.get_by_role("link", name="3. Review and submit").click()
    assert_accessible(page, "4-review")
    expect(page.get_by_text("Vendor lock-in")).to_be_visible()
    page.get_by_role("button", name="Submit my feedback").click()

    expect(page.get_by_role("heading", name="Receipt of your feedback")).to_be_visible()
    assert_accessible(page, "5-receipt")
    response = Response.objects.get(participant__email="amira@example.org")
    assert response.status == Response.Status.SUBMITTED

    page.get_by_role("link", name="2. Questions").click()
    page.locator("#id_q2").fill("Vendor lock-in and audit access")
    page.get_by_role("button", name="Save answers").click()
    page.goto(page.url.replace("/questions/", "/receipt/"))
    expect(page.get_by_text("Vendor lock-in and audit access")).to_be_visible()
    stored = {a.question.number: (a.text, a.selected) for a in Answer.objects.select_related("question")}
    assert stored == {
        1: ("Useful, but the procurement checklist should ask for model cards.", []),
        2: ("Vendor lock-in and audit access", []),
        3: ("", ["5"]),
        4: ("", ["Roadmap"]),
        5: ("", ["Principles", "Workbook"]),
        6: ("", ["unsure"]),
    }


def test_the_consultation_home_is_accessible_and_shows_the_meeting(page: Page, invite_url: str):
    page.goto(invite_url)
    page.get_by_role("button", name="Continue to the consultation").click()
    page.goto(page.url.replace("/profile/", "/"))

    expect(page.get_by_text("3 November 2022, 13:00")).to_be_visible()
    expect(page.get_by_role("note").first).to_have_text("For official use only")
    assert_accessible(page, "0-home")


def confirm_invitation_and_profile(page: Page, invite_url: str) -> str:
    """Open the invitation and confirm the profile; returns the consultation's base URL."""
    page.goto(invite_url)
    page.get_by_role("button", name="Continue to the consultation").click()
    page.locator("#id_organisation").fill("Sentinel Forensics")
    page.locator("#id_role").fill("Head of Responsible AI")
    page.locator("#id_organisation_type").select_option("provider_mixed")
    page.locator("#id_country").select_option("FR")
    page.get_by_label("Named: my name and organisation may be quoted").check()
    page.get_by_label("I agree that the organisers record my feedback").check()
    page.get_by_role("button", name="Save and continue to the questions").click()
    expect(page).to_have_url(invite_url.split("/i/")[0] + "/c/tech/questions/")
    return invite_url.split("/i/")[0] + "/c/tech/"


def test_answers_save_themselves_and_survive_a_reload(page: Page, invite_url: str):
    base = confirm_invitation_and_profile(page, invite_url)

    page.locator("#id_q1").fill("Typed, never saved by hand.")
    expect(page.locator("#id_q1-status")).to_contain_text("Saved at")
    page.locator("#id_q6_0").check()
    expect(page.locator("#id_q6-status")).to_contain_text("Saved at")
    expect(page.locator("#id_q1-counter")).to_contain_text("27 of 5,000 characters")
    screenshot(page, "6-autosaved")

    page.goto(base + "questions/")
    expect(page.locator("#id_q1")).to_have_value("Typed, never saved by hand.")
    expect(page.locator("#id_q6_0")).to_be_checked()
    assert Answer.objects.get(question__number=1).text == "Typed, never saved by hand."


def test_a_participant_comments_on_one_section_and_sees_it_in_the_review(page: Page, invite_url: str):
    base = confirm_invitation_and_profile(page, invite_url)
    page.goto(base)
    page.get_by_role("link", name="Principles for Responsible AI Innovation").click()
    assert_accessible(page, "7-resource")

    page.locator("#new-comment-section-2").get_by_label("Your comment").fill(
        "Add contestability for automated alerts."
    )
    page.locator("#section-2").get_by_role("button", name="Save comment").click()

    expect(page.get_by_text("Your comment was saved at")).to_be_visible()
    expect(page.locator("#section-2 .own-comment .answer-text")).to_have_text(
        "Add contestability for automated alerts."
    )
    comment = Comment.objects.get()
    assert (comment.section.heading, comment.text) == ("Fairness", "Add contestability for automated alerts.")
    page.goto(base + "review/")
    expect(page.get_by_text("Add contestability for automated alerts.")).to_be_visible()
    assert_accessible(page, "8-review-with-comment")


def test_the_questions_can_be_answered_with_the_keyboard_alone(page: Page, invite_url: str):
    base = confirm_invitation_and_profile(page, invite_url)
    page.goto(base + "questions/")

    page.locator("#id_q1").focus()
    page.keyboard.type("Typed with the keyboard.")
    page.keyboard.press("Tab")  # to question 2
    page.keyboard.type("Short")
    page.keyboard.press("Tab")  # into the scale's radio group
    page.keyboard.press("ArrowDown")  # from 1 to 2
    page.keyboard.press("ArrowDown")  # to 3
    page.locator("button:has-text('Save answers')").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Your answers were saved at")).to_be_visible()
    assert Answer.objects.get(question__number=1).text == "Typed with the keyboard."
    assert Answer.objects.get(question__number=3).selected == ["3"]
