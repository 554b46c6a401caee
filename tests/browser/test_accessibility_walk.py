"""Every page a person can reach, in every state that changes it, in every language, checked by axe-core.

The pages come from the URL walk's table (tests/test_url_walk.py): every participant, analysis and admin page
some persona may GET is walked here, as each persona that may open it; a page added to that table and not
walked here fails this test. The participant's pages are walked through the states that change them (before
the profile, with a draft, submitted, after the deadline, after the insights report and the responses are
published; the meeting before, during and after), at 1280 px and 375 px; staff pages at 1280 px.

One browser, one page per persona; the language is switched by its cookie (and a participant's stored choice),
never by signing in again; axe runs once per distinct page (its HTML, CSRF tokens aside), language and width.
"""

import contextlib
import hashlib
import os
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route

from feedback.models import Consultation, ConsultationResource, MeetingState, Participant, Response
from tests.browser.conftest import AXE, DESKTOP, PHONE, sign_in
from tests.conftest import rita as rita  # noqa: F401  (a fixture)
from tests.test_url_walk import (
    ADMIN_CUSTOM,
    ADMIN_MODELS,
    ADMIN_PAGE_LEVELS,
    SITE_CASES,
    STANDARD_ADMIN,
    url_patterns,
)
from tests.test_url_walk import world as world  # noqa: F401  (a fixture)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # The pages are the same HTML whatever the database: the walk runs once, in the SQLite run of `.ci/run`, so
    # that its minutes are not paid twice.
    pytest.mark.skipif(
        "postgresql" in settings.DATABASES["default"]["ENGINE"], reason="walked once, in the SQLite run"
    ),
]

LANGUAGES = os.environ.get("A11Y_WALK_LANGUAGES", "").split() or [code for code, _name in settings.LANGUAGES]
# axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules, and the best-practice rules on landmarks, headings and regions.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BEST_PRACTICE = r"^(landmark-.*|region|heading-order|page-has-heading-one|empty-heading|skip-link)$"
# The rule list is built in the page from axe's own catalogue; only violations come back (passes are many and slow
# to serialise on the admin's long forms).
RUN_AXE = """async ([wcag, bestPractice]) => {
  const rules = axe.getRules().filter(
    (rule) => rule.tags.some((tag) => wcag.includes(tag)) || new RegExp(bestPractice).test(rule.ruleId)
  ).map((rule) => rule.ruleId);
  const result = await axe.run(document, {runOnly: {type: "rule", values: rules}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({id: v.id, targets: v.nodes.map((n) => n.target.join(" "))}));
}"""
# Pages the table lists that are not HTML pages: nothing for axe to read.
NOT_PAGES = {
    "healthz": "plain text",
    "readyz": "plain text",
    "feedback:insights-csv": "a CSV file",
    "feedback:resolution-csv": "a CSV file",
    "feedback:acceptance-csv": "a CSV file",
    "feedback:comment-sheet-blank-xlsx": "a spreadsheet",
    "feedback:comment-sheet-blank-csv": "a CSV file",
    "admin:feedback_consultation_comment_sheet_blank": "a spreadsheet or CSV file",
    "feedback:meeting-now": "JSON for the meeting page's poll",
    "feedback:meeting-ics": "a calendar file",
    "feedback:resource-file": "the resource's own file",
    "admin:jsi18n": "JavaScript",
    "admin:view_on_site": "a redirect to the participant page (walked as a participant page)",
    "admin:logout": "a POST only; its GET answer is the sign-in page, walked",
}
# Staff walked here beyond the URL walk's table: rita the rapporteur (what she may open is asked of the server).
STAFF = ["olga", "mona", "ann", "rita"]


def page_names_the_table_opens() -> set[str]:
    """URL names of every page that some persona of the URL walk may GET (status 200)."""
    names = {
        name for name, _args, method, expected in SITE_CASES if method == "get" and 200 in expected.values()
    }
    names |= {name for name, _args, expected in ADMIN_CUSTOM if 200 in expected.values()}
    for _route, name in url_patterns():
        match = STANDARD_ADMIN.match(name or "")
        levels = ADMIN_MODELS.get(f"{match['app']}.{match['model']}", {}) if match else {}
        if match and set(levels.values()) & ADMIN_PAGE_LEVELS[match["page"]]:
            names.add(name)
    return names - set(NOT_PAGES)


