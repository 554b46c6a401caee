"""The meeting under load: participants following it, some typing live points, rapporteurs writing notes, and a
moderator pressing "next", through gunicorn on 127.0.0.1 with PostgreSQL and Redis (production settings).

Creates a throw-away PostgreSQL database (BENCH_ADMIN_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/
postgres), migrates it, seeds a consultation with an agenda, participants and rapporteurs (their sessions made
directly, as after the invitation POST or a sign-in), starts gunicorn (consultation/gunicorn.conf.py) and runs, for
--duration seconds: --followers participants polling /c/<slug>/meeting/now.json every 2 s with If-None-Match, of
whom --typists also autosave a growing live point every second, --rapporteurs posting a note every 5 s, and the
moderator posting "next" every 20 s. Reports points lost (the last text a typist saw saved against the database),
5xx, the poll's p50/p99, and how long each "next" took to be seen by every follower.

    .venv/bin/python bench/meeting_load.py --duration 300
"""

import argparse
import http.client
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import free_port, run, start_server, stop_server  # noqa: E402  # bench/, the script's folder
from loopback_env import HIGH_RATE_LIMITS, production_like  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SLUG = "bench-meeting"
CSRF = "b" * 32
WARM_UP = 5  # seconds of polls left out of the latency figures  # the same secret in cookie and header: Django's CSRF check compares the two

SEED = """
import json, sys
import django
django.setup()
from datetime import timedelta
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.cached_db import SessionStore
from django.utils import timezone
from feedback.models import AgendaItem, Consultation, Participant, Question
from feedback.session import PARTICIPANT_SESSION_KEY

followers, rapporteurs, slug = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
now = timezone.now()
c = Consultation.objects.create(title="Bench meeting", slug=slug, stakeholder_group="Bench",
    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9),
    meeting_starts_at=now, meeting_ends_at=now + timedelta(minutes=90))
for n in range(1, 6):
    q = Question.objects.create(consultation=c, number=n, text=f"Question {n}?")
for position in range(1, 31):
    AgendaItem.objects.create(consultation=c, position=position, title=f"Item {position}", planned_minutes=3)

def session(**values):
    store = SessionStore()
    store.update(values)
    store.create()
    return store.session_key

participants = []
for i in range(followers):
    p = Participant.objects.create(consultation=c, name=f"P{i}", email=f"p{i}@example.org",
        organisation=f"Org {i % 17}", attribution="named", consented_at=now)
    participants.append(session(**{PARTICIPANT_SESSION_KEY: {slug: p.pk}}))

def staff(name, group):
    user = User.objects.create_user(name, f"{name}@example.org", secrets_pw, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return session(**{SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                      HASH_SESSION_KEY: user.get_session_auth_hash()})

secrets_pw = "bench-password-not-used"
moderator = staff("moderator", "Moderator")
writers = [staff(f"rapporteur{i}", "Rapporteur") for i in range(rapporteurs)]
items = list(AgendaItem.objects.filter(consultation=c).order_by("position").values_list("pk", flat=True))
print(json.dumps({"participants": participants, "moderator": moderator, "rapporteurs": writers, "items": items}))
"""

CHECK = """
import json, sys
import django
django.setup()
from feedback.models import LivePoint
print(json.dumps({p.participant.email: p.text for p in LivePoint.objects.select_related("participant")}))
"""


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.poll_ms: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0
        self.seen: dict[int, dict[int, float]] = {}  # item id -> follower -> when first seen
        self.saved: dict[str, str] = {}  # typist email -> last text the server confirmed
        self.notes = 0

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1


