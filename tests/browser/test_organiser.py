"""An organiser's main tasks in Chromium: moderate in bulk, tag with themes, export what was said."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from feedback.models import Answer, Codebook, Consultation, Participant, Question, Response
from tests.browser.conftest import organiser, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def queue(live_server, page: Page) -> Page:
    """Three submitted answers awaiting moderation, and an organiser signed in on the answer queue."""
    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Technology providers",
        slug="tech",
        stakeholder_group="Technology providers",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
        codebook=Codebook.objects.get(name="Toolkit principles for responsible AI innovation"),
    )
    question = Question.objects.create(consultation=consultation, number=1, text="Your thoughts?")
    for number, text in enumerate(["Add model cards", "=HYPERLINK(1)", "Audit logs matter"], start=1):
        participant = Participant.objects.create(
            consultation=consultation,
            name=f"Person {number}",
            email=f"p{number}@example.org",
            organisation=f"Provider {number}",
            attribution="named",
        )
        response = Response.objects.create(participant=participant, status="submitted", submitted_at=now)
        Answer.objects.create(response=response, question=question, text=text)
    sign_in(page, live_server.url, *organiser())
    page.goto(f"{live_server.url}/admin/feedback/answer/")
    return page


def run_action(page: Page, label: str, rows: int | None = None) -> None:
    if rows is None:
        page.locator("#action-toggle").check()
    else:
        for row in range(rows):
            page.locator("input.action-select").nth(row).check()
    page.locator("select[name=action]").select_option(label=label)
    page.get_by_role("button", name="Run").or_(page.get_by_role("button", name="Go")).click()


def test_an_organiser_approves_answers_in_bulk_and_the_queue_empties(queue: Page):
    expect(queue.locator("#result_list tbody tr")).to_have_count(3)
    screenshot(queue, "admin-1-queue")

    run_action(queue, "Approve selected answers", rows=2)

    expect(queue.get_by_text("Marked 2 answers as approved.")).to_be_visible()
    expect(queue.locator("#result_list tbody tr")).to_have_count(1)  # the queue still opens on pending
    assert Answer.objects.filter(status="approved").count() == 2
    assert set(Answer.objects.filter(status="approved").values_list("moderated_by__username", flat=True)) == {
        "olga"
    }


def test_an_organiser_tags_answers_with_themes_in_bulk(queue: Page):
    run_action(queue, "Add themes…")
    queue.get_by_label("1.2 Necessity").check()
    queue.get_by_label("3.5 Explainability").check()
    screenshot(queue, "admin-2-tag")
    queue.get_by_role("button", name="Apply").click()

    expect(queue.locator(".messagelist")).to_contain_text("3")
    tagged = {a.text: sorted(t.code for t in a.themes.all()) for a in Answer.objects.all()}
    assert tagged == {
        text: ["1.2", "3.5"] for text in ["Add model cards", "=HYPERLINK(1)", "Audit logs matter"]
    }


def test_an_organiser_exports_the_queue_as_a_formula_safe_csv(queue: Page):
    queue.goto(queue.url + "?status=all")
    with queue.expect_download() as download:
        run_action(queue, "Export selected answers as CSV")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))

    assert sorted(row["answer"] for row in rows) == ["'=HYPERLINK(1)", "Add model cards", "Audit logs matter"]
    assert {row["participant"] for row in rows} == {"Person 1", "Person 2", "Person 3"}
