"""Saves that race each other: the same participant autosaving in two tabs, or autosave beside a form post."""

import threading

import pytest
from django.db import connection

from feedback.models import Answer, Response
from feedback.participation import services

pytestmark = pytest.mark.django_db(transaction=True)


def race(target, count: int) -> list[BaseException]:
    """Run target in `count` threads released at once; returns what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            target()
        except BaseException as error:  # noqa: BLE001 -- collected and asserted on by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_simultaneous_first_saves_of_one_answer_store_one_answer(alice, questions):
    response = Response.objects.create(participant=alice)

    errors = race(
        lambda: services.save_answer(response=response, question=questions[0], value="Same text"), 8
    )

    assert errors == []
    assert list(Answer.objects.values_list("text", flat=True)) == ["Same text"]


def test_simultaneous_submits_record_one_submission(alice, questions):
    response = Response.objects.create(participant=alice)
    services.save_answer(response=response, question=questions[0], value="Text")

    results: list[bool] = []
    errors = race(lambda: results.append(services.submit_response(response=response)), 8)

    assert errors == []
    assert results.count(True) == 1
    assert Response.objects.get(pk=response.pk).status == Response.Status.SUBMITTED


def locks_of(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if "FOR UPDATE" in q["sql"] or "FOR NO KEY UPDATE" in q["sql"]]


def test_saving_answers_locks_no_question_row(alice, questions):
    # Locking the joined question rows made concurrent autosaves of different participants deadlock with each
    # other's inserts (whose foreign-key checks share-lock the question): bench/concurrency.py found it.
    from django.test.utils import CaptureQueriesContext

    response = Response.objects.create(participant=alice)
    services.save_answer(response=response, question=questions[0], value="First")
    with CaptureQueriesContext(connection) as captured:
        services.save_answers(response=response, values={questions[0]: "Second", questions[1]: "New"})

    locks = locks_of(captured.captured_queries)
    # SQLite has no row locks (its transactions lock the file), so there is nothing to inspect there.
    assert bool(locks) is connection.features.has_select_for_update
    for sql in locks:
        assert "JOIN" not in sql or "FOR UPDATE OF" in sql, sql


def test_an_autosave_reads_and_locks_only_the_answer_it_saves(alice, questions):
    # Reading (and locking) every answer of the response for one field cost most of autosave's database time,
    # and made a moderator's work on the other answers wait for it (docs/PERFORMANCE.md).
    from django.test.utils import CaptureQueriesContext

    response = Response.objects.create(participant=alice)
    services.save_answers(response=response, values={questions[0]: "First", questions[1]: "Other"})
    with CaptureQueriesContext(connection) as captured:
        assert services.save_answer(response=response, question=questions[0], value="Second")

    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "feedback_answer"')]
    assert len(reads) == 1
    assert f'"feedback_answer"."question_id" IN ({questions[0].pk})' in reads[0], reads[0]
    assert dict(Answer.objects.values_list("question_id", "text")) == {
        questions[0].pk: "Second",
        questions[1].pk: "Other",
    }
