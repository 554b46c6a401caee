"""The moderation queues and the analysis dashboard run as many queries for 50 participants as for 5, and the
indexes that keep them fast at 100,000 answers (migration 0015) are there and serve their queries."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import Answer, Codebook, Comment, Consultation, Participant, Question, Resource, Response
from tests.conftest import answer, submit

PAGES = [
    "/admin/feedback/answer/",
    "/admin/feedback/answer/?status=all",
    "/admin/feedback/comment/",
    "/admin/feedback/comment/?status=all",
    "/analysis/tech-providers/",
]
STATUSES = ["pending", "approved", "flagged", "hidden"]


def add_participants(
    consultation: Consultation, questions: list[Question], resource: Resource, count: int
) -> None:
    """`count` more submitted participants, each with an answer per question and a comment per place, some
    tagged with themes, in every moderation status."""
    now = timezone.now()
    start = Participant.objects.count()
    themes = list(Codebook.objects.get(name__startswith="Toolkit principles").themes.order_by("code")[:3])
    sections = [None, *resource.sections.all()]
    for i in range(start, start + count):
        person = Participant.objects.create(
            consultation=consultation,
            name=f"Person {i}",
            email=f"p{i}@example.org",
            organisation=f"Organisation {i % 4}",
            attribution=Participant.Attribution.NAMED,
            consented_at=now,
        )
        response = Response.objects.create(
            participant=person, status=Response.Status.SUBMITTED, submitted_at=now, last_edited_at=now
        )
        for question in questions:
            answer = Answer.objects.create(
                response=response,
                question=question,
                text=f"Answer {i} to Q{question.number}",
                status=STATUSES[(i + question.number) % len(STATUSES)],
                moderated_at=now,
            )
            answer.themes.set(themes[: i % 3])
        for section in sections:
            comment = Comment.objects.create(
                response=response,
                resource=resource,
                section=section,
                text=f"Comment {i}",
                status=STATUSES[i % 4],
            )
            comment.themes.set(themes[: (i + 1) % 3])


def query_counts(client: Client) -> dict[str, int]:
    counts = {}
    for url in PAGES:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(captured.captured_queries)
    return counts


@pytest.fixture
def consultation_with_codebook(consultation: Consultation) -> Consultation:
    consultation.codebook = Codebook.objects.get(name__startswith="Toolkit principles")
    consultation.save()
    return consultation


def test_queues_and_dashboard_run_as_many_queries_for_50_participants_as_for_5(
    olga_client, consultation_with_codebook, questions, resource
):
    add_participants(consultation_with_codebook, questions, resource, 5)
    olga_client.get(PAGES[0])  # the first request of a session refreshes the organiser's sign-in times
    with_5 = query_counts(olga_client)

    add_participants(consultation_with_codebook, questions, resource, 45)
    with_50 = query_counts(olga_client)

    assert with_50 == with_5
    page = olga_client.get("/admin/feedback/answer/?status=all").content.decode()
    assert "Answer 49 to Q2" in page and "Answer 0 to Q1" in page
    dashboard = olga_client.get("/analysis/tech-providers/").content.decode()
    assert "50 of 50 invited participants submitted" in dashboard


POSTGRESQL_INDEXES = {
    "feedback_answer": {"answer_text_trgm_idx", "answer_latest_moderated_idx"},
    "feedback_comment": {"comment_text_trgm_idx"},
}
BEFORE_INDEXES = ("feedback", "0014_field_names_for_people")
WITH_INDEXES = ("feedback", "0015_queue_search_and_dashboard_indexes")


def index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def migrate_feedback_to(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_the_index_migration_reverses_and_applies_again(back_to_the_latest_migration):
    expected = POSTGRESQL_INDEXES if connection.vendor == "postgresql" else {}
    for table, names in expected.items():
        assert names <= index_names(table)
    queue_index = {"feedback_answer": "answer_queue_idx", "feedback_comment": "comment_queue_idx"}

    migrate_feedback_to(BEFORE_INDEXES)
    for table in POSTGRESQL_INDEXES:
        assert not (POSTGRESQL_INDEXES[table] & index_names(table))
        assert queue_index[table] in index_names(table)  # only this migration's indexes went

    migrate_feedback_to(WITH_INDEXES)
    for table in POSTGRESQL_INDEXES:
        names = index_names(table)
        assert expected.get(table, set()) <= names
        assert queue_index[table] in names
        if connection.vendor != "postgresql":
            assert not (POSTGRESQL_INDEXES[table] & names)  # SQLite gets none of them


@pytest.fixture
def searchable(alice, bob, questions) -> dict[str, Answer]:
    items = {
        "oversight": answer(alice, questions[0], "Human OVERSIGHT of the model matters (42)."),
        "audit": answer(alice, questions[1], "Audit logs come next."),
        "bias": answer(bob, questions[0], "Bias testing, 7 times."),
    }
    submit(alice)
    submit(bob)
    return items


def found(client: Client, url: str, q: str, items: dict) -> set[str]:
    page = client.get(url, {"q": q, "status": "all"}).content.decode()
    return {key for key, item in items.items() if f'name="_selected_action" value="{item.pk}"' in page}


def test_queue_search_matches_each_word_in_the_text_or_the_name_ignoring_case(olga_client, searchable):
    url = "/admin/feedback/answer/"
    assert found(olga_client, url, "oversight", searchable) == {"oversight"}
    assert found(olga_client, url, "LOGS", searchable) == {"audit"}
    assert found(olga_client, url, "42", searchable) == {"oversight"}  # too short for a trigram
    assert found(olga_client, url, "Alice", searchable) == {"oversight", "audit"}
    assert found(olga_client, url, "alice 42", searchable) == {"oversight"}
    assert found(olga_client, url, "okafor testing", searchable) == {"bias"}
    assert found(olga_client, url, '"bias testing"', searchable) == {"bias"}
    assert found(olga_client, url, "alice testing", searchable) == set()


def test_comment_queue_search_matches_the_text_and_the_reply(olga_client, alice, resource):
    response = submit_with_comment(alice, resource, "Section two needs an EXAMPLE.")
    comment = response.comments.get()
    comment.organiser_reply = "Added in version 2."
    comment.save()
    url = "/admin/feedback/comment/"
    assert found(olga_client, url, "example", {"comment": comment}) == {"comment"}
    assert found(olga_client, url, "version", {"comment": comment}) == {"comment"}
    assert found(olga_client, url, "martin", {"comment": comment}) == {"comment"}
    assert found(olga_client, url, "missing", {"comment": comment}) == set()


def submit_with_comment(participant: Participant, resource: Resource, text: str) -> Response:
    response = Response.objects.create(participant=participant)
    Comment.objects.create(response=response, resource=resource, text=text)
    return submit(participant)


def test_queue_search_reads_the_text_through_its_trigram_index_on_postgresql(olga, searchable):
    """On PostgreSQL the planner can answer a word's text match from the index (sequential scans off, as with
    100,000 answers; a handful of rows would be read directly); on SQLite the same query has no such index."""
    from feedback.admin.queues import AnswerAdmin

    request = type("Request", (), {"user": olga})()
    model_admin = AnswerAdmin(Answer, None)
    queryset, _duplicates = model_admin.get_search_results(request, Answer.objects.all(), "oversight 42")
    assert list(queryset) == [searchable["oversight"]]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "answer_text_trgm_idx" in plan
    else:
        assert "answer_text_trgm_idx" not in index_names("feedback_answer")


def test_theme_matrix_leaves_out_tags_on_blank_and_hidden_answers(
    consultation_with_codebook, questions, alice, bob
):
    """The matrix tests for blank text in its count, not in its WHERE (see theme_matrix): same numbers."""
    from feedback.analysis import dashboard

    lawful, fair = consultation_with_codebook.codebook.themes.order_by("code")[:2]
    answer(alice, questions[0], " \u00a0\n").themes.add(lawful)  # blank: no-break spaces count as blank too
    answer(alice, questions[1], "Audit it.").themes.add(fair)
    answer(bob, questions[0], "Hide me.", status=Answer.Status.HIDDEN).themes.add(lawful)
    answer(bob, questions[1], "\n Yes.").themes.add(lawful, fair)  # text after blank characters counts
    submit(alice)
    submit(bob)

    matrix = dashboard.theme_matrix(consultation_with_codebook, questions[:2])

    assert matrix.rows == [(lawful.code, lawful.name, [0, 1], 1), (fair.code, fair.name, [0, 2], 2)]
    assert matrix.column_totals == [0, 3]


def test_the_question_page_and_autosave_run_a_fixed_number_of_queries(
    alice_client, alice, questions, resource, django_assert_num_queries
):
    """docs/PERFORMANCE.md: what the busiest participant requests read. The first request of a process also reads
    the consultation and its questions (feedback/participation/snapshot.py); the tests' sessions are in the
    database (production reads them from Redis)."""
    alice_client.get("/c/tech-providers/questions/")
    # The session, the participant with their response and their consultation's version, the answers.
    with django_assert_num_queries(3):
        assert alice_client.get("/c/tech-providers/questions/").status_code == 200
    # The session, the participant, the response locked, the answer read and locked, the answer and the
    # response written, and the savepoint around them and its release (the test's transaction makes the view's
    # transaction a savepoint).
    with django_assert_num_queries(8):
        saved = alice_client.post("/c/tech-providers/autosave/", {"field": "q1", "q1": "Changed"})
        assert saved.status_code == 200
