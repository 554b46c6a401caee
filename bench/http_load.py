"""Requests per second of a participant's question page, of autosave and of the live meeting's poll, as ratios
of GET /healthz, through gunicorn with production settings (consultation/gunicorn.conf.py), measured with wrk on
127.0.0.1.

Usage: .venv/bin/python bench/http_load.py [--rounds 3] [--duration 10] [--connections 32] [--sqlite] [--compare]
                                           [--one-connection]
Creates a throw-away PostgreSQL database (BENCH_ADMIN_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/postgres, is used to CREATE and DROP it) or, with --sqlite, a file in a
temporary folder; migrates it, collects static files into a temporary STATIC_ROOT and seeds one open
consultation with 5 questions and --participants participants (each with a response and 5 answers). Starts
gunicorn on a free loopback port, binds a session for a few participants through the real invitation POST
(GET /i/<token>/ for the CSRF token, then POST), and per round runs wrk (--latency) against /healthz, the
question page (GET with the session cookie), the autosave POST (form data with the CSRF token, cycling
participants and values) and the meeting's poll (GET now.json with the ETag of what is shown: 304, as nearly
every poll is; the seed starts a meeting). Prints the median requests/s, p50 and p99 of the rounds and each
target's ratio to /healthz (issue 17's targets: question page and autosave >= 0.20x with p99 <= 100 ms at 32
connections, the poll >= 0.6x). --one-connection then runs each target once at one connection and prints its
p50 (target: <= 2 ms for the question page and autosave). --compare repeats the rounds for sync and gthread
workers of several sizes. The resource page has its own script, bench/resource_page.py.

The server runs with DEBUG=0 and a random SECRET_KEY like production, except that the HTTPS-only controls are
off (SECURE_SSL_REDIRECT=0, SECURE_COOKIES=0, no HSTS): wrk speaks plain HTTP on loopback, and secure cookies
would never be sent back over it. Rate limits are raised far above what wrk sends (RATE_LIMIT_*_IP and
RATE_LIMIT_AUTOSAVE etc.), otherwise autosave would be measured answering 429; the counters still run, in
Redis (REDIS_URL, default redis://127.0.0.1:6379/14 with a unique key prefix; --no-redis for the per-process
memory cache), as in production with several workers.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from string import Template

from loopback_env import HIGH_RATE_LIMITS, production_like  # noqa: E402  # bench/, the script's folder

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
SLUG = "bench-http"
SESSIONS = 8  # participants whose sessions wrk cycles through (answers of one participant lock one row)

# Default config is gunicorn.conf.py's own defaults (None: the environment is left alone).
CONFIGS = {
    "default": None,
    "sync x3": {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_WORKERS": "3", "GUNICORN_THREADS": "1"},
    "sync x5": {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_WORKERS": "5", "GUNICORN_THREADS": "1"},
    "gthread 2x4": {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4"},
    "gthread 2x8": {"GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "8"},
}

SEED = Template("""
import json, sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from feedback.models import Answer, Consultation, Participant, Question, Response
count, sessions = int(sys.argv[1]), int(sys.argv[2])
now = timezone.now()
consultation = Consultation.objects.create(
    title="Bench", slug="$slug", stakeholder_group="Bench",
    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7),
)
questions = [
    Question.objects.create(consultation=consultation, number=i, text=f"Guiding question {i}?",
                            help_text="Some help text for this question.")
    for i in range(1, 6)
]
people, tokens = [], []
for i in range(count):
    p = Participant(consultation=consultation, name=f"Person {i}", email=f"p{i}@example.org",
                    organisation=f"Org {i % 50}", attribution="named", consented_at=now, pseudonym=f"P-{i:06d}")
    tokens.append(p.issue_token())
    people.append(p)
people = Participant.objects.bulk_create(people, batch_size=1000)
responses = Response.objects.bulk_create([Response(participant=p) for p in people], batch_size=1000)
Answer.objects.bulk_create(
    [Answer(response=r, question=q, text="An earlier answer of typical length. " * 8)
     for r in responses for q in questions], batch_size=2000)
# The meeting under way (a rehearsal started from the console), for the participants' poll.
from django.contrib.auth.models import User
from feedback.meeting import services as meeting
from feedback.models import AgendaItem
for position in range(1, 6):
    AgendaItem.objects.create(consultation=consultation, position=position, title=f"Item {position}",
                              planned_minutes=10, question=questions[position - 1])
