"""The participant's pages: profile and consent, answering, review, submit, receipt, the deadline."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from feedback.models import Answer, Participant, Question, Response
from tests.conftest import answer

PROFILE = {
    "name": "Alice Martin",
    "organisation": "Sentinel Analytics",
    "role": "Head of product",
    "organisation_type": "provider_le_only",
    "country": "FR",
    "attribution": "unattributed",
    "conflict_of_interest": "None",
    "consent": "on",
}


def close_window(consultation):
    consultation.opens_at = timezone.now() - timedelta(days=30)
    consultation.closes_at = timezone.now() - timedelta(days=1)
    consultation.save()


def test_consultation_home_shows_the_meeting_in_its_time_zone_and_progress(alice_client, questions, resource):
    answer(Participant.objects.get(name="Alice Martin"), questions[0], "Thoughts")

    page = alice_client.get("/c/tech-providers/").content.decode()

    assert "3 November 2022, 13:00" in page
    assert "14:30" in page and "CET" in page
    assert "1 of 2 guiding questions answered" in page
    assert "Principles for Responsible AI Innovation" in page
    assert "For official use only" in page


def test_pages_of_a_consultation_need_a_bound_session(client, alice, questions):
    for path in (
        "/c/tech-providers/",
        "/c/tech-providers/profile/",
        "/c/tech-providers/questions/",
        "/c/tech-providers/review/",
        "/c/tech-providers/receipt/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post("/c/tech-providers/submit/").status_code == 404


def test_participant_cannot_open_another_consultation(alice_client, other_consultation, carol):
    assert alice_client.get("/c/academia/").status_code == 404
    assert alice_client.get("/c/academia/questions/").status_code == 404


def test_participant_cannot_read_another_response(alice_client, alice, bob, questions):
    answer(bob, questions[0], "Bob's confidential view")

    for path in ("/c/tech-providers/questions/", "/c/tech-providers/review/"):
        assert "Bob&#x27;s confidential view" not in alice_client.get(path).content.decode()
        assert "Bob Okafor" not in alice_client.get(path).content.decode()


def test_resource_page_shows_sections_only_for_resources_of_the_consultation(alice_client, resource):
    page = alice_client.get(f"/c/tech-providers/resources/{resource.pk}/")
    assert page.status_code == 200
    assert "Core principles" in page.content.decode()

    from feedback.models import Resource

    elsewhere = Resource.objects.create(title="Unlinked", category="primary")
    assert alice_client.get(f"/c/tech-providers/resources/{elsewhere.pk}/").status_code == 404


def test_profile_saves_details_attribution_and_consent_time(alice_client, alice):
    response = alice_client.post("/c/tech-providers/profile/", PROFILE)

    assert response.status_code == 302
    assert response["Location"] == "/c/tech-providers/questions/"
    alice.refresh_from_db()
    assert alice.attribution == Participant.Attribution.UNATTRIBUTED
    assert alice.conflict_of_interest == "None"
    assert alice.consented_at is not None


def test_profile_without_consent_or_attribution_is_refused_with_a_message(alice_client, alice):
    data = {**PROFILE, "attribution": ""}
    del data["consent"]

    response = alice_client.post("/c/tech-providers/profile/", data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved yet" in page
    assert page.count("This field is required") == 2
    alice.refresh_from_db()
    assert alice.attribution == Participant.Attribution.ORGANISATION


def test_profile_ignores_fields_the_participant_may_not_set(alice_client, alice):
    alice_client.post(
        "/c/tech-providers/profile/",
        {**PROFILE, "email": "evil@example.org", "is_revoked": "on", "pseudonym": "P-HACKED"},
    )
    alice.refresh_from_db()
    assert alice.email == "alice@example.org"
    assert not alice.is_revoked
    assert alice.pseudonym != "P-HACKED"


def test_questions_page_requires_a_confirmed_profile(client, consultation, questions):
    participant = Participant(consultation=consultation, name="New", email="new@example.org")
    token = participant.issue_token()
    participant.save()
    client.post(f"/i/{token}/")

    assert client.get("/c/tech-providers/questions/")["Location"] == "/c/tech-providers/profile/"


def test_saving_answers_keeps_a_draft_and_shows_it_again(alice_client, alice, questions):
    response = alice_client.post(
        "/c/tech-providers/questions/", {"q1": 'First draft, with "quotes"', "q2": ""}
    )

    assert response.status_code == 302
    saved = Answer.objects.get(response__participant=alice, question=questions[0])
    assert saved.text == 'First draft, with "quotes"'
    assert saved.status == Answer.Status.PENDING
    assert not Answer.objects.filter(question=questions[1]).exists()
    assert Response.objects.get(participant=alice).status == Response.Status.DRAFT
    page = alice_client.get("/c/tech-providers/questions/").content.decode()
    assert "First draft, with &quot;quotes&quot;" in page
    assert "Your answers were saved at" in page


def test_saving_again_updates_the_same_answer(alice_client, alice, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "One", "q2": "Two"})
    alice_client.post("/c/tech-providers/questions/", {"q1": "One, revised", "q2": "Two"})

    assert Answer.objects.filter(response__participant=alice).count() == 2
    assert Answer.objects.get(question=questions[0]).text == "One, revised"


def test_an_answer_over_the_character_limit_is_refused_and_nothing_saved(alice_client, alice, questions):
    questions[1].max_length = 10
    questions[1].save()
    alice_client.post("/c/tech-providers/questions/", {"q1": "Kept", "q2": ""})

    response = alice_client.post("/c/tech-providers/questions/", {"q1": "Changed", "q2": "x" * 11})

    page = response.content.decode()
    assert response.status_code == 200
    assert "at most 10 characters" in page
    assert "Nothing was saved from this page" in page
    assert "Changed" in page  # what was typed is still in the form
    assert Answer.objects.get(question=questions[0]).text == "Kept"


@pytest.mark.parametrize(
    ("kind", "extra", "posted", "stored"),
    [
        (Question.Kind.SHORT_TEXT, {}, "Short", ("Short", [])),
        (
            Question.Kind.SCALE,
            {"scale_min_label": "Not useful", "scale_max_label": "Very useful"},
            "4",
            ("", ["4"]),
        ),
        (Question.Kind.SINGLE_CHOICE, {"choices": "Yes\nNo"}, "No", ("", ["No"])),
        (Question.Kind.MULTIPLE_CHOICE, {"choices": "A\nB\nC"}, ["A", "C"], ("", ["A", "C"])),
        (Question.Kind.YES_NO, {}, "unsure", ("", ["unsure"])),
    ],
)
def test_every_answer_kind_is_saved_and_shown_again(
    alice_client, alice, consultation, kind, extra, posted, stored
):
    question = Question.objects.create(consultation=consultation, number=9, text="Kinds", kind=kind, **extra)

    alice_client.post("/c/tech-providers/questions/", {"q9": posted})

    saved = Answer.objects.get(question=question)
    assert (saved.text, saved.selected) == stored
    assert alice_client.get("/c/tech-providers/questions/").status_code == 200


def test_a_choice_that_is_not_offered_is_refused(alice_client, alice, consultation):
    Question.objects.create(
        consultation=consultation, number=9, text="Pick", kind="single_choice", choices="A\nB"
    )

    response = alice_client.post("/c/tech-providers/questions/", {"q9": "Z"})

    assert "Select a valid choice" in response.content.decode()
    assert not Answer.objects.exists()


def test_review_names_required_questions_left_empty(alice_client, alice, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "", "q2": "Only the second"})

    page = alice_client.get("/c/tech-providers/review/").content.decode()

    assert "These required questions are not answered yet" in page
    assert "Question 1" in page
    assert "Only the second" in page


def test_submit_with_a_required_question_empty_is_refused(alice_client, alice, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "", "q2": "Only the second"})

    response = alice_client.post("/c/tech-providers/submit/", follow=True)

    assert "Please answer the required questions first: 1." in response.content.decode()
    assert Response.objects.get(participant=alice).status == Response.Status.DRAFT


def test_submit_records_one_submission_and_mails_a_receipt(
    alice_client, alice, questions, django_capture_on_commit_callbacks
):
    alice_client.post("/c/tech-providers/questions/", {"q1": "My answer", "q2": ""})

    with django_capture_on_commit_callbacks(execute=True):
        first = alice_client.post("/c/tech-providers/submit/")
        second = alice_client.post("/c/tech-providers/submit/")

    assert first["Location"] == second["Location"] == "/c/tech-providers/receipt/"
    response = Response.objects.get(participant=alice)
    assert response.status == Response.Status.SUBMITTED
    assert response.submitted_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.org"]
    assert "My answer" in mail.outbox[0].body


def test_receipt_lists_what_was_sent_and_when(alice_client, alice, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "My answer", "q2": "Second"})
    alice_client.post("/c/tech-providers/submit/")

    page = alice_client.get("/c/tech-providers/receipt/").content.decode()

    assert "Receipt of your feedback" in page
    assert "My answer" in page and "Second" in page
    assert "What are your thoughts?" in page
    assert "Organisation only" in page


def test_receipt_before_submitting_sends_back_to_review(alice_client, alice, questions):
    assert alice_client.get("/c/tech-providers/receipt/")["Location"] == "/c/tech-providers/review/"


def test_edits_after_submitting_are_kept_until_the_deadline(alice_client, alice, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "Before", "q2": ""})
    alice_client.post("/c/tech-providers/submit/")
    submitted_at = Response.objects.get(participant=alice).submitted_at

    alice_client.post("/c/tech-providers/questions/", {"q1": "After", "q2": ""})

    response = Response.objects.get(participant=alice)
    assert response.status == Response.Status.SUBMITTED
    assert response.submitted_at == submitted_at
    assert response.last_edited_at > submitted_at
    assert "After" in alice_client.get("/c/tech-providers/receipt/").content.decode()


def test_after_the_deadline_pages_are_read_only_and_say_why(alice_client, alice, consultation, questions):
    answer(alice, questions[0], "Saved before the deadline")
    close_window(consultation)

    page = alice_client.get("/c/tech-providers/questions/").content.decode()
    assert "The feedback window closed on" in page
    assert "Saved before the deadline" in page
    assert "disabled" in page
    assert "Save answers" not in page

    response = alice_client.post("/c/tech-providers/questions/", {"q1": "Too late", "q2": ""}, follow=True)
    assert "The feedback window closed on" in response.content.decode()
    assert Answer.objects.get(question=questions[0]).text == "Saved before the deadline"

    alice_client.post("/c/tech-providers/submit/")
    assert Response.objects.get(participant=alice).status == Response.Status.DRAFT

    alice_client.post("/c/tech-providers/profile/", PROFILE)
    alice.refresh_from_db()
    assert alice.attribution == Participant.Attribution.ORGANISATION


def test_before_the_window_opens_pages_are_read_only(alice_client, alice, consultation, questions):
    consultation.opens_at = timezone.now() + timedelta(days=1)
    consultation.closes_at = timezone.now() + timedelta(days=2)
    consultation.save()

    page = alice_client.get("/c/tech-providers/questions/").content.decode()

    assert "The feedback window opens on" in page


def test_participant_text_is_escaped_on_every_page(alice_client, alice, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "<script>alert(1)</script>", "q2": ""})
    alice_client.post("/c/tech-providers/submit/")

    for path in ("/c/tech-providers/questions/", "/c/tech-providers/review/", "/c/tech-providers/receipt/"):
        page = alice_client.get(path).content.decode()
        assert "<script>alert(1)</script>" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_submitted_time_is_recorded_only_once_even_when_raced(alice, questions):
    from feedback.participation import services

    answer(alice, questions[0], "Text")
    response = alice.response
    assert services.submit_response(response=response) is True
    assert services.submit_response(response=response) is False
    assert Response.objects.filter(participant=alice, status="submitted").count() == 1


@pytest.mark.parametrize(
    "path", ["/c/tech-providers/", "/c/tech-providers/questions/", "/c/tech-providers/review/"]
)
def test_participant_pages_run_a_bounded_number_of_queries(
    alice_client, alice, consultation, path, django_assert_max_num_queries
):
    for number in range(1, 21):
        question = Question.objects.create(consultation=consultation, number=number, text=f"Q{number}")
        answer(alice, question, f"Answer {number}")

    with django_assert_max_num_queries(8):
        assert alice_client.get(path).status_code == 200


def test_home_page_explains_how_to_take_part(client):
    page = client.get("/").content.decode()
    assert "open the personal link in your invitation email" in page


def test_not_found_page_points_back_to_the_invitation(client):
    response = client.get("/c/nothing-here/")
    assert response.status_code == 404
    assert "invitation email" in response.content.decode()


def test_an_edited_answer_goes_back_to_the_moderation_queue(alice_client, alice, questions, olga):
    alice_client.post("/c/tech-providers/questions/", {"q1": "First", "q2": ""})
    Answer.objects.update(status=Answer.Status.APPROVED, moderated_by=olga, moderated_at=timezone.now())

    alice_client.post("/c/tech-providers/questions/", {"q1": "Second thoughts", "q2": ""})

    edited = Answer.objects.get()
    assert (edited.status, edited.moderated_by, edited.moderated_at) == (Answer.Status.PENDING, None, None)


def test_a_null_character_is_refused_with_a_message_and_nothing_is_lost(alice_client, alice, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "Kept", "q2": ""})

    response = alice_client.post("/c/tech-providers/questions/", {"q1": "bad\x00text", "q2": ""})

    assert "Null characters are not allowed" in response.content.decode()
    assert Answer.objects.get(question=questions[0]).text == "Kept"