class Walk:
    """Runs axe on each page once per distinct HTML, language and width, and keeps what it found."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.visited: set[str] = set()
        self.violations: dict[tuple[str, str], list[str]] = {}
        self.runs = 0
        self.combinations: set[tuple[str, str, str, int]] = set()

    def check(
        self, page: Page, client: Client, url: str, *, state: str, language: str, widths: list[dict]
    ) -> None:
        """Walk `url` as the browser's person (the test client holds the same session and language). The page is
        asked of the server first: only a page, language and width not yet checked goes to the browser."""
        response = client.get(url, follow=True)
        path = response.request["PATH_INFO"]
        with contextlib.suppress(Resolver404):  # the 404 page
            self.visited.add(resolve(path).view_name)
        # The same page for another persona or state is not checked twice: CSRF tokens and the signed-in user's
        # name aside, identical HTML is the identical page.
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"|<strong>[a-z]+</strong>', "", response.text)
        todo = []
        for width in widths:
            self.combinations.add((path, state, language, width["width"]))
            key = hashlib.sha256(f"{language}|{width['width']}|{html}".encode()).hexdigest()
            if key not in self.seen:
                self.seen.add(key)
                todo.append(width)
        if not todo:
            return
        page.goto(page_base(page) + path)
        for width in todo:
            if page.viewport_size != width:
                page.set_viewport_size(width)
            self.axe(page, f"{path} [{state}, {language}, {width['width']}px]")
        if page.viewport_size != DESKTOP:
            page.set_viewport_size(DESKTOP)

    def axe(self, page: Page, where: str) -> None:
        began = time.monotonic()
        violations = page.evaluate(RUN_AXE, [WCAG, BEST_PRACTICE])
        self.runs += 1
        if os.environ.get("A11Y_WALK_LOG"):
            print(f"{time.monotonic() - began:5.2f} s axe {where}", flush=True)
        for violation in violations:
            self.violations.setdefault((violation["id"], where), []).extend(violation["targets"])


def new_page(browser: Browser, static: dict) -> Page:
    """A page whose static files (the same for every page) come from memory once fetched: the live server then
    renders pages only."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)

    def serve(route: Route) -> None:
        url = route.request.url
        if url not in static:
            response = route.fetch()
            static[url] = {"status": response.status, "headers": response.headers, "body": response.body()}
        route.fulfill(**static[url])

    context.route(re.compile(r"/static/"), serve)
    context.add_init_script(path=AXE)
    return context.new_page()


def page_base(page: Page) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def choose_language(page: Page, language: str) -> None:
    """The language switcher, as a person uses it: the choice is kept in a cookie (and for a participant)."""
    with page.expect_navigation():
        page.locator(f'.language-list button[value="{language}"]').click()


def participant_urls(world: dict) -> list[str]:
    urls = []
    for name, arguments, method, expected in SITE_CASES:
        if method != "get" or name in NOT_PAGES or name.startswith("feedback:analysis"):
            continue
        if expected["alice"] == 200 or expected["anonymous"] == 200 and name != "feedback:invite":
            urls.append(reverse(name, kwargs={k: world["values"][v] for k, v in arguments.items()}))
    return list(dict.fromkeys(urls))


def test_every_page_in_every_state_and_language_passes_axe(live_server, browser: Browser, world, rita):
    started = time.monotonic()
    walk = Walk()
    base = live_server.url
    consultation = Consultation.objects.get(slug=world["values"]["own"])
    alice = world["participants"]["alice"]

    # The participant. Nothing published yet, the profile not confirmed.
    consultation.insights_published_at = None
    consultation.save()
    ConsultationResource.objects.filter(consultation=consultation).update(responses_published_at=None)
    Participant.objects.filter(pk=alice.pk).update(consented_at=None)
    static: dict[str, dict] = {}
    page = new_page(browser, static)
    invite = reverse("feedback:invite", kwargs={"token": world["values"]["alice"]})
    page.goto(base + invite)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    client = Client()
    client.post(invite)
    urls = [invite, *participant_urls(world), "/no-such-page/"]

    def meeting(state: str) -> None:
        item = consultation.agenda_items.first()
        now = timezone.now()
        values = {
            "before": {"started_at": None, "ended_at": None, "current_item": None},
            "during": {"started_at": now, "ended_at": None, "current_item": item, "item_started_at": now},
            "after": {"started_at": now - timedelta(hours=1), "ended_at": now, "current_item": None},
        }[state]
        MeetingState.objects.update_or_create(consultation=consultation, defaults=values)

    def profile_confirmed() -> None:
        Participant.objects.filter(pk=alice.pk).update(consented_at=timezone.now())

    def submitted() -> None:
        Response.objects.filter(participant=alice).update(
            status=Response.Status.SUBMITTED, submitted_at=timezone.now()
        )

    def closed() -> None:
        Consultation.objects.filter(pk=consultation.pk).update(closes_at=timezone.now() - timedelta(hours=1))

    def published() -> None:
        Consultation.objects.filter(pk=consultation.pk).update(insights_published_at=timezone.now())
        ConsultationResource.objects.filter(consultation=consultation).update(
            responses_published_at=timezone.now()
        )

    states = [
        ("before the profile", lambda: meeting("before")),
        ("draft", profile_confirmed),
        ("meeting live", lambda: meeting("during")),
        ("meeting over", lambda: meeting("after")),
        ("submitted", submitted),
        ("closed", closed),
        ("published", published),
    ]
    for state, change in states:
        change()
        for language in LANGUAGES:
            # The switcher sets the cookie and the participant's stored choice, which their pages follow.
            choose_language(page, language)
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            for url in urls:
                walk.check(page, client, url, state=state, language=language, widths=[DESKTOP, PHONE])
    page.context.close()
    participant_seconds = time.monotonic() - started

    # Staff, with everything published and the meeting over; the console also live.
    users = {**world["users"], "rita": rita}
    for persona in STAFF:
        client = Client()
        client.force_login(users[persona])
        page = new_page(browser, static)
        sign_in(page, base, persona, f"{persona}-password")
        urls = staff_urls(world, persona, client)
        for language in LANGUAGES:
            choose_language(page, language)
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            for url in urls:
                walk.check(page, client, url, state=persona, language=language, widths=[DESKTOP])
            if persona == "olga":
                # The console before and during the meeting (the walk above saw it over).
                console = reverse("feedback:meeting-console", kwargs={"slug": consultation.slug})
                for state in ("before", "during"):
                    meeting(state)
                    walk.check(
                        page, client, console, state=f"meeting {state}", language=language, widths=[DESKTOP]
                    )
                meeting("after")
        page.context.close()

    # Anyone: the admin's sign-in page.
    page = new_page(browser, static)
    page.goto(base + reverse("admin:login"))
    client = Client()
    for language in LANGUAGES:
        choose_language(page, language)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        walk.check(
            page, client, reverse("admin:login"), state="signed out", language=language, widths=[DESKTOP]
        )
    page.context.close()

    missing = page_names_the_table_opens() - walk.visited
    report = "\n".join(
        f"{rule} on {where}: {', '.join(dict.fromkeys(nodes))}"
        for (rule, where), nodes in sorted(walk.violations.items())
    )
    print(
        f"\naxe ran {walk.runs} times over {len(walk.combinations)} page x state x language x width combinations "
        f"in {time.monotonic() - started:.0f} s (participant {participant_seconds:.0f} s)"
    )
    if os.environ.get("A11Y_WALK_LOG"):
        print(report)
    assert not missing, f"pages the URL walk's table opens that this walk never visited: {sorted(missing)}"
    assert not walk.violations, f"{len(walk.violations)} violations:\n{report}"