meeting.start(consultation=consultation, by=User.objects.create_user("bench-moderator", is_staff=True))
print(json.dumps(tokens[:sessions]))
""").substitute(slug=SLUG)

GET_LUA = Template("""
local cookies = {$cookies}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "$path", {["Cookie"] = cookies[i % #cookies + 1]})
end
""")

# The meeting's poll as a following page sends it: with the ETag of what it shows, answered 304 while nothing
# changes (as nearly every poll is).
POLL_LUA = Template("""
local cookies = {$cookies}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "$path", {["Cookie"] = cookies[i % #cookies + 1], ["If-None-Match"] = '$etag'})
end
""")

POST_LUA = Template("""
local cookies = {$cookies}
local tokens = {$tokens}
local values = {"Human+oversight+first.", "Audit+logs+and+bias+testing+matter+most.",
                "Explainability%2C+then+redress.", "We+would+add+data+protection+by+design."}
local i = 0
request = function()
  i = i + 1
  local s = i % #cookies + 1
  local body = "field=q1&q1=" .. values[i % #values + 1] .. "+(" .. i .. ")&csrfmiddlewaretoken=" .. tokens[s]
  return wrk.format("POST", "$path", {
    ["Cookie"] = cookies[s], ["X-CSRFToken"] = tokens[s],
    ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
""")


PORTS = range(8130, 8140)  # this benchmark's ports; any free port when all are taken


def free_port() -> int:
    for port in [*PORTS, 0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{args[1]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def bind_session(base: str, token: str) -> tuple[str, str]:
    """A participant's browser after the invitation POST: (Cookie header, CSRF token)."""
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(f"{base}/i/{token}/", timeout=10) as page:
        html = page.read().decode()
        csrf_cookie = re.search(r"csrftoken=([^;]+)", page.headers.get("Set-Cookie", ""))[1]
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": form_token}).encode()
    request = urllib.request.Request(  # noqa: S310  # nosec B310  # loopback http only
        f"{base}/i/{token}/", data=body, headers={"Cookie": f"csrftoken={csrf_cookie}"}
    )
    try:
        opener.open(request, timeout=10)
        raise RuntimeError("the invitation POST did not redirect")
    except urllib.error.HTTPError as answer:  # the 302 (redirects are not followed)
        if answer.code != 302:
            raise
        session = re.search(r"sessionid=([^;]+)", answer.headers.get("Set-Cookie", ""))[1]
    cookie = f"csrftoken={csrf_cookie}; sessionid={session}"
    # The question page must answer 200 with this cookie, or every figure below would be of an error page.
    page_request = urllib.request.Request(f"{base}/c/{SLUG}/questions/", headers={"Cookie": cookie})  # noqa: S310
    with opener.open(page_request) as page:
        html = page.read().decode()
    page_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    return cookie, page_token


def poll_etag(url: str, cookie: str) -> str:
    """The ETag of what the meeting page shows now (the poll answers 200 with it once, then 304)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310  # nosec B310  # loopback
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310  # nosec B310
        etag = answer.headers["ETag"]
    if not etag:
        raise RuntimeError("the meeting poll sent no ETag")
    return etag


def wrk(url: str, script: str | None, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    command = [WRK, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    if script:
        path = tmp / "script.lua"
        path.write_text(script)
        command += ["-s", str(path)]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=args.duration + 30, check=True
    ).stdout
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p50, p99 = (
        float(m[1]) * units[m[2]]
        for m in (re.search(rf"^\s+{p}%\s+([0-9.]+)(us|ms|s)\s*$", out, re.M) for p in ("50", "99"))
    )
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out)[1]),
        "p50": p50,
        "p99": p99,
        "non2xx": int(bad[1]) if bad else 0,
        "errors": errors[1] if errors else "",
    }


def start_server(env: dict[str, str], port: int, tmp: Path) -> subprocess.Popen:
    log = open(tmp / "gunicorn.log", "ab")  # noqa: SIM115  # closed with the process
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "consultation/gunicorn.conf.py", "consultation.wsgi",
         "--access-logfile", str(tmp / "access.log")],
        env={**env, "PORT": str(port)}, cwd=ROOT, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:  # noqa: S310  # nosec B310
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"gunicorn did not start: see {tmp / 'gunicorn.log'}")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def measure(name: str, env: dict[str, str], tokens: list[str], args: argparse.Namespace, tmp: Path) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, tmp)
    try:
        sessions = [bind_session(base, token) for token in tokens]
        cookies = ", ".join(json.dumps(cookie) for cookie, _ in sessions)
        csrf = ", ".join(json.dumps(token) for _, token in sessions)
        poll = f"/c/{SLUG}/meeting/now.json"
        etag = poll_etag(f"{base}{poll}", sessions[0][0])
        targets = {
            "healthz": (f"{base}/healthz", None),
            "question page": (f"{base}/c/{SLUG}/questions/", GET_LUA.substitute(cookies=cookies, path=f"/c/{SLUG}/questions/")),
            "autosave POST": (
                f"{base}/c/{SLUG}/autosave/",
                POST_LUA.substitute(cookies=cookies, tokens=csrf, path=f"/c/{SLUG}/autosave/"),
            ),
            "meeting poll": (f"{base}{poll}", POLL_LUA.substitute(cookies=cookies, path=poll, etag=etag)),
        }  # fmt: skip
        rounds: dict[str, list[dict]] = {label: [] for label in targets}
        for number in range(1, args.rounds + 1):
            for label, (url, script) in targets.items():
                result = wrk(url, script, args, tmp)
                rounds[label].append(result)
                flag = f"  non-2xx: {result['non2xx']}" if result["non2xx"] else ""
                print(
                    f"  [{name}] round {number} {label:<14} {result['rps']:>8.0f} req/s  "
                    f"p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms{flag}",
                    flush=True,
                )
        if args.one_connection:
            # One request at a time: the page's own latency, with no queue in front of it.
            single = argparse.Namespace(**{**vars(args), "connections": 1, "threads": 1})
            for label, (url, script) in targets.items():
                result = wrk(url, script, single, tmp)
                rounds.setdefault("one connection", {})[label] = result
                print(f"  [{name}] 1 connection {label:<14} p50 {result['p50']:6.2f} ms", flush=True)
    finally:
        stop_server(server)
    log = (tmp / "access.log").read_text()
    leaked = [token for token in tokens if token in log]
    if leaked or "/i/[token]/" not in log:
        raise RuntimeError("the access log holds an invitation token, or the invite requests were not logged")
    return rounds


def summary(name: str, rounds: dict) -> None:
    single = rounds.get("one connection", {})
    rounds = {label: results for label, results in rounds.items() if label != "one connection"}
    base = statistics.median(r["rps"] for r in rounds["healthz"])
    print(f"\n{name}: median of {len(rounds['healthz'])} rounds")
    header = f"{'target':<16} {'req/s':>8} {'x healthz':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
    print(header + (f" {'p50 @1 conn':>12}" if single else ""))
    for label, results in rounds.items():
        rps = statistics.median(r["rps"] for r in results)
        p50 = statistics.median(r["p50"] for r in results)
        p99 = statistics.median(r["p99"] for r in results)
        non2xx = sum(r["non2xx"] for r in results)
        alone = f" {single[label]['p50']:>12.2f}" if label in single else ""
        print(f"{label:<16} {rps:>8.0f} {rps / base:>10.2f} {p50:>8.1f} {p99:>8.1f} {non2xx:>8}{alone}")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--sqlite", action="store_true", help="SQLite in a temporary folder, not PostgreSQL")
    parser.add_argument("--no-redis", action="store_true", help="per-process memory cache for rate limits")
    parser.add_argument("--compare", action="store_true", help="sync x3/x5 and gthread 2x4/2x8 in turn")
    parser.add_argument(
        "--one-connection", action="store_true", help="then each target once at 1 connection (its p50 alone)"
    )
    args = parser.parse_args()

    admin_url = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    db_name = f"bench_http_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = production_like(tmp, **HIGH_RATE_LIMITS)
        if not args.no_redis:
            env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
            env["CACHE_KEY_PREFIX"] = f"bench-http-{secrets.token_hex(4)}"
        if args.sqlite:
            env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {db_name}")
                conn.execute(f"CREATE DATABASE {db_name}")
            env["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/{db_name}"
        try:
            python = str(BIN / "python")
            run([python, "manage.py", "migrate", "--noinput"], env)
            run([python, "manage.py", "collectstatic", "--noinput"], env)
            tokens = json.loads(run([python, "-c", SEED, str(args.participants), str(SESSIONS)], env))
            database = "SQLite" if args.sqlite else "PostgreSQL"
            print(
                f"{database}, {args.participants} participants; wrk -t{args.threads} -c{args.connections} "
                f"-d{args.duration}s, {args.rounds} rounds; {os.cpu_count()} CPUs",
                flush=True,
            )
            names = [name for name in CONFIGS if name != "default"] if args.compare else ["default"]
            results = {}
            for name in names:
                results[name] = measure(name, {**env, **(CONFIGS[name] or {})}, tokens, args, tmp)
                summary(name, results[name])
            if args.compare:
                print("Summary (median req/s; ratio to healthz; question page p99)")
                for name, rounds in results.items():
                    med = {
                        label: statistics.median(r["rps"] for r in rs)
                        for label, rs in rounds.items()
                        if label != "one connection"
                    }
                    p99 = statistics.median(r["p99"] for r in rounds["question page"])
                    print(
                        f"  {name:<12} healthz {med['healthz']:>6.0f}  questions {med['question page']:>5.0f} "
                        f"({med['question page'] / med['healthz']:.2f}x, p99 {p99:.0f} ms)  autosave "
                        f"{med['autosave POST']:>5.0f} ({med['autosave POST'] / med['healthz']:.2f}x)"
                    )
        finally:
            if not args.sqlite:
                import psycopg

                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")


if __name__ == "__main__":
    main()
