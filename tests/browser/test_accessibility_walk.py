"""Every page a person can reach, in every state that changes it, in every language, checked by axe-core.

The pages come from the URL walk's table (tests/test_url_walk.py): every participant, analysis and admin page
some persona may GET is walked here, as each persona that may open it; a page added to that table and not
walked here fails this test. The participant's pages are walked through the states that change them (before
the profile, with a draft, submitted, after the deadline, after the insights report and the responses are
published; the meeting before, during and after), at 1280 px and 375 px; staff pages at 1280 px.

One browser, one context per persona with two pages loading and checking at once; the language is switched by
its cookie (and a participant's stored choice), never by signing in again; axe runs once per distinct page (its
HTML, CSRF tokens and draft keys aside), language and width. All four languages take about two minutes on two
busy cores.
"""

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page

from feedback.models import Consultation, ConsultationResource, MeetingState, Participant, Response
from tests.browser.conftest import AXE, CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, sign_in
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
# Started as soon as the page's document has arrived, run once it has loaded and the page's own load handlers
# have run (the admin's widgets are built then); its promise is read later. The address and the page's language
# are checked, so that a start that reached the previous document, or a browser that did not follow the language
# the test client's HTML was in, fails rather than checks another page.
START_AXE = f"""([wcag, bestPractice, address, language]) => {{
  if (location.href !== address) throw new Error(`axe started on ${{location.href}}, not ${{address}}`);
  const loaded = new Promise((resolve) => {{
    if (document.readyState === "complete") setTimeout(resolve);
    else addEventListener("load", () => setTimeout(resolve), {{once: true}});
  }});
  window.a11yWalk = loaded.then(() => {{
    if (language && document.documentElement.lang !== language) {{
      throw new Error(`${{address}} is in "${{document.documentElement.lang}}", not "${{language}}"`);
    }}
    return ({RUN_AXE})([wcag, bestPractice]);
  }});
}}"""
# Pages of the browser loading and checking at once, each in its own renderer process. Measured for English on two
# cores: 1, 2, 3 and 4 pages took 39, 35, 37 and 38 s; one page already keeps the cores busy, a second fills the
# gaps while the next page is asked of the server.
PAGES_AT_ONCE = 2

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
    """Runs axe on each page once per distinct HTML, language and width, and keeps what it found.

    Several pages of the person's browser load and run axe at once: each has its own renderer process, which works
    while the next page is asked of the server or another renderer waits."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.browser = browser
        self.base = base
        self.pages: list[Page] = []
        # What each busy page checks: the (width, description) left, the first under way; the oldest page first.
        self.running: dict[Page, list[tuple[dict, str]]] = {}
        self.seen: set[str] = set()
        self.visited: set[str] = set()
        self.violations: dict[tuple[str, str], list[str]] = {}
        self.runs = 0
        self.combinations: set[tuple[str, str, str, int]] = set()
        self.seconds = {"server": 0.0, "browser": 0.0, "language": 0.0}

    def open(self) -> Page:
        """A new person's browser (once the last one's checks have finished): its pages share its cookies."""
        self.close()
        context = self.browser.new_context(viewport=DESKTOP)
        context.set_default_timeout(15_000)
        context.add_init_script(path=AXE)
        self.pages = [context.new_page()]
        return self.pages[0]

    def close(self) -> None:
        if self.pages:
            self.finish()
            self.pages[0].context.close()
        self.pages = []

    def check(self, client: Client, url: str, *, state: str, language: str, widths: list[dict]) -> None:
        """Walk `url` as the browser's person (the test client holds the same session and language). The page is
        asked of the server first: only a page, language and width not yet checked goes to the browser."""
        began = time.monotonic()
        response = client.get(url, follow=True)
        self.seconds["server"] += time.monotonic() - began
        path = response.request["PATH_INFO"]
        with contextlib.suppress(Resolver404):  # the 404 page
            self.visited.add(resolve(path).view_name)
        # The same page for another persona or state is not checked twice: CSRF tokens, the comment forms' draft
        # keys (new on every request) and the signed-in user's name aside, identical HTML is the identical page.
        html = re.sub(
            r'name="(csrfmiddlewaretoken|draft_key)" value="[^"]*"|<strong>[a-z]+</strong>', "", response.text
        )
        runs = []
        for width in widths:
            self.combinations.add((path, state, language, width["width"]))
            key = hashlib.sha256(f"{language}|{width['width']}|{html}".encode()).hexdigest()
            if key not in self.seen:
                self.seen.add(key)
                runs.append((width, f"{path} [{state}, {language}, {width['width']}px]"))
        if runs:
            self.start(path, runs, language=language)

    def start(self, path: str, runs: list[tuple[dict, str]], *, language: str = "") -> None:
        """Load the page in an idle page of the browser, and start axe there for when it has loaded."""
        began = time.monotonic()
        page = self.idle_page()
        if page.viewport_size != runs[0][0]:
            page.set_viewport_size(runs[0][0])
        page.goto(self.base + path, wait_until="commit")
        page.evaluate(START_AXE, [WCAG, BEST_PRACTICE, self.base + path, language])
        self.running[page] = runs
        self.seconds["browser"] += time.monotonic() - began

    def idle_page(self) -> Page:
        while True:
            page = next((page for page in self.pages if page not in self.running), None)
            if page is None and len(self.pages) < PAGES_AT_ONCE:
                page = self.pages[0].context.new_page()
                self.pages.append(page)
            if page is not None:
                return page
            self.collect(next(iter(self.running)))

    def collect(self, page: Page) -> None:
        """Read the result of the page's run under way; start its next width, if any, on the page as loaded (a
        second run in a loaded page costs a third of a first one in a new page)."""
        runs = self.running.pop(page)
        violations = page.evaluate("() => window.a11yWalk")
        _width, where = runs.pop(0)
        self.runs += 1
        if os.environ.get("A11Y_WALK_LOG"):
            print(f"axe {where}", flush=True)
        for violation in violations:
            self.violations.setdefault((violation["id"], where), []).extend(violation["targets"])
        if runs:
            page.set_viewport_size(runs[0][0])
            page.evaluate(
                f"(options) => {{ window.a11yWalk = ({RUN_AXE})(options); }}", [WCAG, BEST_PRACTICE]
            )
            self.running[page] = runs

    def choose_language(self, client: Client, language: str) -> None:
        """The language switcher's choice, made through its view by the test client (which keeps it for a
        participant); the browser gets the same cookie. Clicking the switcher in the browser loaded a page each time."""
        self.finish()
        began = time.monotonic()
        client.post(reverse("set_language"), {"language": language, "next": "/"})
        cookie = client.cookies[settings.LANGUAGE_COOKIE_NAME]
        self.pages[0].context.add_cookies(
            [
                {
                    "name": cookie.key,
                    "value": cookie.value,
                    # A __Host- cookie takes a path and the host, not a URL.
                    "domain": urlsplit(self.base).hostname,
                    "path": "/",
                    "secure": bool(cookie["secure"]),
                    "httpOnly": True,
                }
            ]
        )
        self.seconds["language"] += time.monotonic() - began

    def finish(self) -> None:
        """Wait for every check under way: before the database, the language or the person changes."""
        began = time.monotonic()
        while self.running:
            self.collect(next(iter(self.running)))
        self.seconds["browser"] += time.monotonic() - began


def participant_urls(world: dict) -> list[str]:
    urls = []
    for name, arguments, method, expected in SITE_CASES:
        if method != "get" or name in NOT_PAGES or name.startswith("feedback:analysis"):
            continue
        if expected["alice"] == 200 or expected["anonymous"] == 200 and name != "feedback:invite":
            urls.append(reverse(name, kwargs={k: world["values"][v] for k, v in arguments.items()}))
    return list(dict.fromkeys(urls))


@pytest.fixture(scope="module")
def walk_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium without V8's optimising compilers: each page lives for one axe run, too short for optimised code to
    pay for its compiling (a third less CPU for axe's first run in a page, measured). What runs is the same."""
    browser = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--js-flags=--max-opt=1"]
    )
    yield browser
    browser.close()


