"""Comments on passages of a draft in Chromium, with axe: select words, comment with a proposed change, reload
while typing and find the text again, edit, see it on the review page; the same with the keyboard alone. Desktop
and phone, English and Arabic (right to left)."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from feedback.models import (
    Comment,
    Consultation,
    ConsultationResource,
    Participant,
    Resource,
    ResourceSection,
)
from tests.browser.conftest import axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSAGE = "only where the law allows it"
FIRST = (
    "An agency uses AI only where the law allows it, and only as far as the purpose of the use requires: a "
    "system bought for one investigation is not turned to another without a fresh assessment."
)
ARABIC = "ينبغي أن يحدد النص القانون المقصود بوضوح."


@pytest.fixture(params=["en", "ar"])
def draft(request: pytest.FixtureRequest, live_server) -> dict[str, str]:
    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Technology providers' consultation",
        slug="tech",
        stakeholder_group="Technology providers",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
    )
    resource = Resource.objects.create(title="Principles for Responsible AI Innovation", category="primary")
    version = resource.latest_version()
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
    first = ResourceSection.objects.create(
        resource=resource, version=version, position=1, number="1", heading="Lawfulness"
    )
    first.paragraphs.create(number=1, text=FIRST)
    first.paragraphs.create(
        number=2, kind="list_item", level=1, text="Legitimacy: a lawful aim, stated in advance."
    )
    first.paragraphs.create(number=3, kind="table_row", text="Principle | Question to ask | Evidence")
    second = ResourceSection.objects.create(
        resource=resource, version=version, position=2, number="1.1", level=2, heading="Necessity"
    )
    second.paragraphs.create(number=1, text="Use the least intrusive tool that does the job.")
    participant = Participant(
        consultation=consultation,
        name="Amira Haddad",
        email="amira@example.org",
        organisation="Sentinel Forensics",
        attribution=Participant.Attribution.NAMED,
        consented_at=now,
        language=request.param,
    )
    token = participant.issue_token()
    participant.save()
    return {
        "language": request.param,
        "invite": f"{live_server.url}/i/{token}/",
        "resource": f"{live_server.url}/c/tech/resources/{resource.pk}/",
        "review": f"{live_server.url}/c/tech/review/",
    }


def open_invitation(page: Page, draft: dict[str, str]) -> None:
    page.goto(draft["invite"])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/c/tech/**")
    page.goto(draft["resource"])
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if draft["language"] == "ar" else "ltr")


def select_words(page: Page, paragraph: str, words: str) -> None:
    page.evaluate(
        """([paragraph, words]) => {
            const text = document.querySelector(`#${paragraph} [data-paragraph-text]`).firstChild;
            const start = text.data.indexOf(words);
            const range = document.createRange();
            range.setStart(text, start);
            range.setEnd(text, start + words.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [paragraph, words],
    )


def wait_for(condition, timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_participant_comments_on_a_passage_reloads_mid_typing_edits_and_reviews(page: Page, draft):
    comment_text = (
        ARABIC if draft["language"] == "ar" else "Say which law: national law and human rights law."
    )
    open_invitation(page, draft)

    select_words(page, "section-1-p1", PASSAGE)
    page.locator(".passage-button").click()
    form = page.locator("#new-comment-section-1")
    expect(form.locator("textarea[name=quote]")).to_have_value(PASSAGE)
    expect(form.locator("textarea[name=text]")).to_be_focused()
    form.locator("input[value=technical]").check()
    form.locator("textarea[name=proposed_change]").fill("only where national and international law allow it")
    form.locator("textarea[name=text]").press_sequentially(comment_text, delay=5)
    wait_for(lambda: Comment.objects.filter(text=comment_text).exists())
    # Typing on and leaving at once: the text is saved on leaving, or kept in the browser and restored.
    form.locator("textarea[name=text]").press_sequentially(" 2024", delay=5)
    page.reload()
    wait_for(lambda: Comment.objects.filter(text=comment_text + " 2024").exists())
    saved = Comment.objects.get()
    assert (saved.quote, saved.kind, saved.paragraph.number) == (PASSAGE, "technical", 1)
    assert saved.proposed_change == "only where national and international law allow it"
    page.reload()

    mark = page.locator(f"mark#passage-{saved.pk}")
    expect(mark).to_have_text(PASSAGE)
    item = page.locator(f"#comment-{saved.pk}")
    expect(item).to_contain_text(comment_text + " 2024")
    assert axe_violations(page) == []
    screenshot(page, f"passages-{draft['language']}")

    item.locator("a[data-edit-comment]").click()
    item.locator("textarea[name=text]").fill(comment_text + " (edited)")
    item.locator("form.comment-form button[type=submit]").click()
    expect(page.locator(f"#comment-{saved.pk} .answer-text").first).to_have_text(comment_text + " (edited)")

    page.goto(draft["review"])
    expect(page.locator("main")).to_contain_text("1 ¶1")
    expect(page.locator("main")).to_contain_text(PASSAGE)
    expect(page.locator("main")).to_contain_text(comment_text + " (edited)")
    expect(page.locator("main")).to_contain_text("only where national and international law allow it")
    assert axe_violations(page) == []


def test_keyboard_alone_comments_on_a_paragraph_and_reaches_the_passage(page: Page, draft):
    open_invitation(page, draft)

    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#section-1-p1') !== null"):
            break
    expect(page.locator("#section-1-p1 button.para-number")).to_be_focused()
    page.keyboard.press("Enter")
    form = page.locator("#new-comment-section-1")
    # The form opens beside the paragraph, at the passage to quote (optional), then the type and the comment.
    expect(form.locator("textarea[name=quote]")).to_be_focused()
    page.keyboard.type("as far as the purpose of the use requires")
    page.keyboard.press("Tab")
    # The type of comment is a radio group: arrows move the choice (the other way round right to left). Press
    # until "technical" is chosen, checking each time, so a slow machine cannot make the test race the browser.
    technical = form.locator("input[name=kind][value=technical]")
    expect(form.locator("input[name=kind]:checked")).to_be_focused()
    for _ in range(3):
        if technical.is_checked():
            break
        page.keyboard.press("ArrowRight" if draft["language"] == "en" else "ArrowLeft")
    expect(technical).to_be_checked()
    page.keyboard.press("Tab")
    expect(form.locator("textarea[name=text]")).to_be_focused()
    page.keyboard.type("The purpose test needs an example.")
    page.keyboard.press("Tab")
    page.keyboard.type("and only as far as the stated purpose requires")
    page.keyboard.press("Tab")
    expect(form.locator("button[type=submit]")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"#comment-\d+$"))
    saved = Comment.objects.get(quote="as far as the purpose of the use requires")
    assert saved.proposed_change == "and only as far as the stated purpose requires"
    assert saved.kind == "technical"
    link = page.locator(f"#comment-{saved.pk} a[href='#passage-{saved.pk}']")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"mark#passage-{saved.pk}")).to_be_focused()
    back = page.locator(f"a.passage-link[href='#comment-{saved.pk}']")
    back.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#comment-{saved.pk}")).to_be_focused()
    assert axe_violations(page) == []