def staff_urls(world: dict, persona: str, client: Client) -> list[str]:
    """Every page this persona may open: from the URL walk's table, or (rita) by asking the server."""
    candidates: list[tuple[str, dict | None]] = []
    for name, arguments, method, expected in SITE_CASES:
        if method == "get" and name not in NOT_PAGES and 200 in expected.values():
            url = reverse(name, kwargs={k: world["values"][v] for k, v in arguments.items()})
            candidates.append((url, expected.get(persona)))
    for name, arguments, expected in ADMIN_CUSTOM:
        if name not in NOT_PAGES and 200 in expected.values():
            url = reverse(name, kwargs={k: world["values"][v] for k, v in arguments.items()})
            candidates.append((url, expected.get(persona)))
    for _route, name in url_patterns():
        match = STANDARD_ADMIN.match(name or "")
        if not match:
            continue
        label, page = f"{match['app']}.{match['model']}", match["page"]
        if label not in ADMIN_MODELS or not any(ADMIN_MODELS[label].values()):
            continue
        if page in ("history", "delete", "change"):
            url = reverse(name, args=[world["objects"][label]])
        else:
            url = reverse(name)
        level = ADMIN_MODELS[label].get(persona, "")
        candidates.append(
            (
                url,
                (200 if level in ADMIN_PAGE_LEVELS[page] else 403)
                if persona in ("olga", "mona", "ann")
                else None,
            )
        )
    urls = []
    for url, expected in candidates:
        if expected is None:
            expected = client.get(url).status_code
        if expected == 200:
            urls.append(url)
    return list(dict.fromkeys(urls))


@pytest.mark.parametrize("queue", ["answer", "comment"])
def test_every_column_of_the_queues_shows_at_1280_px_without_sideways_scrolling(
    live_server, browser: Browser, world, queue
):
    # Long values where they come: a long consultation title, resource title, question and participant name.
    Consultation.objects.filter(slug=world["values"]["own"]).update(
        title="Technology providers' consultation on the Toolkit for Responsible AI Innovation in Law Enforcement"
    )
    Participant.objects.filter(pk=world["participants"]["alice"].pk).update(
        name="Maria Alejandra Fernández de la Peña y Villanueva"
    )
    page = new_page(browser, {})
    sign_in(page, live_server.url, "olga", "olga-password")
    page.goto(f"{live_server.url}/admin/feedback/{queue}/?status=all")

    widths = page.evaluate(
        """() => {
          const results = document.querySelector("#changelist .results");
          return {page: document.documentElement.scrollWidth, window: window.innerWidth,
                  table: results.scrollWidth, box: results.clientWidth,
                  columns: document.querySelectorAll("#result_list thead th").length};
        }"""
    )
    page.context.close()
    assert widths["columns"] >= 8
    assert widths["table"] <= widths["box"], widths
    assert widths["page"] <= widths["window"], widths
