"""Browser tests: Debian's Chromium driven by Playwright against the live test server, with axe-core."""

import importlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(tempfile.gettempdir()) / "consultation-screenshots"))

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Fail, never skip: a missing browser would hide every browser test. `make test` installs it.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make chromium`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=request.param, locale="en-GB", timezone_id="Asia/Singapore")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = request.node.callspec.id  # for screenshot names
    yield page
    context.close()


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2.x A/AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{page.viewport_name}-{name}.png", full_page=True)


@pytest.fixture(autouse=True)
def migration_data(transactional_db: None) -> None:
    """Put back what data migrations create (roles, the default code book): each browser test's flush empties it."""
    from django.apps import apps

    for name in ("0006_roles", "0007_toolkit_codebook", "0025_meeting_roles"):
        migration = importlib.import_module(f"feedback.migrations.{name}")
        forwards = next(op.code for op in migration.Migration.operations)
        forwards(apps, None)


def sign_in(page: Page, live_server_url: str, username: str, password: str) -> None:
    page.goto(f"{live_server_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(
        page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))
    ).to_be_visible()


def organiser(username: str = "olga") -> tuple[str, str]:
    """A staff account in the Organiser group; returns its username and password."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(
        username, f"{username}@example.org", f"{username}-password", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Organiser"))
    return username, f"{username}-password"
