"""The whole participant journey with the keyboard alone: the skip link, the invitation, the profile, an answer, a
comment with a proposed change on a paragraph of a draft, the review and the submission. No click; every element
the Tab key reaches shows where the focus is."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from feedback.models import (
    Answer,
    Comment,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    ResourceSection,
    Response,
)
from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The focused element draws an outline or a ring (Bootstrap's box-shadow), and the browser counts it as visible
# focus (:focus-visible), which a keyboard user always gets.
FOCUS_SHOWN = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  return {
    element: element.outerHTML.slice(0, 120),
    // Past the last element the focus leaves the page (the browser's own controls) and comes back at the top.
    shown: element === document.body || element.matches(":focus-visible") && box.width > 1 && box.height > 1
      && ((style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none"),
  };
}"""


def tab_to(page: Page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until the focus is on `selector`, checking that every stop on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_SHOWN)
        assert focus["shown"], f"focus not visible on {focus['element']}"
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


@pytest.fixture
def journey(live_server) -> dict[str, str]:
    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Technology providers' consultation",
        slug="tech",
        stakeholder_group="Technology providers",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
    )
    Question.objects.create(
        consultation=consultation, number=1, text="What are your thoughts on the Toolkit?", is_required=True
    )
    resource = Resource.objects.create(title="Principles for Responsible AI Innovation", category="primary")
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
    section = ResourceSection.objects.create(
        resource=resource, version=resource.latest_version(), position=1, number="1", heading="Lawfulness"
    )
    section.paragraphs.create(number=1, text="An agency uses AI only where the law allows it.")
    participant = Participant(consultation=consultation, name="Amira Haddad", email="amira@example.org")
    token = participant.issue_token()
    participant.save()
    return {"invite": f"{live_server.url}/i/{token}/", "resource": str(resource.pk)}


def test_the_whole_journey_can_be_made_with_the_keyboard_alone(browser: Browser, journey):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(journey["invite"])

    # The first Tab reaches the skip link, shown; Enter moves the focus to the main content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["width"] > 1
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_to(page, "main button[type=submit]")  # Continue to the consultation
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/c/tech/profile/(#.*)?$"))

    tab_to(page, "#id_organisation")
    page.keyboard.type("Sentinel Forensics")
    tab_to(page, "#id_role")
    page.keyboard.type("Head of Responsible AI")
    tab_to(page, "#id_organisation_type")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_organisation_type")).not_to_have_value("")
    tab_to(page, "#id_country")
    page.keyboard.type("France")
    expect(page.locator("#id_country")).to_have_value("FR")
    tab_to(page, "input[name=attribution]")
    page.keyboard.press("Space")
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/c/tech/questions/(#.*)?$"))

    tab_to(page, "#id_q1")
    page.keyboard.type("Typed with the keyboard alone.")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your answers were saved at")).to_be_visible()

    page.keyboard.press("Tab")  # from the page's top: the skip link, then the steps
    tab_to(page, "nav a[href$='/c/tech/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/c/tech/(#.*)?$"))
    tab_to(page, f"main a[href$='/resources/{journey['resource']}/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/resources/{journey['resource']}/(#.*)?$"))

    # A comment on the first paragraph, quoting a passage, with a proposed change.
    tab_to(page, "#section-1-p1 button.para-number", limit=80)
    page.keyboard.press("Enter")
    form = page.locator("#new-comment-section-1")
    expect(form.locator("textarea[name=quote]")).to_be_focused()
    page.keyboard.type("only where the law allows it")
    tab_to(page, "#new-comment-section-1 textarea[name=text]")
    page.keyboard.type("Which law: national, international, or both?")
    tab_to(page, "#new-comment-section-1 textarea[name=proposed_change]")
    page.keyboard.type("only where national and international law allow it")
    tab_to(page, "#new-comment-section-1 button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        f"{journey['invite'].split('/i/')[0]}/c/tech/resources/{journey['resource']}/#comment-{Comment.objects.get().pk}"
    )

    tab_to(page, "nav a[href$='/c/tech/review/']", limit=80)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/c/tech/review/(#.*)?$"))
    expect(page.locator("main")).to_contain_text("Which law: national, international, or both?")
    tab_to(page, "main button[type=submit]", limit=80)  # Submit my feedback
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Receipt of your feedback")).to_be_visible()
    context.close()

    response = Response.objects.get(participant__email="amira@example.org")
    assert response.status == Response.Status.SUBMITTED
    assert Answer.objects.get().text == "Typed with the keyboard alone."
    comment = Comment.objects.get()
    assert (comment.quote, comment.proposed_change) == (
        "only where the law allows it",
        "only where national and international law allow it",
    )
