"""The moderation queues and the analysis dashboard run as many queries for 50 participants as for 5."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import Answer, Codebook, Comment, Consultation, Participant, Question, Resource, Response

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
