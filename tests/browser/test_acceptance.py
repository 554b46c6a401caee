"""What became of the comments, in Chromium: the dashboard's acceptance section and the comment-resolution report,
in English and Arabic, at desktop and phone width, with axe."""

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, axe_violations, organiser, sign_in
from tests.test_acceptance import make_rounds, make_toolkit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(params=[("en", DESKTOP), ("ar", DESKTOP), ("en", PHONE), ("ar", PHONE)], ids=lambda p: p[0])
def language_page(request: pytest.FixtureRequest, browser: Browser):
    language, viewport = request.param
    context = browser.new_context(viewport=viewport, locale=language, timezone_id="Asia/Singapore")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = "desktop" if viewport == DESKTOP else "phone"
    yield language, page
    context.close()


def keep(element, name: str) -> None:
    """A screenshot of the element, for the closing note (docs/screenshots when SCREENSHOT_DIR points there)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    element.screenshot(path=SCREENSHOTS / f"{name}.png")


def check(page: Page, section: Locator, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    # Wide tables scroll inside their own region, never the section or the page.
    assert section.evaluate("element => element.scrollWidth <= element.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []


def test_the_dashboard_and_the_report_show_what_became_of_the_comments(live_server, language_page):
    language, page = language_page
    toolkit = make_toolkit()
    make_rounds(toolkit)
    username, password = organiser()
    if language == "en":
        sign_in(page, live_server.url, username, password)
    else:  # sign_in waits for an English "Log out"
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/analysis/industry-1/")
    section = page.locator("section#acceptance")
    table = section.get_by_role("table")
    expect(table).to_have_count(1)
    expect(table.locator("tbody tr")).to_have_count(5)  # two groups, three rounds
    first = table.locator("tr.acceptance-round").filter(has_text="Industry round industry-1")
    expect(first.locator("td.text-end")).to_have_text(["5", "5", "2", "1", "1", "0", "1", "1", "2", "1"])
    expect(table.locator("td.suppressed")).to_have_count(2)  # academia and its one round
    check(page, section, language)
    keep(section, f"acceptance-dashboard-{page.viewport_name}-{language}")
    # The table scrolls by keyboard: its region takes the focus.
    section.get_by_role("region").focus()
    expect(section.get_by_role("region")).to_be_focused()

    page.goto(f"{live_server.url}/analysis/industry-1/resources/{toolkit.pk}/resolution/")
    report = page.locator("section#acceptance")
    expect(report.locator("tr.acceptance-round")).to_have_count(3)
    check(page, report, language)
    keep(report, f"acceptance-report-{page.viewport_name}-{language}")
    # The comparison tells the rounds apart: chosen by keyboard, a resource's figures per round.
    page.goto(f"{live_server.url}/analysis/compare/")
    page.locator("#compare-resource").select_option(str(toolkit.pk))
    page.locator("#compare-resource").focus()
    page.keyboard.press("Tab")  # to the Compare button
    page.keyboard.press("Enter")
    page.wait_for_url(f"**resource={toolkit.pk}")
    figures = page.locator("section").filter(has=page.locator("#compare-acceptance-heading"))
    expect(figures.locator("tr.acceptance-round")).to_have_count(3)
    rounds = page.locator("section").filter(has=page.locator("#rounds-heading"))
    expect(rounds.locator("tbody tr")).to_have_count(3)
    check(page, figures, language)
