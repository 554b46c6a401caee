"""A database that cannot be reached answers 503 with a clear message (a page, or JSON for autosave), not a 500."""

import importlib
from unittest import mock

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from consultation.middleware import database_reachable as real_database_reachable
from feedback.models import Answer

QUESTIONS_URL = "/c/tech-providers/questions/"
AUTOSAVE_URL = "/c/tech-providers/autosave/"
MESSAGE = "The service is briefly unavailable; your text is kept in this browser, try again in a minute."


@pytest.fixture(autouse=True)
def database_away():
    """The errors below are mocks while the real database answers: say it does not, as in a real outage."""
    with mock.patch("consultation.middleware.database_reachable", return_value=False):
        yield


def session_store_down(error: Exception | None = None):
    """The first query of a signed-in request, the session read, fails as it does while PostgreSQL restarts."""
    # The engine in use: settings choose cached_db when REDIS_URL is set.
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore
    return mock.patch.object(store, "load", side_effect=error or OperationalError("connection refused"))


def test_a_participant_page_says_the_service_is_briefly_unavailable(alice_client, questions):
    with session_store_down():
        response = alice_client.get(QUESTIONS_URL)

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "<h1>Briefly unavailable</h1>" in page
    assert MESSAGE in page
    assert "Traceback" not in page


def test_autosave_answers_json_while_the_database_is_away(alice_client, questions):
    with session_store_down(InterfaceError("connection already closed")):
        response = alice_client.post(
            AUTOSAVE_URL, {"field": "q1", "q1": "Kept in the browser"}, headers={"Accept": "application/json"}
        )

    assert response.status_code == 503
    assert response.json() == {"error": MESSAGE}
    assert not Answer.objects.exists()


def test_a_query_failing_inside_the_view_answers_503_json_to_autosave(alice_client, questions):
    with mock.patch(
        "feedback.participation.services.save_answer",
        side_effect=OperationalError("server closed the connection"),
    ):
        response = alice_client.post(
            AUTOSAVE_URL,
            {"field": "q1", "q1": "Kept in the browser"},
            headers={"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"},
        )

    assert response.status_code == 503
    assert response.json() == {"error": MESSAGE}


def test_a_query_failing_inside_the_view_answers_the_503_page_to_a_browser(alice_client, questions):
    with mock.patch(
        "feedback.participation.views.response_for",
        side_effect=OperationalError("server closed the connection"),
    ):
        response = alice_client.get(
            QUESTIONS_URL, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        )

    assert response.status_code == 503
    assert MESSAGE in response.content.decode()


def test_other_errors_are_not_mistaken_for_an_outage(alice_client, questions):
    with (
        mock.patch("feedback.participation.services.save_answer", side_effect=RuntimeError("a bug")),
        pytest.raises(RuntimeError, match="a bug"),
    ):
        alice_client.post(AUTOSAVE_URL, {"field": "q1", "q1": "Text"}, headers={"Accept": "application/json"})


def test_autosave_works_again_once_the_database_is_back(alice_client, questions):
    with session_store_down():
        assert alice_client.post(AUTOSAVE_URL, {"field": "q1", "q1": "Retried"}).status_code == 503

    response = alice_client.post(AUTOSAVE_URL, {"field": "q1", "q1": "Retried"})

    assert response.status_code == 200
    assert Answer.objects.get().text == "Retried"


def test_an_operational_error_while_the_database_answers_is_a_real_error_not_an_outage(
    alice_client, questions
):
    # A deadlock, a timeout or a column missing after a deploy without migrate: a 500 that reaches the error
    # log with its traceback, not a page telling participants all is well.
    with (
        mock.patch("consultation.middleware.database_reachable", return_value=True),
        mock.patch(
            "feedback.participation.services.save_answer", side_effect=OperationalError("deadlock detected")
        ),
        pytest.raises(OperationalError, match="deadlock detected"),
    ):
        alice_client.post(AUTOSAVE_URL, {"field": "q1", "q1": "Text"}, headers={"Accept": "application/json"})


def test_the_database_counts_as_reachable_only_when_it_answers(db):
    assert real_database_reachable() is True
    with mock.patch.object(connection, "is_usable", return_value=False):
        assert real_database_reachable() is False
