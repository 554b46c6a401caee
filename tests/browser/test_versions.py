"""From comment to change in Chromium: a participant reads the responses to their comments in each language and at
phone width (axe-clean) and says whether one satisfies them; an organiser compares two versions and links a
comment to the redlined paragraph that addresses it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from feedback.models import Comment, CommentChange, Consultation, ConsultationResource, Participant, Response
from feedback.organising import responses, versions
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, organiser, sign_in
from tests.test_versions import V1, V2, paragraph

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def world(language: str = "en") -> dict:
    """A consultation whose toolkit has comments on version 1, a version 2, one comment linked to the change
    that addresses it, and the responses published with a deadline in two weeks."""
    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Technology providers",
        slug="tech",
        stakeholder_group="Technology providers",
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=1),
    )
    olga = User.objects.filter(username="olga").first()
    toolkit = versions.import_new_resource(
        consultation=consultation, draft=V1, source_name="v1.docx", by=olga
    ).resource
    alice = Participant(
        consultation=consultation,
        name="Alice Martin",
        email="alice@example.org",
        language=language,
        attribution="named",
        consented_at=now,
    )
    token = alice.issue_token()
    alice.save()
    bob = Participant.objects.create(consultation=consultation, name="Bob", email="bob@example.org")
    oversight = paragraph(toolkit, 1, "2", 2)
    mine = Comment.objects.create(
        response=Response.objects.create(participant=alice, status="submitted", submitted_at=now),
        resource=toolkit,
        section=oversight.section,
        paragraph=oversight,
        quote="every automated decision that affects a person",
        quote_start=oversight.text.index("every automated decision"),
        kind=Comment.Kind.TECHNICAL,
        text="Too broad: say which decisions.",
        proposed_change="decisions with legal effect",
        disposition=Comment.Disposition.ACCEPTED,
        organiser_reply="Narrowed to decisions with legal or similar effect.",
    )
    Comment.objects.create(
        response=Response.objects.create(participant=bob, status="submitted", submitted_at=now),
        resource=toolkit,
        section=oversight.section,
        text="Bob's private comment.",
    )
    versions.import_version(resource=toolkit, draft=V2, source_name="v2.docx", by=olga)
    return {"consultation": consultation, "toolkit": toolkit, "alice": alice, "token": token, "comment": mine}


def publish(data: dict) -> None:
    responses.link_changes(
        comment=data["comment"], paragraphs=[paragraph(data["toolkit"], 2, "2", 1)], by=None
    )
    link = ConsultationResource.objects.get(consultation=data["consultation"], resource=data["toolkit"])
    responses.publish_responses(link=link, deadline=timezone.now() + timedelta(days=14), by=None)


@pytest.fixture(
    params=[
        ("en", DESKTOP),
        ("en", PHONE),
        ("fr", DESKTOP),
        ("es", DESKTOP),
        ("ar", DESKTOP),
        ("ar", PHONE),
    ],
    ids=["en-desktop", "en-phone", "fr-desktop", "es-desktop", "ar-desktop", "ar-phone"],
)
def language_page(request: pytest.FixtureRequest, browser: Browser):
    language, viewport = request.param
    context = browser.new_context(viewport=viewport, locale=language, timezone_id="Asia/Singapore")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = request.node.callspec.id
    yield language, page
    context.close()


def test_a_participant_reads_the_responses_to_their_comments_in_their_language(live_server, language_page):
    language, page = language_page
    data = world(language)
    publish(data)
    # Publishing mailed her a fresh link (the earlier one stops working): the one she would open.
    alice = Participant.objects.get(pk=data["alice"].pk)
    token = alice.issue_token()
    alice.save()

    page.goto(f"{live_server.url}/i/{token}/")
    page.locator("main form button[type=submit]").click()
    page.goto(f"{live_server.url}/c/tech/responses/")

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    card = page.locator(f"#comment-{data['comment'].pk}")
    expect(card).to_contain_text("Too broad: say which decisions.")
    expect(card).to_contain_text("Narrowed to decisions with legal or similar effect.")
    expect(card.locator("ins")).to_contain_text("with legal or similar effect on")
    expect(card.locator("del")).to_contain_text("that affects")
    expect(page.locator("main")).not_to_contain_text("Bob's private comment.")
    # The navigation leads here once responses are published.
    expect(page.locator(".participant-nav a[aria-current=page]")).to_have_attribute(
        "href", "/c/tech/responses/"
    )
    assert axe_violations(page) == []
    scrollable = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert scrollable, "the page scrolls sideways"
    page.screenshot(path=f"/tmp/versions-responses-{page.viewport_name}.png", full_page=True)  # noqa: S108

    page.fill(f"#note-{data['comment'].pk}", "Still too broad for border checks.")
    card.locator("button[formaction]").click()

    expect(page.locator(".alert-success, .messages").first).to_be_visible()
    comment = Comment.objects.get(pk=data["comment"].pk)
    assert comment.satisfaction == "not_satisfied"
    assert comment.satisfaction_note == "Still too broad for border checks."
    assert axe_violations(page) == []


def test_an_organiser_compares_versions_and_links_a_comment_to_the_redlined_paragraph(
    live_server, page: Page
):
    username, password = organiser()
    User.objects.get(username=username).user_permissions.add(
        Permission.objects.get(codename="dispose_comment")
    )
    data = world()
    sign_in(page, live_server.url, username, password)

    page.goto(f"{live_server.url}/admin/feedback/resource/{data['toolkit'].pk}/change/")
    page.get_by_role("link", name="Compare versions").click()
    expect(page.get_by_role("heading", name="Changes from version 1 to version 2")).to_be_visible()
    expect(page.locator(".redline-changed ins").first).to_contain_text("with legal or similar effect on")
    expect(page.locator(".redline-moved").first).to_contain_text("2 ¶1 → 1 ¶3")
    assert axe_violations(page) == []
    page.screenshot(path=f"/tmp/versions-redline-{page.viewport_name}.png", full_page=True)  # noqa: S108

    page.goto(f"{live_server.url}/admin/feedback/comment/{data['comment'].pk}/change/")
    target = paragraph(data["toolkit"], 2, "2", 1)
    page.select_option("#id_addressed_by", [str(target.pk)])
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.locator(".linked-change").first).to_contain_text("v2, 2 ¶1")
    expect(page.locator(".linked-change ins").first).to_contain_text("with legal or similar effect on")
    assert CommentChange.objects.filter(comment=data["comment"], paragraph=target).exists()
    # Django's own parts of the change form (the themes' filter_horizontal help icons, the breadcrumbs after a
    # save message) have findings of their own; what this feature adds must be clean.
    django_own = ("id_themes", ".breadcrumbs")
    ours = [
        v
        for v in axe_violations(page)
        if not all(any(part in str(node) for part in django_own) for node in v["nodes"])
    ]
    assert ours == []
    page.screenshot(path=f"/tmp/versions-redline-linked-{page.viewport_name}.png", full_page=True)  # noqa: S108
