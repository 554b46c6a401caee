"""The Content Security Policy in Chromium: participant pages, autosave, charts and the admin work under it, and
the browser reports no violation anywhere; inline scripts and styles are refused."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

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
from tests.browser.conftest import DESKTOP, organiser, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Runs before any page script, in every document: Playwright's init scripts are not subject to the page's CSP.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber} (${event.sample})`);
});
"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """One desktop page recording CSP violations, from the page's events and from the console."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(10_000)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.console_violations = []
    page.on(
        "console",
        lambda message: (
            page.console_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()


def violations(page: Page) -> list[str]:
    """What the browser refused on the current page, and anything it logged about the policy so far."""
    return page.evaluate("window.__csp") + page.console_violations


def assert_clean(page: Page, where: str) -> None:
    page.wait_for_load_state("load")
    assert violations(page) == [], where


@pytest.fixture
def consultation(live_server) -> Consultation:
    """An open consultation with questions of each chart kind, a resource in sections, and five submitted
    responses with approved, themed answers (for the dashboard and the queue)."""
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
    text = Question.objects.create(
        consultation=consultation, number=1, text="Your thoughts on the Toolkit?", is_required=True
    )
    scale = Question.objects.create(
        consultation=consultation,
        number=2,
        kind="scale",
        text="How useful is the Toolkit?",
        scale_min_label="Not useful",
        scale_max_label="Very useful",
    )
    choice = Question.objects.create(
        consultation=consultation, number=3, kind="yes_no", text="Would you use it?"
    )
    resource = Resource.objects.create(title="Principles for Responsible AI Innovation", category="primary")
    resource.sections.create(position=1, heading="Lawfulness", body="Legitimacy; necessity; proportionality.")
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
    theme = codebook.themes.order_by("code").first()
    for number in range(1, 6):
        participant = Participant.objects.create(
            consultation=consultation,
            name=f"Person {number}",
            email=f"p{number}@example.org",
            organisation=f"Provider {number}",
            attribution="named",
            invited_at=now,
            first_opened_at=now,
        )
        response = Response.objects.create(
            participant=participant, status="submitted", submitted_at=now, last_edited_at=now
        )
        answer = Answer.objects.create(response=response, question=text, text=f"Audit logs ({number}).")
        answer.themes.add(theme)
        Answer.objects.create(response=response, question=scale, selected=[str(number)], status="approved")
        Answer.objects.create(response=response, question=choice, selected=["yes"], status="approved")
    Comment.objects.create(response=response, resource=resource, text="Say who audits.")
    return consultation


def test_the_policy_refuses_inline_scripts_and_event_handlers_and_the_listener_sees_it(
    page: Page, live_server
):
    page.goto(f"{live_server.url}/healthz")
    page.goto(f"{live_server.url}/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inline = true";
          document.body.append(script);
          document.body.insertAdjacentHTML("beforeend", '<img src="/nowhere" onerror="window.__handler = true">');
          document.body.insertAdjacentHTML("beforeend", '<p style="color: red">styled</p>');
        }"""
    )
    page.wait_for_function("window.__csp.length >= 3")

    assert page.evaluate("[window.__inline, window.__handler]") == [None, None]
    directives = {line.split(" ")[0] for line in page.evaluate("window.__csp")}
    assert directives == {"script-src-elem", "script-src-attr", "style-src-attr"}


def test_a_participant_answers_autosaves_comments_and_submits_without_a_violation(
    page: Page, live_server, consultation: Consultation
):
    participant = Participant(consultation=consultation, name="Amira Haddad", email="amira@example.org")
    token = participant.issue_token()
    participant.save()
    base = f"{live_server.url}/c/tech/"

    page.goto(f"{live_server.url}/i/{token}/")
    assert_clean(page, "invite")
    page.get_by_role("button", name="Continue to the consultation").click()
    expect(page).to_have_url(base + "profile/")
    assert_clean(page, "profile")
    page.locator("#id_organisation").fill("Sentinel Forensics")
    page.locator("#id_role").fill("Head of Responsible AI")
    page.locator("#id_organisation_type").select_option("provider_mixed")
    page.locator("#id_country").select_option("FR")
    page.get_by_label("Named: my name and organisation may be quoted").check()
    page.get_by_label("I agree that the organisers record my feedback").check()
    page.get_by_role("button", name="Save and continue to the questions").click()

    expect(page).to_have_url(base + "questions/")
    page.locator("#id_q1").fill("Typed under a strict policy.")
    expect(page.locator("#id_q1-status")).to_contain_text("Saved at")  # autosave's fetch is allowed
    expect(page.locator("#id_q1-counter")).to_contain_text("of 5,000 characters")  # fields.js ran
    assert Answer.objects.get(response__participant=participant, question__number=1).text == (
        "Typed under a strict policy."
    )
    assert_clean(page, "questions")

    page.goto(base)
    assert_clean(page, "consultation home")
    page.get_by_role("link", name="Principles for Responsible AI Innovation").click()
    assert_clean(page, "resource")
    page.locator("#new-comment-section-1").get_by_label("Your comment").fill("Name the auditor.")
    page.locator("#section-1").get_by_role("button", name="Save comment").click()
    expect(page.get_by_text("Your comment was saved at")).to_be_visible()

    page.goto(base + "review/")
    assert_clean(page, "review")
    page.get_by_role("button", name="Submit my feedback").click()
    expect(page.get_by_role("heading", name="Receipt of your feedback")).to_be_visible()
    assert_clean(page, "receipt")
    assert Response.objects.get(participant=participant).status == Response.Status.SUBMITTED


def test_the_dashboard_draws_its_charts_without_a_violation(
    page: Page, live_server, consultation: Consultation
):
    sign_in(page, live_server.url, *organiser())
    assert_clean(page, "admin index after sign-in")

    page.goto(f"{live_server.url}/analysis/tech/")
    page.wait_for_function("typeof Chart !== 'undefined'")
    drawn = page.evaluate(
        "[...document.querySelectorAll('canvas')].map(c => Chart.getChart(c) !== undefined && c.width > 0)"
    )
    assert drawn and all(drawn)
    assert_clean(page, "dashboard")


ADMIN_PAGES = [
    "/admin/",
    "/admin/feedback/answer/",
    "/admin/feedback/answer/?status=all",
    "/admin/feedback/comment/",
    "/admin/feedback/participant/",
    "/admin/feedback/participant/import/",
    "/admin/feedback/consultation/",
    "/admin/feedback/consultation/add/",
    "/admin/feedback/resource/add/",
    "/admin/feedback/codebook/",
    "/admin/feedback/auditevent/",
]


def test_the_admin_works_without_a_violation(page: Page, live_server, consultation: Consultation):
    sign_in(page, live_server.url, *organiser())
    for path in ADMIN_PAGES:
        page.goto(live_server.url + path)
        assert_clean(page, path)

    # A change form with inlines and a prepopulated slug: its scripts add inline rows and fill the slug.
    page.goto(f"{live_server.url}/admin/feedback/consultation/{consultation.pk}/change/")
    assert_clean(page, "consultation change form")
    page.goto(f"{live_server.url}/admin/feedback/consultation/add/")
    page.locator("#id_title_en").press_sequentially("Judiciary consultation")
    expect(page.locator("#id_slug")).to_have_value("judiciary-consultation")
    page.locator(".add-row a").last.click()  # inlines.js adds a question row
    expect(page.locator("input[name$='-TOTAL_FORMS']").last).to_have_value("1")
    assert_clean(page, "consultation add form with an added inline")

    page.goto(f"{live_server.url}/admin/feedback/consultation/{consultation.pk}/export/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_clean(page, "export page")

    # An answer's change form: filter_horizontal themes (SelectFilter2), the redaction page and cell.
    answer = Answer.objects.filter(question__number=1).first()
    Answer.objects.filter(pk=answer.pk).update(
        redacted_text="[redacted] (1).", redaction_reason="Names a supplier"
    )
    page.goto(f"{live_server.url}/admin/feedback/answer/{answer.pk}/change/")
    expect(page.locator("#id_themes_from")).to_be_visible()
    assert_clean(page, "answer change form")
    page.goto(f"{live_server.url}/admin/feedback/answer/{answer.pk}/redact/")
    assert_clean(page, "redaction page")

    # The bulk tagging page, reached through the changelist's action.
    page.goto(f"{live_server.url}/admin/feedback/answer/?status=all")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(label="Add themes…")
    page.get_by_role("button", name="Run").or_(page.get_by_role("button", name="Go")).click()
    expect(page.get_by_role("button", name="Apply")).to_be_visible()
    assert_clean(page, "tag themes page")
