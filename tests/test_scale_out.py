"""Two gunicorn instances on one database and one Redis behave as one site: a participant's requests move between
them mid-journey, and rate-limit counters add up across them (docs/DEPLOY.md).

Both instances run `make serve`'s gunicorn command with production settings (DEBUG=0, one random SECRET_KEY
shared by both) except the HTTPS-only controls, since the test speaks plain HTTP on 127.0.0.1. They share this
run's throw-away test database: with DATABASE_URL on PostgreSQL that is the per-run PostgreSQL database that
pytest-django creates and drops; on the SQLite run it is the temporary SQLite file of tests/settings.py, opened by
both instances. The real target is PostgreSQL, which CI's second run covers. Rate-limit counters live in Redis
(database 15) under a key prefix of this test's own, removed afterwards.
"""

import html
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis
from django.db import connection

from bench.loopback_env import production_like
from feedback.models import Answer, Response

# Transactional: the instances are other processes, so the seeded rows must be committed for them to see.
# conftest.py runs such tests after the others.
pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
# `make serve`'s command.
GUNICORN = [
    str(ROOT / ".venv" / "bin" / "gunicorn"),
    "-c",
    "consultation/gunicorn.conf.py",
    "consultation.wsgi",
]
PORTS = range(8110, 8120)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SLUG = "tech-providers"
AUTOSAVE_LIMIT = 4


def free_ports(count: int) -> list[int]:
    found = []
    for port in PORTS:
        with socket.socket() as sock:
            # As gunicorn binds: a port left in TIME_WAIT by an earlier run is free, a listening one is not.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    pytest.fail(f"fewer than {count} free ports in 8110-8119")