def test_every_page_in_every_state_and_language_passes_axe(
    live_server, walk_browser: Browser, world, rita, settings
):
    # The invitation page is asked for in every state and language, more often in a minute than its limit allows.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invite": {"ip": "1000/m"}}
    started = time.monotonic()
    base = live_server.url
    walk = Walk(walk_browser, base)
    consultation = Consultation.objects.get(slug=world["values"]["own"])
    alice = world["participants"]["alice"]

    # The participant. Nothing published yet, the profile not confirmed.
    consultation.insights_published_at = None
    consultation.save()
    ConsultationResource.objects.filter(consultation=consultation).update(responses_published_at=None)
    Participant.objects.filter(pk=alice.pk).update(consented_at=None)
    page = walk.open()
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
        walk.finish()
        change()
        for language in LANGUAGES:
            # The switcher sets the cookie and the participant's stored choice, which their pages follow.
            walk.choose_language(client, language)
            for url in urls:
                walk.check(client, url, state=state, language=language, widths=[DESKTOP, PHONE])
    walk.close()
    participant_seconds = time.monotonic() - started

    # Staff, with everything published and the meeting over; the console also live.
    users = {**world["users"], "rita": rita}
    for persona in STAFF:
        client = Client()
        client.force_login(users[persona])
        sign_in(walk.open(), base, persona, f"{persona}-password")
        urls = staff_urls(world, persona, client)
        for language in LANGUAGES:
            walk.choose_language(client, language)
            for url in urls:
                walk.check(client, url, state=persona, language=language, widths=[DESKTOP])
            if persona == "olga":
                # The console before and during the meeting (the walk above saw it over).
                console = reverse("feedback:meeting-console", kwargs={"slug": consultation.slug})
                for state in ("before", "during"):
                    walk.finish()
                    meeting(state)
                    walk.check(client, console, state=f"meeting {state}", language=language, widths=[DESKTOP])
                walk.finish()
                meeting("after")
    walk.close()

    # Anyone: the admin's sign-in page.
    walk.open()
    client = Client()
    for language in LANGUAGES:
        walk.choose_language(client, language)
        walk.check(client, reverse("admin:login"), state="signed out", language=language, widths=[DESKTOP])
    walk.close()

    missing = page_names_the_table_opens() - walk.visited
    report = "\n".join(
        f"{rule} on {where}: {', '.join(dict.fromkeys(nodes))}"
        for (rule, where), nodes in sorted(walk.violations.items())
    )
    dimensions = " x ".join(
        f"{len({combination[i] for combination in walk.combinations})} {name}"
        for i, name in enumerate(["pages", "states or personas", "languages", "widths"])
    )
    print(
        f"\naxe ran {walk.runs} times over {len(walk.combinations)} page x state x language x width combinations "
        f"(of {dimensions}) "
        f"in {time.monotonic() - started:.0f} s (participant {participant_seconds:.0f} s; asking the server "
        f"{walk.seconds['server']:.0f} s, waiting for the browser {walk.seconds['browser']:.0f} s, switching "
        f"languages {walk.seconds['language']:.0f} s)"
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
    page = browser.new_context(viewport=DESKTOP).new_page()
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


# No language, an image without a text alternative, content outside landmarks, no heading, and two small targets
# side by side: WCAG 2.0 A, best practice and WCAG 2.2 AA failures.
BROKEN_PAGE = """<!doctype html><html><head><title>Broken</title></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<p>Text outside any landmark.</p>
<button style="width:10px;height:10px;padding:0;margin:0;border:0">a</button><button
 style="width:10px;height:10px;padding:0;margin:0;border:0">b</button>
</body></html>"""


def test_the_walk_reports_a_page_that_fails_at_each_width(walk_browser: Browser):
    walk = Walk(walk_browser, "http://127.0.0.1:9")
    # Nothing reaches the network: every request is answered with the broken page.
    walk.open().context.route("**/*", lambda route: route.fulfill(content_type="text/html", body=BROKEN_PAGE))
    walk.start("/broken/", [(DESKTOP, "broken at 1280 px"), (PHONE, "broken at 375 px")])
    walk.close()

    assert walk.runs == 2
    for where in ("broken at 1280 px", "broken at 375 px"):
        rules = {rule for rule, place in walk.violations if place == where}
        assert {"html-has-lang", "image-alt", "region", "page-has-heading-one", "target-size"} <= rules, rules
