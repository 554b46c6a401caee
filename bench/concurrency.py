"""Concurrent participants against gunicorn on PostgreSQL: nothing lost, nothing doubled, no 5xx, no deadlocks.

Usage: .venv/bin/python bench/concurrency.py [--participants 200] [--pool 50]
Needs PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432, trust auth) and Redis at BENCH_REDIS
(default redis://127.0.0.1:6379/0). Creates a throw-away database, migrates it, collects static files into a
temporary folder, starts gunicorn with production settings (DEBUG=0, gthread, 2 workers x 8 threads) on a free
loopback port, and checks three invariants over real HTTP:
  (a) 40 simultaneous submits by one participant (one browser session): one submission, one receipt mail,
      submitted_at unchanged by a later submit, no 5xx;
  (b) 40 simultaneous first autosaves of one field with different values: one Answer row holding one of the sent
      values, no 5xx;
  (c) N participants at once (a thread pool): confirm the invitation (GET, then POST with the CSRF token),
      autosave 5 answers twice with random Unicode text, submit, edit one answer after submitting; afterwards
      every stored answer is exactly the last text sent for it, everyone is submitted, no 5xx, no deadlock.
Each participant's requests carry their own X-Forwarded-For address (TRUSTED_PROXY_COUNT=1, as behind a
reverse proxy), so the per-address rate limits count per participant as they would on the internet; the
per-participant limits are raised through RATE_LIMIT_* for the load. Prints a table; exits 1 when an invariant
fails. The database is dropped and gunicorn stopped at the end, whatever happened.
"""

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests
from loopback_env import HIGH_RATE_LIMITS, production_like  # noqa: E402  # bench/, the script's folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
DB_NAME = f"bench_rel_conc_{os.getpid()}"
SLUG = "bench-concurrency"
QUESTIONS = 5
MAX_LENGTH = 2000
RACE = 40
TIMEOUT = 120
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Text a participant might paste: scripts written right to left, emoji (outside the BMP), quotes that break
# CSV and HTML, formula prefixes, tabs and both kinds of line break. No NUL: forms refuse it with a message.
PIECES = [
    "Human oversight matters.",
    "الرقابة البشرية ضرورية",
    "حماية البيانات الشخصية",
    "人工智能的问责制",
    "Überprüfung durch Menschen",
    "😀👍🏽🇫🇷🧑‍⚖️",
    "\"quoted\", 'single'",
    "<b>not bold</b> & <script>x</script>",
    "=SUM(A1:A2)",
    "+1 -2 @cmd",
    "\n",
    "\r\n",
    "\t",
    "   ",
    "€ £ ¥ ₹",
    "\u200f\u200e",
    "Ω≈ç√∫",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def random_text(rng: random.Random) -> str:
    text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))
    return text[:MAX_LENGTH]


def admin_sql(sql: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def deadlocks() -> int:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [DB_NAME]).fetchone()
    return int(row[0]) if row else 0


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: Counter[str] = Counter()
        self.errors: list[str] = []

    def note(self, phase: str, response: requests.Response, expected: int) -> None:
        with self.lock:
            self.codes[f"{phase} {response.status_code}"] += 1
            if response.status_code != expected:
                self.errors.append(
                    f"{phase}: {response.status_code} (expected {expected}) {response.text[:200]!r}"
                )

    def failed(self, phase: str, error: BaseException) -> None:
        with self.lock:
            self.codes[f"{phase} exception"] += 1
            self.errors.append(f"{phase}: {error!r}")

    def server_errors(self) -> int:
        return sum(n for key, n in self.codes.items() if key.split()[-1].startswith("5"))