def database_url() -> str:
    """The URL of the database this test run uses (the test database, not the one DATABASE_URL names)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = urllib.parse.quote(settings["USER"] or "", safe="")
    password = urllib.parse.quote(settings["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or "5432"
    return f"postgres://{credentials}{host}:{port}/{settings['NAME']}"


@pytest.fixture
def instances(tmp_path: Path, alice, bob, questions) -> Iterator[tuple[list[str], list[Path]]]:
    """Two gunicorn instances on one database and one Redis: ([base URLs], [their stdout logs])."""
    prefix = f"test-scale-out-{uuid.uuid4().hex}"
    (tmp_path / "static").mkdir()
    env = production_like(
        tmp_path,
        HOST="127.0.0.1",
        # Plain storage: no collectstatic needed, the pages still render their {% static %} links.
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
        DATABASE_URL=database_url(),
        # No connection kept open between requests, so nothing holds the test database when it is dropped.
        CONN_MAX_AGE="0",
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX=prefix,
        # Per day, so that no window boundary falls inside the test.
        RATE_LIMIT_AUTOSAVE=f"{AUTOSAVE_LIMIT}/d",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
        GUNICORN_GRACEFUL_TIMEOUT="5",
    )
    servers: list[subprocess.Popen] = []
    logs = []
    bases = []
    try:
        for number, port in enumerate(free_ports(2), start=1):
            log_path = tmp_path / f"gunicorn-{number}.log"
            # gunicorn's control socket defaults to one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn), which
            # each instance would take from the one before (and from any other gunicorn of this user).
            run_dir = tmp_path / f"run-{number}"
            run_dir.mkdir()
            with open(log_path, "wb") as log:
                servers.append(
                    subprocess.Popen(  # noqa: S603  # the project's own gunicorn command
                        GUNICORN,
                        env={**env, "PORT": str(port), "XDG_RUNTIME_DIR": str(run_dir)},
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            logs.append(log_path)
            bases.append(f"http://127.0.0.1:{port}")
        for base, server, log_path in zip(bases, servers, logs, strict=True):
            wait_until_ready(base, server, log_path)
        yield bases, logs
    finally:
        for server in servers:
            stop(server)
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(match=f"{prefix}:*"):
            store.delete(key)


def wait_until_ready(base: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:  # noqa: S310  # loopback http
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn at {base} did not become ready:\n{log_path.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """One browser: one cookie jar whatever instance it talks to, as behind a load balancer without stickiness."""

    def __init__(self) -> None:
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )

    def request(
        self, base: str, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(base + path, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=15) as answer:
                return answer.status, dict(answer.headers), answer.read().decode()
        except urllib.error.HTTPError as answer:  # 3xx (not followed) and 4xx/5xx
            return answer.code, dict(answer.headers), answer.read().decode()

    def get(self, base: str, path: str) -> tuple[int, dict[str, str], str]:
        return self.request(base, path)

    def post(self, base: str, path: str, data: dict[str, str], token: str) -> tuple[int, dict[str, str], str]:
        return self.request(base, path, {"csrfmiddlewaretoken": token, **data})

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)


def form_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "the page has no CSRF token in a form"
    return match[1]


def confirm_invitation(browser: Browser, token: str, *, show_on: str, confirm_on: str) -> None:
    status, _headers, page = browser.get(show_on, f"/i/{token}/")
    assert status == 200
    assert browser.cookie("csrftoken")
    status, headers, _page = browser.post(confirm_on, f"/i/{token}/", {}, form_token(page))
    # Bound and sent on; the profile is confirmed already (conftest), so to the consultation's page.
    assert status == 302, _page[:500]
    assert headers["Location"] == f"/c/{SLUG}/"
    assert browser.cookie("sessionid")


def test_a_participant_moves_between_two_instances_as_if_they_were_one_site(instances, alice, questions):
    (one, two), logs = instances
    browser = Browser()
    autosaved = "Human oversight first – «audit» logs & bias tests."
    saved = {"q1": 'Explainability, then redress; "logs" kept 10 years.\nSecond line.', "q2": "None – ça va."}

    confirm_invitation(browser, alice.token, show_on=one, confirm_on=two)

    status, _headers, page = browser.get(one, f"/c/{SLUG}/questions/")
    assert status == 200
    assert "What are your thoughts?" in page
    token = form_token(page)

    status, _headers, body = browser.request(
        two, f"/c/{SLUG}/autosave/", {"field": "q1", "q1": autosaved}, {"X-CSRFToken": token}
    )
    assert status == 200, body
    assert '"saved_at_iso"' in body
    assert Answer.objects.get(response__participant=alice, question__number=1).text == autosaved

    status, _headers, page = browser.get(one, f"/c/{SLUG}/questions/")
    assert status == 200
    assert html.escape(autosaved) in page

    status, headers, _body = browser.post(one, f"/c/{SLUG}/questions/", saved, token)
    assert status == 302
    assert headers["Location"] == f"/c/{SLUG}/questions/"
    texts = dict(Answer.objects.filter(response__participant=alice).values_list("question__number", "text"))
    assert texts == {1: saved["q1"], 2: saved["q2"]}

    # The success message is a cookie signed on instance one, read on instance two.
    status, _headers, page = browser.get(two, f"/c/{SLUG}/review/")
    assert status == 200
    assert "Your answers were saved at" in page
    assert html.escape(saved["q1"]) in page
    assert html.escape(saved["q2"]) in page

    status, headers, _body = browser.post(one, f"/c/{SLUG}/submit/", {}, token)
    assert status == 302
    assert headers["Location"] == f"/c/{SLUG}/receipt/"
    response = Response.objects.get(participant=alice)
    assert response.status == Response.Status.SUBMITTED
    submitted_at = response.submitted_at

    status, _headers, page = browser.get(two, f"/c/{SLUG}/receipt/")
    assert status == 200
    assert "Thank you: your feedback is submitted." in page
    assert html.escape(saved["q1"]) in page

    # A second submit, on the other instance, records nothing new and sends no second receipt.
    status, headers, _body = browser.post(two, f"/c/{SLUG}/submit/", {}, token)
    assert status == 302
    assert headers["Location"] == f"/c/{SLUG}/receipt/"
    response.refresh_from_db()
    assert response.status == Response.Status.SUBMITTED
    assert response.submitted_at == submitted_at
    # Mail goes to files (bench/loopback_env.py): production never prints it into a log.
    mails = list((logs[0].parent / "mail").glob("*.log"))
    receipts = sum(path.read_text().count("Subject: Receipt: your feedback on") for path in mails)
    assert receipts == 1
    assert all(alice.token not in path.read_text() for path in logs)


def test_rate_limit_counters_add_up_across_instances(instances, bob, questions):
    (one, two), _logs = instances
    browser = Browser()
    confirm_invitation(browser, bob.token, show_on=two, confirm_on=one)
    status, _headers, page = browser.get(two, f"/c/{SLUG}/questions/")
    assert status == 200
    token = form_token(page)

    def autosave(base: str, text: str) -> int:
        status, _headers, _body = browser.request(
            base, f"/c/{SLUG}/autosave/", {"field": "q1", "q1": text}, {"X-CSRFToken": token}
        )
        return status

    # Alternating: each instance alone sees at most 3 of these, under the limit of 4; together they are 6.
    bases = [one, two] * 3
    statuses = [autosave(base, f"draft {number}") for number, base in enumerate(bases, start=1)]

    assert statuses == [200] * AUTOSAVE_LIMIT + [429, 429]
    assert Answer.objects.get(response__participant=bob, question__number=1).text == f"draft {AUTOSAVE_LIMIT}"


def test_a_question_changed_elsewhere_is_on_every_instance_at_the_next_request(instances, alice, questions):
    """Each instance keeps the consultation's questions in its processes (feedback/participation/snapshot.py):
    a change saved by another process (here this test's, as the admin's would be) reaches both at once."""
    (one, two), _logs = instances
    browser = Browser()
    confirm_invitation(browser, alice.token, show_on=one, confirm_on=two)
    for base in (one, two):
        status, _headers, page = browser.get(base, f"/c/{SLUG}/questions/")
        assert status == 200
        assert "What are your thoughts?" in page

    question = questions[0]
    question.text = "What do you think of the second draft?"
    question.save()

    for base in (one, two):
        status, _headers, page = browser.get(base, f"/c/{SLUG}/questions/")
        assert status == 200
        assert "What do you think of the second draft?" in page
        assert "What are your thoughts?" not in page
