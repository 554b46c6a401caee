"""Autosave through a database outage in Chromium: the server answers 503 a few times, the text stays in the
browser, the save is retried and lands once the server is back."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route, expect

from feedback.models import Answer, Consultation, Participant, Question
from tests.browser.conftest import DESKTOP, screenshot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OUTAGE = {
    "status": 503,
    "content_type": "application/json",
    "body": '{"error": "The service is briefly unavailable; your text is kept in this browser, try again in a '
    'minute."}',
}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """Desktop only: the retries wait for autosave.js's real backoff (2 s, then 4 s), once is enough."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = "desktop"
    yield page
    context.close()


@pytest.fixture
def questions_url(live_server) -> str:
    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Technology providers' consultation",
        slug="tech",
        stakeholder_group="Technology providers",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
    )
    Question.objects.create(
        consultation=consultation, number=1, text="What are your thoughts on the Toolkit?"
    )
    participant = Participant(
        consultation=consultation,
        name="Amira Haddad",
        email="amira@example.org",
        attribution=Participant.Attribution.NAMED,
        consented_at=now,
    )
    token = participant.issue_token()
    participant.save()
    return f"{live_server.url}/i/{token}/"


def kept_in_browser(page: Page) -> str | None:
    """The draft autosave.js keeps in localStorage until the server confirms it."""
    return page.evaluate(
        "() => { const key = document.querySelector('form[data-autosave-url]').dataset.storageKey;"
        " const kept = localStorage.getItem(key + ':q1'); return kept && JSON.parse(kept).v; }"
    )


def test_a_failed_autosave_keeps_the_text_retries_and_saves_once_the_server_is_back(
    page: Page, questions_url
):
    page.goto(questions_url)
    page.get_by_role("button", name="Continue to the consultation").click()
    page.goto(questions_url.split("/i/")[0] + "/c/tech/questions/")
    failures = []

    def database_away(route: Route) -> None:
        if len(failures) < 2:
            failures.append(route.request.post_data)
            route.fulfill(**OUTAGE)
        else:
            route.continue_()

    page.route("**/c/tech/autosave/", database_away)
    page.locator("#id_q1").fill("Written while the database restarts.")
    page.locator("#id_q1").blur()

    expect(page.locator("#id_q1-status")).to_have_text("Not saved — retrying…")
    expect(page.locator("#autosave-status")).to_have_text("Not saved — retrying…")
    assert kept_in_browser(page) == "Written while the database restarts."
    assert not Answer.objects.exists()
    screenshot(page, "outage-retrying")

    # The first retry (2 s later) meets the outage too, the second (4 s after that) gets through.
    expect(page.locator("#id_q1-status")).to_contain_text("Saved at", timeout=15_000)
    assert len(failures) == 2
    assert Answer.objects.get().text == "Written while the database restarts."
    assert kept_in_browser(page) is None


def test_text_typed_during_an_outage_comes_back_after_a_reload(page: Page, questions_url):
    page.goto(questions_url)
    page.get_by_role("button", name="Continue to the consultation").click()
    questions = questions_url.split("/i/")[0] + "/c/tech/questions/"
    page.goto(questions)
    page.route("**/c/tech/autosave/", lambda route: route.fulfill(**OUTAGE))
    page.locator("#id_q1").fill("Typed, then the tab was closed.")
    page.locator("#id_q1").blur()
    expect(page.locator("#id_q1-status")).to_have_text("Not saved — retrying…")

    page.unroute("**/c/tech/autosave/")
    page.goto(questions)

    expect(page.locator("#id_q1")).to_have_value("Typed, then the tab was closed.")
    expect(page.locator("#id_q1-status")).to_contain_text("Restored text you had not yet saved")
    expect(page.locator("#id_q1-status")).to_contain_text("Saved at")
    assert Answer.objects.get().text == "Typed, then the tab was closed."


def test_leaving_on_this_browser_takes_unsent_drafts_with_it(page: Page, questions_url):
    page.goto(questions_url)
    page.get_by_role("button", name="Continue to the consultation").click()
    page.goto(questions_url.split("/i/")[0] + "/c/tech/questions/")
    page.route("**/autosave/", lambda route: route.fulfill(**OUTAGE))
    page.locator("#id_q1").fill("Not for the next person at this computer")
    page.locator("#id_q1").blur()
    expect(page.locator("#id_q1-status")).to_contain_text("Not saved")
    assert kept_in_browser(page) == "Not for the next person at this computer"
    page.unroute("**/autosave/")

    page.get_by_role("button", name="Leave on this browser").click()

    expect(page).not_to_have_url(questions_url.split("/i/")[0] + "/c/tech/questions/")
    leftovers = page.evaluate("() => Object.keys(localStorage).filter((key) => key.startsWith('feedback:'))")
    assert leftovers == []
