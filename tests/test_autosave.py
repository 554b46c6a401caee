"""Autosave of single answers while the participant types, and the page hooks its script relies on."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from feedback.models import Answer, Question, Response
from tests.conftest import answer

URL = "/c/tech-providers/autosave/"


def autosave(client: Client, field: str, value: str | list[str] | None = None):
    data: dict[str, object] = {"field": field}
    if value is not None:
        data[field] = value
    return client.post(URL, data)


def close_window(consultation):
    consultation.opens_at = timezone.now() - timedelta(days=30)
    consultation.closes_at = timezone.now() - timedelta(days=1)
    consultation.save()


def test_autosave_stores_the_text_and_says_when(alice_client, alice, questions):
    response = autosave(alice_client, "q1", "First thoughts")

    assert response.status_code == 200
    body = response.json()
    assert len(body["saved_at"]) == 5 and body["saved_at"][2] == ":"
    assert body["saved_at_iso"]
    saved = Answer.objects.get(question=questions[0])
    assert saved.text == "First thoughts"
    assert saved.response.last_edited_at is not None


def test_saved_at_is_shown_in_the_meeting_time_zone(alice_client, alice, questions, consultation):
    consultation.time_zone = "Asia/Singapore"
    consultation.save()

    body = autosave(alice_client, "q1", "Text").json()

    local = timezone.localtime(Answer.objects.get().updated_at, consultation.tz)
    assert body["saved_at"] == local.strftime("%H:%M")


def test_a_second_autosave_updates_the_same_answer(alice_client, alice, questions):
    autosave(alice_client, "q1", "First")
    autosave(alice_client, "q1", "First, then more")

    assert Answer.objects.count() == 1
    assert Answer.objects.get().text == "First, then more"


def test_autosave_of_an_emptied_field_clears_the_earlier_text(alice_client, alice, questions):
    autosave(alice_client, "q1", "First")
    autosave(alice_client, "q1", "")

    assert Answer.objects.get().is_empty


def test_a_value_over_the_limit_is_refused_and_the_earlier_value_kept(alice_client, alice, questions):
    questions[0].max_length = 10
    questions[0].save()
    autosave(alice_client, "q1", "Short")

    response = autosave(alice_client, "q1", "Far too long for this")

    assert response.status_code == 400
    assert "at most 10 characters" in response.json()["error"]
    assert Answer.objects.get().text == "Short"


def test_a_choice_that_is_not_offered_is_refused(alice_client, alice, consultation):
    Question.objects.create(
        consultation=consultation, number=9, text="Pick", kind="single_choice", choices="A\nB"
    )

    response = autosave(alice_client, "q9", "Z")

    assert response.status_code == 400
    assert "Select a valid choice" in response.json()["error"]
    assert not Answer.objects.exists()


def test_multiple_choices_are_saved_from_repeated_values(alice_client, alice, consultation):
    Question.objects.create(
        consultation=consultation, number=9, text="Pick", kind="multiple_choice", choices="A\nB\nC"
    )

    assert autosave(alice_client, "q9", ["A", "C"]).status_code == 200
    assert Answer.objects.get().selected == ["A", "C"]
    assert autosave(alice_client, "q9").status_code == 200
    assert Answer.objects.get().selected == []


def test_a_scale_answer_is_saved(alice_client, alice, consultation):
    Question.objects.create(consultation=consultation, number=9, text="Rate", kind="scale")

    assert autosave(alice_client, "q9", "4").status_code == 200
    assert Answer.objects.get().selected == ["4"]


@pytest.mark.parametrize("field", ["q99", "name", "", "q1x"])
def test_an_unknown_field_is_refused(alice_client, alice, questions, field):
    response = autosave(alice_client, field, "Text")

    assert response.status_code == 400
    assert "not one of the guiding questions" in response.json()["error"]
    assert not Answer.objects.exists()


def test_another_consultation_is_not_found(alice_client, alice, other_consultation, carol):
    Question.objects.create(consultation=other_consultation, number=1, text="Elsewhere")

    response = alice_client.post("/c/academia/autosave/", {"field": "q1", "q1": "Text"})

    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_an_anonymous_browser_is_not_found(client, alice, questions):
    assert autosave(client, "q1", "Text").status_code == 404
    assert not Answer.objects.exists()


def test_after_the_deadline_autosave_is_refused_and_nothing_changes(
    alice_client, alice, questions, consultation
):
    answer(alice, questions[0], "Kept")
    close_window(consultation)

    response = autosave(alice_client, "q1", "Changed")

    assert response.status_code == 409
    assert "closed" in response.json()["error"]
    assert Answer.objects.get().text == "Kept"


def test_without_a_confirmed_profile_autosave_is_refused(alice_client, alice, questions):
    alice.consented_at = None
    alice.save()

    response = autosave(alice_client, "q1", "Text")

    assert response.status_code == 409
    assert "confirm your profile" in response.json()["error"]
    assert not Answer.objects.exists()


def test_autosave_only_accepts_post(alice_client, alice, questions):
    assert alice_client.get(URL).status_code == 405


def test_autosave_needs_the_csrf_token(alice, questions):
    client = Client(enforce_csrf_checks=True)
    client.get(f"/i/{alice.token}/")
    # The confirming POST carries the token the confirmation page gave; the autosave below does not.
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    client.post(f"/i/{alice.token}/", {"csrfmiddlewaretoken": token})
    assert client.get("/c/tech-providers/").status_code == 200

    refused = client.post(URL, {"field": "q1", "q1": "Text"})
    accepted = client.post(URL, {"field": "q1", "q1": "Text"}, headers={"X-CSRFToken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert Answer.objects.get().text == "Text"


def test_autosave_runs_a_bounded_number_of_queries(
    alice_client, alice, consultation, django_assert_max_num_queries
):
    for number in range(1, 21):
        question = Question.objects.create(consultation=consultation, number=number, text=f"Q{number}")
        answer(alice, question, f"Answer {number}")

    # The first request of a process reads the consultation and its questions (3 queries: snapshot.py); the
    # next ones find them kept.
    assert autosave(alice_client, "q6", "Changed").status_code == 200
    # 8: the session, the participant, the response locked (so two saves of one participant never race,
    # test_concurrency.py), the answer read and locked, the answer and the response updated, and the savepoint
    # and its release (the test's transaction makes the view's a savepoint).
    with django_assert_max_num_queries(8):
        assert autosave(alice_client, "q7", "Changed").status_code == 200


def test_questions_page_carries_the_autosave_hooks(alice_client, alice, questions):
    answer(alice, questions[0], "Saved before")

    page = alice_client.get("/c/tech-providers/questions/").content.decode()

    assert f'data-autosave-url="{URL}"' in page
    assert 'src="/static/js/autosave.js"' in page
    assert 'src="/static/js/fields.js"' in page
    assert f'data-storage-key="feedback:tech-providers:{alice.pk}"' in page
    assert alice.token not in page
    assert "data-saved-times=" in page and "&quot;q1&quot;" in page
    assert 'id="autosave-status"' in page and 'aria-live="polite"' in page
    assert 'data-char-counter="{count} of {max} characters"' in page
    assert 'maxlength="5000"' in page
    assert "Restored text you had not yet saved" in page
    assert "Save answers" in page


def test_closed_questions_page_has_no_autosave(alice_client, alice, questions, consultation):
    close_window(consultation)

    page = alice_client.get("/c/tech-providers/questions/").content.decode()

    assert "data-autosave-url" not in page
    assert "autosave.js" not in page


def test_profile_page_has_character_counters(client, consultation):
    from tests.conftest import make_participant

    newcomer = make_participant(consultation, "Dana Newcomer", "dana@example.org")
    client.post(f"/i/{newcomer.token}/")

    page = client.get("/c/tech-providers/profile/").content.decode()

    assert 'data-char-counter="{count} of {max} characters"' in page
    assert 'src="/static/js/fields.js"' in page


def test_consultation_page_offers_the_meeting_in_the_participants_time_zone(alice_client, alice):
    page = alice_client.get("/c/tech-providers/").content.decode()

    assert 'data-local-time="2022-11-03T12:00:00+00:00"' in page
    assert 'data-local-time-end="2022-11-03T13:30:00+00:00"' in page
    assert 'data-local-time-zone="Europe/Paris"' in page
    assert 'data-local-time-label="Your time: {time} ({zone})"' in page
    assert 'src="/static/js/local-time.js"' in page


def test_scale_questions_are_a_fieldset_whose_legend_is_the_question(alice_client, alice, consultation):
    Question.objects.create(
        consultation=consultation,
        number=3,
        text="How useful is it?",
        kind="scale",
        scale_min_label="Not useful",
        scale_max_label="Very useful",
    )

    page = alice_client.get("/c/tech-providers/questions/").content.decode()

    fieldset = page[page.index("<fieldset") : page.index("</fieldset>")]
    assert "<legend" in fieldset and "3. How useful is it?" in fieldset
    assert "1 – Not useful" in fieldset and "5 – Very useful" in fieldset
    assert fieldset.count('type="radio"') == 5


def test_autosave_does_not_touch_another_participants_answer(alice_client, alice, bob, questions):
    answer(bob, questions[0], "Bob's view")

    autosave(alice_client, "q1", "Alice's view")

    assert Answer.objects.get(response__participant=bob).text == "Bob's view"
    assert Answer.objects.get(response__participant=alice).text == "Alice's view"
    assert Response.objects.count() == 2


# The profile's free text

PROFILE_AUTOSAVE = "/c/tech-providers/profile/autosave/"


def test_the_conflict_of_interest_declaration_autosaves(alice_client, alice):
    response = alice_client.post(
        PROFILE_AUTOSAVE,
        {"field": "conflict_of_interest", "conflict_of_interest": "We sell to two police forces."},
    )

    assert response.status_code == 200 and response.json()["saved_at"]
    alice.refresh_from_db()
    assert alice.conflict_of_interest == "We sell to two police forces."
    page = alice_client.get("/c/tech-providers/profile/").content.decode()
    assert 'data-autosave-url="/c/tech-providers/profile/autosave/"' in page
    assert "/static/js/autosave.js" in page


def test_profile_autosave_refuses_an_empty_name_and_other_fields(alice_client, alice):
    assert alice_client.post(PROFILE_AUTOSAVE, {"field": "name", "name": ""}).status_code == 400
    assert (
        alice_client.post(PROFILE_AUTOSAVE, {"field": "attribution", "attribution": "named"}).status_code
        == 400
    )
    assert (
        alice_client.post(PROFILE_AUTOSAVE, {"field": "consented_at", "consented_at": ""}).status_code == 400
    )
    alice.refresh_from_db()
    assert alice.name == "Alice Martin"


def test_before_the_profile_is_confirmed_its_drafts_stay_in_the_browser(client, consultation):
    from tests.conftest import make_participant

    newcomer = make_participant(consultation, "New", "new@example.org")
    client.post(f"/i/{newcomer.token}/")

    response = client.post(PROFILE_AUTOSAVE, {"field": "role", "role": "CTO"})

    assert response.status_code == 409
    assert "kept on this browser" in response.json()["error"]
    newcomer.refresh_from_db()
    assert newcomer.role == ""


def test_profile_autosave_is_refused_after_the_deadline(alice_client, alice, consultation):
    close_window(consultation)

    response = alice_client.post(PROFILE_AUTOSAVE, {"field": "role", "role": "Late"})

    assert response.status_code == 409
    alice.refresh_from_db()
    assert alice.role != "Late"
