"""The consultation dashboard in Chromium: Chart.js draws every chart, at desktop and phone width, and axe passes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from feedback.models import (
    Answer,
    Codebook,
    Comment,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    Response,
)
from tests.browser.conftest import axe_violations, organiser, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def dashboard_url(live_server) -> str:
    now = timezone.now()
    codebook = Codebook.objects.get(name="Toolkit principles for responsible AI innovation")
    consultation = Consultation.objects.create(
        title="Technology providers",
        slug="tech",
        stakeholder_group="Technology providers",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
        codebook=codebook,
    )
    questions = [
        Question.objects.create(consultation=consultation, number=1, text="Your thoughts on the Toolkit?"),
        Question.objects.create(
            consultation=consultation,
            number=2,
            kind="scale",
            text="How useful is the Toolkit?",
            scale_min_label="Not useful",
            scale_max_label="Very useful",
        ),
        Question.objects.create(
            consultation=consultation,
            number=3,
            kind="multiple_choice",
            text="Which parts did you read?",
            choices="Principles\nRoadmap\nWorkbook",
        ),
        Question.objects.create(consultation=consultation, number=4, kind="yes_no", text="Would you use it?"),
    ]
    resource = Resource.objects.create(title="Principles for Responsible AI Innovation", category="primary")
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
    themes = list(codebook.themes.order_by("code")[:3])
    for number in range(1, 8):
        participant = Participant.objects.create(
            consultation=consultation,
            name=f"Person {number}",
            email=f"p{number}@example.org",
            invited_at=now,
            first_opened_at=now if number < 7 else None,
        )
        if number == 7:
            continue
        submitted = number < 6
        response = Response.objects.create(
            participant=participant,
            status="submitted" if submitted else "draft",
            submitted_at=now if submitted else None,
            last_edited_at=now,
        )
        text = Answer.objects.create(
            response=response,
            question=questions[0],
            text=f"Model cards and audit logs matter ({number}).",
            status="approved",
            moderated_at=now,
        )
        text.themes.add(themes[number % 3])
        Answer.objects.create(response=response, question=questions[1], selected=[str(number % 5 + 1)])
        Answer.objects.create(
            response=response, question=questions[2], selected=["Principles", "Roadmap"][: number % 2 + 1]
        )
        Answer.objects.create(
            response=response, question=questions[3], selected=["yes" if number % 2 else "unsure"]
        )
        Comment.objects.create(
            response=response, resource=resource, text="Section 2 needs examples."
        ).themes.add(themes[0])
    return f"{live_server.url}/analysis/tech/"


def test_the_dashboard_draws_every_chart_with_its_table(page: Page, live_server, dashboard_url: str):
    sign_in(page, live_server.url, *organiser())
    page.goto(dashboard_url)
    expect(page.get_by_role("heading", name="Technology providers", level=1)).to_be_visible()

    canvases = page.locator("canvas[data-chart]")
    # Response rate, three answer charts (scale, choices, yes/no), themes, comments per resource and per theme.
    expect(canvases).to_have_count(7)
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".map(c => Chart.getChart(c) !== undefined && c.width > 0)"
    )
    assert drawn == [True] * 7
    for index in range(7):
        chart_id = canvases.nth(index).get_attribute("data-chart")
        expect(page.locator(f"#{chart_id}-caption")).to_be_visible()
    expect(page.get_by_role("table", name="Participants at each stage")).to_contain_text("Submitted")
    # Nothing is wider than a phone's screen: wide tables scroll inside their own region.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    screenshot(page, "dashboard")
    assert axe_violations(page) == []


def test_search_finds_an_answer_from_the_dashboard(page: Page, live_server, dashboard_url: str):
    sign_in(page, live_server.url, *organiser())
    page.goto(dashboard_url)
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Words").fill("audit logs")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="5 results")).to_be_visible()
    screenshot(page, "dashboard-search")
    assert axe_violations(page) == []