class Browser:
    """One participant's browser: a cookie jar, their address, and the CSRF token of the last form."""

    def __init__(self, base: str, address: str, stats: Stats) -> None:
        self.base, self.stats = base, stats
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = address
        self.csrf = ""

    def get(self, phase: str, path: str) -> requests.Response:
        response = self.session.get(self.base + path, timeout=TIMEOUT)
        self.stats.note(phase, response, 200)
        match = CSRF.search(response.text)
        if match:
            self.csrf = match[1]
        return response

    def post(self, phase: str, path: str, data: dict, expected: int = 302) -> requests.Response:
        response = self.session.post(
            self.base + path,
            data={"csrfmiddlewaretoken": self.csrf, **data},
            headers={"Referer": self.base + path, "X-CSRFToken": self.csrf},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        self.stats.note(phase, response, expected)
        return response

    def confirm_invite(self, token: str) -> None:
        self.get("invite GET", f"/i/{token}/")
        response = self.post("invite POST", f"/i/{token}/", {})
        if not response.headers.get("Location", "").endswith(f"/c/{SLUG}/"):
            self.stats.errors.append(f"invite POST went to {response.headers.get('Location')!r}")
        self.get("questions GET", f"/c/{SLUG}/questions/")

    def autosave(self, number: int, text: str) -> requests.Response:
        return self.post("autosave", f"/c/{SLUG}/autosave/", {"field": f"q{number}", f"q{number}": text}, 200)

    def submit(self, phase: str = "submit") -> requests.Response:
        response = self.post(phase, f"/c/{SLUG}/submit/", {})
        if not response.headers.get("Location", "").endswith(f"/c/{SLUG}/receipt/"):
            self.stats.errors.append(f"{phase} went to {response.headers.get('Location')!r}")
        return response

    def clone(self) -> "Browser":
        """Another tab of the same browser: the same session cookie, its own connection."""
        other = Browser(self.base, self.session.headers["X-Forwarded-For"], self.stats)
        other.session.cookies.update(self.session.cookies)
        other.csrf = self.csrf
        return other


def race(count: int, target) -> None:
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        target(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)


def guarded(stats: Stats, phase: str, target):
    def run(*args):
        try:
            return target(*args)
        except Exception as error:  # noqa: BLE001 -- every failure is counted and reported
            stats.failed(phase, error)

    return run


def seed(participants: int) -> dict[str, object]:
    from datetime import timedelta

    from django.utils import timezone

    from feedback.models import Consultation, Participant, Question

    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Concurrency bench",
        slug=SLUG,
        stakeholder_group="Bench",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=7),
    )
    for number in range(1, QUESTIONS + 1):
        Question.objects.create(
            consultation=consultation, number=number, text=f"Question {number}?", max_length=MAX_LENGTH
        )
    people, tokens = [], {}
    for i in range(participants + 2):
        name = "racer-submit" if i == participants else "racer-autosave" if i == participants + 1 else f"p{i}"
        person = Participant(
            consultation=consultation,
            name=name,
            email=f"{name}@example.org",
            attribution=Participant.Attribution.NAMED,
            consented_at=now,
        )
        tokens[name] = person.issue_token()
        people.append(person)
    Participant.objects.bulk_create(people)
    return tokens


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    process = subprocess.Popen(  # noqa: S603  # nosec B603  # our own venv's gunicorn, fixed arguments
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "consultation.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
            "-k",
            "gthread",
            "--timeout",
            "120",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
        ],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    for _attempt in range(150):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except requests.ConnectionError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start; see {log}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--pool", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-concurrency-"))
    log = workdir / "gunicorn.log"
    env = production_like(
        workdir,
        DATABASE_URL=f"{PG}/{DB_NAME}",
        SITE_URL=base,
        REDIS_URL=REDIS,
        CACHE_KEY_PREFIX=f"bench-concurrency-{os.getpid()}",
        TRUSTED_PROXY_COUNT="1",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        **HIGH_RATE_LIMITS,
    )
    os.environ.update(env)

    admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        tokens = seed(args.participants)
        connection.close()
        deadlocks_before = deadlocks()
        server = start_gunicorn(env, port, log)
        stats = Stats()
        failures: list[str] = []
        rows: list[tuple[str, str, str]] = []
        rng = random.Random(args.seed)  # noqa: S311  # nosec B311  # reproducible test text, not secrets

        # (a) 40 simultaneous submits from one browser (double clicks, several tabs).
        racer = Browser(base, "10.1.0.1", stats)
        racer.confirm_invite(tokens["racer-submit"])
        racer.autosave(1, "Submitted once")
        tabs = [racer.clone() for _ in range(RACE)]
        started = time.perf_counter()
        race(RACE, guarded(stats, "submit race", lambda i: tabs[i].submit("submit race")))
        rows.append(("(a) 40 simultaneous submits", f"{time.perf_counter() - started:.2f} s", ""))
        from feedback.models import Answer, Participant, Response

        response = Response.objects.get(participant__name="racer-submit")
        first_submitted_at = response.submitted_at
        racer.submit("submit again")
        response.refresh_from_db()
        receipts = log.read_text(errors="replace").count("To: racer-submit@example.org")
        ok = response.status == Response.Status.SUBMITTED and response.submitted_at == first_submitted_at
        rows.append(("    submitted, submitted_at unchanged", str(ok), "True"))
        rows.append(("    receipt mails", str(receipts), "1"))
        if not ok:
            failures.append("(a) submission not recorded once")
        if receipts != 1:
            failures.append(f"(a) {receipts} receipt mails")

        # (b) 40 simultaneous first autosaves of one field, each with its own text.
        saver = Browser(base, "10.1.0.2", stats)
        saver.confirm_invite(tokens["racer-autosave"])
        tabs = [saver.clone() for _ in range(RACE)]
        values = [f"Value {i}: {random_text(rng)}" for i in range(RACE)]
        started = time.perf_counter()
        race(RACE, guarded(stats, "autosave race", lambda i: tabs[i].autosave(2, values[i])))
        rows.append(("(b) 40 simultaneous autosaves", f"{time.perf_counter() - started:.2f} s", ""))
        stored = list(
            Answer.objects.filter(response__participant__name="racer-autosave").values_list("text", flat=True)
        )
        ok = len(stored) == 1 and stored[0] in values
        rows.append(("    one answer row holding a sent value", str(ok), "True"))
        if not ok:
            failures.append(
                f"(b) {len(stored)} answer rows, value sent: {bool(stored) and stored[0] in values}"
            )

        # (c) every participant at once: confirm, autosave 5 answers twice, submit, edit one after submitting.
        sent: dict[tuple[str, int], str] = {}
        sent_lock = threading.Lock()

        def journey(index: int) -> None:
            name = f"p{index}"
            local = random.Random(args.seed * 100_000 + index)  # noqa: S311  # nosec B311
            browser = Browser(base, f"10.2.{index // 250}.{index % 250 + 1}", stats)
            browser.confirm_invite(tokens[name])
            for _round in range(2):
                for number in local.sample(range(1, QUESTIONS + 1), QUESTIONS):
                    text = random_text(local)
                    if browser.autosave(number, text).status_code == 200:
                        with sent_lock:
                            sent[(name, number)] = text
            browser.submit()
            number, text = local.randint(1, QUESTIONS), random_text(local)
            if browser.autosave(number, text).status_code == 200:
                with sent_lock:
                    sent[(name, number)] = text

        started = time.perf_counter()
        with ThreadPoolExecutor(args.pool) as pool:
            list(pool.map(guarded(stats, "journey", journey), range(args.participants)))
        elapsed = time.perf_counter() - started
        requests_made = sum(stats.codes.values())
        rows.append((f"(c) {args.participants} participants, pool {args.pool}", f"{elapsed:.2f} s", ""))
        stored_answers = {
            (name, number): text
            for name, number, text in Answer.objects.filter(
                response__participant__name__regex=r"^p[0-9]+$"
            ).values_list("response__participant__name", "question__number", "text")
        }
        expected_keys = {(f"p{i}", n) for i in range(args.participants) for n in range(1, QUESTIONS + 1)}
        mismatched = [key for key in expected_keys if stored_answers.get(key) != sent.get(key)]
        extra = set(stored_answers) - expected_keys
        submitted = Response.objects.filter(
            participant__name__regex=r"^p[0-9]+$", status=Response.Status.SUBMITTED
        ).count()
        rows.append(
            (
                "    answers sent / stored / exact",
                f"{len(sent)} / {len(stored_answers)} / {len(expected_keys) - len(mismatched)}",
                f"{len(expected_keys)} each",
            )
        )
        rows.append(("    submitted", str(submitted), str(args.participants)))
        if len(sent) != len(expected_keys) or mismatched or extra:
            failures.append(
                f"(c) {len(mismatched)} answers differ from what was sent, {len(extra)} unexpected"
            )
        if submitted != args.participants:
            failures.append(f"(c) {submitted} of {args.participants} submitted")
        if Participant.objects.filter(consultation__slug=SLUG, first_opened_at__isnull=True).exists():
            failures.append("(c) an invitation confirmation was not recorded")
        connection.close()

        text = log.read_text(errors="replace")
        deadlocks_seen = deadlocks() - deadlocks_before
        tracebacks = text.count("Traceback")
        rows.append(("requests (all phases)", str(requests_made), ""))
        rows.append(("5xx responses", str(stats.server_errors()), "0"))
        rows.append(("unexpected statuses / exceptions", str(len(stats.errors)), "0"))
        rows.append(("PostgreSQL deadlocks (pg_stat_database)", str(deadlocks_seen), "0"))
        rows.append(
            (
                "'deadlock' / Traceback in gunicorn log",
                f"{text.lower().count('deadlock')} / {tracebacks}",
                "0 / 0",
            )
        )
        if stats.server_errors():
            failures.append(f"{stats.server_errors()} responses with 5xx")
        if stats.errors:
            failures.append(f"{len(stats.errors)} unexpected responses, e.g. {stats.errors[:3]}")
        if deadlocks_seen or "deadlock" in text.lower():
            failures.append("deadlocks")
        if tracebacks:
            failures.append(f"{tracebacks} tracebacks in {log}")

        print(f"gunicorn gthread 2 workers x 8 threads, PostgreSQL database {DB_NAME}, log {log}")
        print(f"{'check':48} {'result':>26} {'expected':>12}")
        for check, result, expected in rows:
            print(f"{check:48} {result:>26} {expected:>12}")
        print("status codes:", ", ".join(f"{key}: {n}" for key, n in sorted(stats.codes.items())))
        if failures:
            print("FAIL")
            for failure in failures:
                print("  -", failure)
            return 1
        print("PASS: every invariant holds")
        return 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001, S110  # nosec B110  # Django may not be set up yet
            pass
        admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
