"""The meeting in Chromium: a moderator and two participants in separate browsers. "Next" on the console reaches
both participants' pages within 5 s, while one of them keeps typing a live point undisturbed."""

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from feedback.models import AgendaItem, Consultation, LivePoint, Participant, Question
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, axe_violations, organiser, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    made = []

    def new(timezone_id: str) -> BrowserContext:
        context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id=timezone_id)
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield new
    for context in made:
        context.close()


@pytest.fixture
def meeting(live_server) -> dict:
    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Technology providers' consultation",
        slug="tech",
        stakeholder_group="Technology providers",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
        meeting_starts_at=now + timedelta(days=2),
        meeting_ends_at=now + timedelta(days=2, minutes=90),
        time_zone="Europe/Paris",
        join_url="https://meeting.example.org/join/demo",
    )
    question = Question.objects.create(
        consultation=consultation, number=1, text="What are your thoughts on the Toolkit?"
    )
    AgendaItem.objects.create(
        consultation=consultation, position=1, title="Presentation of the Toolkit", planned_minutes=20
    )
    AgendaItem.objects.create(
        consultation=consultation, position=2, title="Individual feedback", planned_minutes=25
    )
    AgendaItem.objects.create(
        consultation=consultation, position=3, title="Group discussion", planned_minutes=45, question=question
    )
    links = {}
    for name, email, organisation in (
        ("Amira Haddad", "amira@example.org", "Sentinel Analytics"),
        ("Bruno Costa", "bruno@example.org", "Northbridge Cloud"),
    ):
        participant = Participant(
            consultation=consultation,
            name=name,
            email=email,
            organisation=organisation,
            attribution=Participant.Attribution.NAMED,
            consented_at=now,
        )
        token = participant.issue_token()
        participant.save()
        links[name] = f"{live_server.url}/i/{token}/"
    return {"url": live_server.url, "links": links, "moderator": organiser()}


def join(context: BrowserContext, link: str, base: str) -> Page:
    page = context.new_page()
    page.goto(link)
    page.get_by_role("button", name="Continue to the consultation").click()
    page.goto(f"{base}/c/tech/meeting/")
    return page


def test_next_reaches_both_participants_within_5_s_while_one_keeps_typing(meeting, contexts):
    base = meeting["url"]
    console = contexts("Europe/Paris").new_page()
    sign_in(console, base, *meeting["moderator"])
    console.goto(f"{base}/meeting/tech/console/")
    console.get_by_role("button", name="Start a rehearsal").click()
    expect(console.get_by_text("Rehearsal", exact=True)).to_be_visible()

    amira = join(contexts("Asia/Singapore"), meeting["links"]["Amira Haddad"], base)
    bruno = join(contexts("America/New_York"), meeting["links"]["Bruno Costa"], base)
    for page in (amira, bruno):
        expect(page.locator("[data-now=title]")).to_have_text("1. Presentation of the Toolkit")
    # The agenda in the meeting's zone and, by the page's script, in the participant's own.
    expect(amira.locator(".agenda-item .local-time").first).to_be_visible()
    assert axe_violations(amira) == []

    # Amira types a point under the first item and keeps the caret in it.
    field = amira.get_by_label("Your point about “Presentation of the Toolkit”")
    field.click()
    field.press_sequentially("Audit logs should be ", delay=20)
    box_before = field.bounding_box()

    console.get_by_role("button", name="Next").click()
    clicked = time.monotonic()
    # Amira goes on typing while the change arrives.
    field.press_sequentially("kept for five years.", delay=60)
    for page in (amira, bruno):
        expect(page.locator("[data-now=title]")).to_have_text("2. Individual feedback", timeout=5_000)
    seen_within = time.monotonic() - clicked
    assert seen_within < 5

    # Her text, her caret and her field's place are as they were: nothing re-rendered or moved.
    assert field.input_value() == "Audit logs should be kept for five years."
    assert amira.evaluate("document.activeElement.name") == field.get_attribute("name")
    assert field.bounding_box() == box_before
    # The new item's field appears below hers; Bruno, who was not typing, sees only the new one.
    expect(amira.get_by_label("Your point about “Individual feedback”")).to_be_visible()
    expect(bruno.get_by_label("Your point about “Individual feedback”")).to_be_visible()
    expect(bruno.get_by_label("Your point about “Presentation of the Toolkit”")).to_be_hidden()
    # Autosave keeps her point under the item she wrote it for, as a rehearsal's.
    expect(amira.get_by_text("Saved at")).to_be_visible()
    point = LivePoint.objects.get(participant__name="Amira Haddad")
    assert point.agenda_item.title == "Presentation of the Toolkit" and point.is_rehearsal

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    amira.screenshot(path=SCREENSHOTS / "meeting-participant.png", full_page=True)
    console.reload()
    expect(console.locator("#present-count")).to_have_text("2")
    console.screenshot(path=SCREENSHOTS / "meeting-console.png", full_page=True)
    assert axe_violations(console) == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_meeting_page_in_arabic_reads_right_to_left_at_both_widths(meeting, browser, viewport):
    """Before and during the meeting, in Arabic: right to left, nothing wider than the screen, axe-clean, and a
    point typed in Arabic is saved."""
    from django.contrib.auth.models import User

    from feedback.meeting import services

    base = meeting["url"]
    Participant.objects.update(language="ar")
    context = browser.new_context(viewport=viewport, locale="ar", timezone_id="Asia/Dubai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = f"ar-{'phone' if viewport == PHONE else 'desktop'}"
    try:
        page.goto(meeting["links"]["Amira Haddad"])
        page.locator("main form [type=submit]").click()
        page.goto(f"{base}/c/tech/meeting/")

        def check(name: str) -> None:
            expect(page.locator("html")).to_have_attribute("lang", "ar")
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
            screenshot(page, name)
            assert axe_violations(page) == [], name

        expect(page.locator(".agenda-item .local-time").first).to_be_visible()
        check("meeting-before")

        consultation = Consultation.objects.get(slug="tech")
        services.start(consultation=consultation, by=User.objects.get(username="olga"))
        expect(page.locator("[data-now=title]")).to_have_text("1. Presentation of the Toolkit", timeout=5_000)
        field = page.locator("#id_live" + str(consultation.agenda_items.get(position=1).pk))
        expect(field).to_be_visible()
        assert field.evaluate("element => getComputedStyle(element).direction") == "rtl"
        field.fill(POINT_IN_ARABIC)
        field.blur()
        status = page.locator(
            f"#div_id_live{consultation.agenda_items.get(position=1).pk} .autosave-field-status"
        )
        expect(status).not_to_be_empty()
        check("meeting-live")
        # Titles and questions in another direction than the page are isolated, in the agenda and in the "now"
        # box as the moderator moves on: the question mark stays at the end of the English question.
        expect(page.locator(".agenda-item bdi").filter(has_text="Toolkit?")).to_have_count(1)
        for _step in range(2):
            services.move(consultation=consultation, by=User.objects.get(username="olga"), step=1)
        expect(page.locator("bdi[data-now=question-text]")).to_have_text(
            "What are your thoughts on the Toolkit?", timeout=5_000
        )
        expect(page.locator("bdi[data-now=item-title]")).to_have_text("Group discussion")
        deadline = time.monotonic() + 5
        while not LivePoint.objects.filter(text=POINT_IN_ARABIC).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert LivePoint.objects.get(participant__name="Amira Haddad").text == POINT_IN_ARABIC
    finally:
        context.close()


POINT_IN_ARABIC = "يجب الاحتفاظ بسجلات التدقيق خمس سنوات."