def connection(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def cookie(session: str) -> str:
    return f"sessionid={session}; csrftoken={CSRF}"


def request(conn: http.client.HTTPConnection, method: str, path: str, headers: dict, body: str | None = None):
    """(status, ETag, body); status 0 when the connection failed twice. The server closes a keep-alive
    connection idle for 5 s, as browsers expect: one new connection is tried, as a browser does."""
    for _attempt in range(2):
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            return answer.status, answer.getheader("ETag"), answer.read()
        except (OSError, http.client.HTTPException):
            conn.close()
    return 0, None, b""


def follower(port: int, index: int, session: str, stats: Stats, stop: float, typist: bool) -> None:
    conn = connection(port)
    headers = {"Cookie": cookie(session)}
    request(conn, "GET", f"/c/{SLUG}/meeting/", headers)  # records attendance
    warm = time.monotonic() + WARM_UP
    etag, item, words, next_type = "", None, [], time.monotonic()
    next_poll = time.monotonic() + (index % 20) / 10  # spread the polls over the 2 s
    while time.monotonic() < stop:
        now = time.monotonic()
        if now >= next_poll:
            started = time.perf_counter()
            status, new_etag, body = request(
                conn, "GET", f"/c/{SLUG}/meeting/now.json", {**headers, "If-None-Match": etag}
            )
            elapsed = (time.perf_counter() - started) * 1000
            stats.count(status)
            if now >= warm:  # the first seconds open every page at once: not the steady state
                with stats.lock:
                    stats.poll_ms.append(elapsed)
            if status == 200:
                etag = new_etag or ""
                data = json.loads(body)
                if data["item"]:
                    item = data["item"]["id"]
                    with stats.lock:
                        stats.seen.setdefault(item, {}).setdefault(index, time.monotonic())
            next_poll += 2
        if typist and item is not None and now >= next_type:
            words.append(f"w{len(words)}")
            text = " ".join(words[-40:])
            field = f"live{item}"
            body = urllib.parse.urlencode({"field": field, field: text})
            status, _etag, _body = request(
                conn,
                "POST",
                f"/c/{SLUG}/meeting/autosave/",
                {**headers, "X-CSRFToken": CSRF, "Content-Type": "application/x-www-form-urlencoded"},
                body,
            )
            stats.count(status)
            if status == 200:
                with stats.lock:
                    stats.saved[f"p{index}@example.org"] = text
            next_type += 1
        time.sleep(max(0.0, min(next_poll, next_type if typist else next_poll) - time.monotonic()))


def rapporteur(port: int, session: str, items: list[int], stats: Stats, stop: float) -> None:
    conn = connection(port)
    headers = {
        "Cookie": cookie(session),
        "X-CSRFToken": CSRF,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    n = 0
    while time.monotonic() < stop:
        n += 1
        body = urllib.parse.urlencode(
            {
                "agenda_item": items[n % len(items)],
                "kind": "point",
                "speaker": "unattributed",
                "text": f"Note {n}",
            }
        )
        status, _etag, _body = request(conn, "POST", f"/meeting/{SLUG}/notes/", headers, body)
        stats.count(status)
        if status == 302:
            with stats.lock:
                stats.notes += 1
        time.sleep(5)


def moderator(
    port: int, session: str, stats: Stats, stop: float, presses: list[float], interval: float
) -> None:
    conn = connection(port)
    headers = {
        "Cookie": cookie(session),
        "X-CSRFToken": CSRF,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    status, _etag, _body = request(conn, "POST", f"/meeting/{SLUG}/console/start/", headers, "")
    stats.count(status)
    presses.append(time.monotonic())
    while time.monotonic() + interval < stop - 3:
        time.sleep(interval)
        status, _etag, _body = request(conn, "POST", f"/meeting/{SLUG}/console/next/", headers, "")
        stats.count(status)
        presses.append(time.monotonic())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=300, help="seconds")
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument("--typists", type=int, default=20)
    parser.add_argument("--rapporteurs", type=int, default=3)
    parser.add_argument(
        "--next-every", type=float, default=20.0, help="seconds between the moderator's nexts"
    )
    args = parser.parse_args()

    admin_url = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    db_name = f"bench_meeting_{os.getpid()}"
    import psycopg

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = production_like(tmp, **HIGH_RATE_LIMITS, ADMIN_REQUIRE_2FA="0")
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
        env["CACHE_KEY_PREFIX"] = f"bench-meeting-{secrets.token_hex(4)}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db_name}")
            conn.execute(f"CREATE DATABASE {db_name}")
        env["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/{db_name}"
        server = None
        try:
            python = str(BIN / "python")
            run([python, "manage.py", "migrate", "--noinput"], env)
            run([python, "manage.py", "collectstatic", "--noinput"], env)
            seeded = json.loads(
                run([python, "-c", SEED, str(args.followers), str(args.rapporteurs), SLUG], env)
            )
            port = free_port()
            server = start_server(env, port, tmp)
            stats, presses = Stats(), []
            stop = time.monotonic() + args.duration
            threads = [
                threading.Thread(target=follower, args=(port, i, s, stats, stop, i < args.typists))
                for i, s in enumerate(seeded["participants"])
            ]
            threads += [
                threading.Thread(target=rapporteur, args=(port, s, seeded["items"], stats, stop))
                for s in seeded["rapporteurs"]
            ]
            threads.append(
                threading.Thread(
                    target=moderator, args=(port, seeded["moderator"], stats, stop, presses, args.next_every)
                )
            )
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            stored = json.loads(run([python, "-c", CHECK], env))
            # What the server itself took per poll (gunicorn's access log), apart from the load generator's share.
            server_ms = sorted(
                float(entry["duration_ms"])
                for entry in map(json.loads, (tmp / "access.log").read_text().splitlines())
                if "now.json" in entry.get("path", entry.get("request", ""))
            )
        finally:
            if server is not None:
                stop_server(server)
                errors = [line for line in (tmp / "gunicorn.log").read_text().splitlines() if "Error" in line]
                if errors:
                    print("gunicorn log, errors:", *errors[-5:], sep="\n  ")
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")

    lost = sum(1 for email, text in stats.saved.items() if stored.get(email) != text)
    polls = sorted(stats.poll_ms)
    p99 = polls[int(len(polls) * 0.99) - 1] if polls else 0
    five_xx = sum(n for status, n in stats.statuses.items() if status >= 500)
    # For each press, the time until the last follower saw the item it made current (items in press order).
    items = seeded["items"]
    reach = []
    for number, pressed in enumerate(presses):
        seen = stats.seen.get(items[number], {})
        if len(seen) == args.followers:
            reach.append(max(seen.values()) - pressed)
    print(
        f"{args.followers} followers (poll every 2 s), {args.typists} typing, {args.rapporteurs} rapporteurs, "
        f"{args.duration} s, gunicorn {env.get('GUNICORN_WORKERS', 'default')} on PostgreSQL + Redis, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"requests by status: {dict(sorted(stats.statuses.items()))}")
    print(
        f"polls: {len(polls)}, p50 {statistics.median(polls):.1f} ms, p99 {p99:.1f} ms, max {polls[-1]:.1f} ms"
    )
    if server_ms:
        print(
            f"polls as the server timed them: p50 {statistics.median(server_ms):.1f} ms, "
            f"p99 {server_ms[int(len(server_ms) * 0.99) - 1]:.1f} ms"
        )
    print(f"live points: {len(stats.saved)} typists, {lost} lost; rapporteur notes saved: {stats.notes}")
    print(f"5xx: {five_xx}")
    if reach:
        print(
            f"'next' seen by all {args.followers}: {len(reach)} of {len(presses)} presses, "
            f"median {statistics.median(reach):.2f} s, worst {max(reach):.2f} s"
        )
    sys.exit(1 if lost or five_xx else 0)


if __name__ == "__main__":
    main()
