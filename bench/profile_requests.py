"""CPU cost per request of /healthz and the participant's pages, in process: the question page, the autosave
POST, the live meeting's poll (now.json, answered 304 as most polls are) and a resource page of 200 paragraphs
with 50 of the participant's comments.

Usage: .venv/bin/python bench/profile_requests.py [-n 300] [--sqlite] [--profile TARGET] [--top 25]
                                                  [--no-redis] [--blocks 5] [--dump FILE] [--instructions]
Wall clock on a shared 2-core machine says little; CPU time per request does. The script sets up what
bench/http_load.py serves (production settings: DEBUG=0, the cached template loader, manifest static files,
Redis for the cache; a throw-away PostgreSQL database `bench_profile_<pid>` or, with --sqlite, a temporary
file; one open consultation with 5 questions, 200 participants with 5 answers each), binds a participant's
session through the real invitation POST, then calls Django's WSGI handler directly (as gunicorn would, without
the test client's extras) -n times per target. It prints per request: the Python CPU time (time.process_time;
the quietest of --blocks blocks, and the median), the function calls (from cProfile: a noise-free measure to
compare two versions of a page), the database server's CPU time (the PostgreSQL backend's utime + stime from /proc; not measured on SQLite,
where it is part of Python's), the queries and the wall time; then the ratios of /healthz's CPU to each page's,
which is the ratio wrk would measure on a saturated machine where CPU is the bottleneck. --profile prints a
cProfile top list (cumulative time) of one target.

--instructions also counts the machine instructions per request of each target with valgrind's callgrind (the
Python process only: not PostgreSQL's or Redis's). Unlike time, the count hardly moves with the machine's load
(a few tenths of a percent between runs), so it shows a change of a few percent that timing cannot. Each target
runs in a process of its own under valgrind, against the database seeded here; the requests measured are
marked with callgrind's client requests (a tiny C helper compiled with gcc and valgrind's headers, Debian's
`valgrind` package).
"""

import argparse
import cProfile
import ctypes
import io
import json
import os
import pstats
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from loopback_env import HIGH_RATE_LIMITS, production_like  # bench/, the script's folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SLUG = "bench-profile"
KEEP = ("cpu_ms", "cpu_median_ms", "db_cpu_ms", "wall_ms", "queries", "calls", "instructions")


def configure(args: argparse.Namespace, tmp: Path) -> str | None:
    """Production-like environment (bench/loopback_env.py); returns the database to drop at the end (None when
    there is none, or when it is another process's: --reuse)."""
    os.environ.update(
        production_like(
            tmp,
            # The same lookups as production's compressed manifest storage, without compressing every file.
            STATICFILES_BACKEND="django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
            **HIGH_RATE_LIMITS,
        )
    )
    if not args.no_redis:
        os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
        os.environ["CACHE_KEY_PREFIX"] = f"bench-profile-{secrets.token_hex(4)}"
    if args.reuse:
        # The parent's database and collected static files.
        os.environ["DATABASE_URL"] = args.reuse
        os.environ["STATIC_ROOT"] = args.static_root
        return None
    if args.sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        return None
    import psycopg

    admin_url = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_profile_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + f"/{name}"
    return name


def seed(participants: int) -> tuple[str, int]:
    """One open consultation as in bench/http_load.py, with a meeting running and a resource as in
    bench/resource_page.py (20 sections of 10 paragraphs, 50 comments of the first participant on it); returns
    the first participant's invitation token and the resource's id."""
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.utils import timezone

    from feedback.meeting import services as meeting
    from feedback.models import (
        AgendaItem,
        Answer,
        Comment,
        Consultation,
        ConsultationResource,
        Participant,
        Question,
        Resource,
        ResourceParagraph,
        ResourceSection,
        Response,
    )

    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Bench", slug=SLUG, stakeholder_group="Bench",
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7),
        meeting_starts_at=now, meeting_ends_at=now + timedelta(minutes=90),
    )  # fmt: skip
    questions = [
        Question.objects.create(
            consultation=consultation, number=i, text=f"Guiding question {i}?",
            help_text="Some help text for this question.",
        )
        for i in range(1, 6)
    ]  # fmt: skip
    people, tokens = [], []
    for i in range(participants):
        p = Participant(
            consultation=consultation, name=f"Person {i}", email=f"p{i}@example.org",
            organisation=f"Org {i % 50}", attribution="named", consented_at=now, pseudonym=f"P-{i:06d}",
        )  # fmt: skip
        tokens.append(p.issue_token())
        people.append(p)
    people = Participant.objects.bulk_create(people)
    responses = Response.objects.bulk_create([Response(participant=p) for p in people])
    Answer.objects.bulk_create(
        [
            Answer(response=r, question=q, text="An earlier answer of typical length. " * 8)
            for r in responses
            for q in questions
        ]
    )
    for position in range(1, 11):
        AgendaItem.objects.create(
            consultation=consultation, position=position, title=f"Item {position}", planned_minutes=5
        )
    moderator = User.objects.create_user("bench-moderator", "moderator@example.org", is_staff=True)
    meeting.start(consultation=consultation, by=moderator)
    resource = Resource.objects.create(
        title="Principles (bench)", category="primary", summary="A long draft."
    )
    version = resource.latest_version()
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
    paragraphs = []
    for position in range(1, 21):
        section = ResourceSection.objects.create(
            resource=resource, version=version, position=position,
            number=f"{(position - 1) // 4 + 1}.{(position - 1) % 4 + 1}", level=2,
            heading=f"Heading of section {position}",
        )  # fmt: skip
        paragraphs += ResourceParagraph.objects.bulk_create(
            [
                ResourceParagraph(
                    section=section,
                    number=n,
                    kind="list_item" if n % 4 == 0 else "paragraph",
                    text=f"Paragraph {n} of section {position}: an agency uses the system only where the law "
                    "allows it, and only as far as the stated purpose requires, after an assessment of the "
                    "risks to the people affected and with a human in charge.",
                )  # fmt: skip
                for n in range(1, 11)
            ]
        )
    comments = []
    for k in range(50):
        paragraph = paragraphs[(k * 4) % len(paragraphs)]
        quoted = k % 5 != 0
        start = paragraph.text.index("the law allows it")
        comments.append(
            Comment(
                response=responses[0],
                resource=resource,
                version=version,
                section_id=paragraph.section_id,
                paragraph=paragraph,
                kind=("general", "technical", "editorial")[k % 3],
                quote="the law allows it" if quoted else "",
                quote_start=start if quoted else None,
                text=f"Comment {k}: name the law and say who assesses the purpose. " * 3,
                proposed_change="where national law and international human rights law allow it"
                if k % 2
                else "",
            )  # fmt: skip
        )
    Comment.objects.bulk_create(comments)
    return tokens[0], resource.pk


class Wsgi:
    """Calls Django's WSGI handler with hand-built environs, keeping cookies like a browser."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.app = WSGIHandler()
        self.cookies: dict[str, str] = {}

    def __call__(
        self, method: str, path: str, body: bytes = b"", headers: dict | None = None, *, cookies: bool = True
    ) -> tuple:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8130",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_USER_AGENT": "wrk",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
            "CONTENT_LENGTH": str(len(body)),
        }
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        if cookies and self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for key, value in (headers or {}).items():
            environ["HTTP_" + key.upper().replace("-", "_")] = value
        status: list[str] = []
        response = self.app(environ, lambda s, h: status.append(s))
        self.last_response = response
        content = b"".join(response)
        if hasattr(response, "close"):
            response.close()
        for cookie in response.cookies.values():
            self.cookies[cookie.key] = cookie.value
        return int(status[0].split()[0]), content


def bind(client: Wsgi, token: str) -> str:
    """The invitation GET and POST, as a browser; returns the CSRF token of the question page."""
    status, html = client("GET", f"/i/{token}/")
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1].decode()
    status, _ = client("POST", f"/i/{token}/", urlencode({"csrfmiddlewaretoken": form_token}).encode())
    assert status == 302, status
    status, html = client("GET", f"/c/{SLUG}/questions/")
    assert status == 200, status
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1].decode()


def backend_cpu() -> tuple[int, float] | None:
    """(pid, CPU seconds used so far) of this connection's PostgreSQL backend process (same machine), or None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


TARGETS = ["healthz", "questions", "autosave", "poll", "resource"]


def targets_of(client: Wsgi, csrf: str, resource_id: int) -> dict:
    """Each target as a function making one request."""
    texts = [
        "Human oversight first.",
        "Audit logs and bias testing matter most.",
        "Explainability, then redress.",
    ]
    counter = iter(range(10**9))

    def autosave() -> tuple:
        body = urlencode({"field": "q1", "q1": f"{texts[next(counter) % 3]} ({next(counter)})"})
        return client("POST", f"/c/{SLUG}/autosave/", body.encode(), {"X-CSRFToken": csrf})

    status, _body = client("GET", f"/c/{SLUG}/meeting/now.json")
    etag = client.last_response["ETag"]

    def poll() -> tuple:
        status, body = client("GET", f"/c/{SLUG}/meeting/now.json", headers={"If-None-Match": etag})
        # A poll while nothing changes: 304 without a body. Counted as a success below.
        return (200 if status == 304 else status), body

    return {
        # wrk sends no cookie to /healthz.
        "healthz": lambda: client("GET", "/healthz", cookies=False),
        "questions": lambda: client("GET", f"/c/{SLUG}/questions/"),
        "autosave": autosave,
        "poll": poll,
        "resource": lambda: client("GET", f"/c/{SLUG}/resources/{resource_id}/"),
    }


MARKER_C = """#include <valgrind/callgrind.h>
void bench_toggle_collect(void) { CALLGRIND_TOGGLE_COLLECT; }
"""


def count_instructions(args: argparse.Namespace, token: str, resource_id: int, tmp: Path) -> dict[str, float]:
    """Instructions per request of each target, each in a process of its own under callgrind."""
    marker = tmp / "marker.so"
    (tmp / "marker.c").write_text(MARKER_C)
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(marker), str(tmp / "marker.c")], check=True)
    counts = {}
    for name in args.targets:
        out = tmp / f"callgrind.{name}"
        child = [
            sys.executable, __file__, "--reuse", os.environ["DATABASE_URL"], "--child", name,
            "--token", token, "--resource", str(resource_id), "--marker", str(marker),
            "--static-root", os.environ["STATIC_ROOT"],
            "-n", str(args.instructions_n),
        ]  # fmt: skip
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--collect-atstart=no", f"--callgrind-out-file={out}", *child],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"the callgrind run of {name} failed:\n{done.stderr[-3000:]}")
        totals = [line for line in out.read_text().splitlines() if line.startswith("totals:")]
        counts[name] = int(totals[0].split()[1]) / args.instructions_n
    return counts


def child(args: argparse.Namespace) -> None:
    """Under callgrind: bind the session, warm up, then collect only while making -n requests of one target."""
    import django

    django.setup()
    client = Wsgi()
    csrf = bind(client, args.token)
    call = targets_of(client, csrf, args.resource)[args.child]
    for _ in range(20):
        status, body = call()
        assert status == 200, (args.child, status, body[:300])
    marker = ctypes.CDLL(args.marker)
    marker.bench_toggle_collect()
    for _ in range(args.n):
        call()
    marker.bench_toggle_collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="requests per target")
    parser.add_argument("--blocks", type=int, default=5, help="blocks the requests are split into")
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--profile", choices=TARGETS, action="append", default=[])
    parser.add_argument(
        "--targets",
        type=lambda value: value.split(","),
        default=TARGETS,
        help="comma-separated, of " + ",".join(TARGETS),
    )
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions per request (callgrind)"
    )
    parser.add_argument("--instructions-n", type=int, default=20, help="requests counted per target")
    # Internal: the process run under callgrind by --instructions.
    parser.add_argument("--reuse", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--resource", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--marker", help=argparse.SUPPRESS)
    parser.add_argument("--static-root", help=argparse.SUPPRESS)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", type=Path, help="write the question page's HTML to this file and stop")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db_name = configure(args, tmp)
        if args.child:
            child(args)
            return
        try:
            run(args, tmp)
        finally:
            if db_name:
                from django.db import connections

                connections.close_all()
                import psycopg

                admin_url = os.environ.get(
                    "BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
                )
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")


def run(args: argparse.Namespace, tmp: Path) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.template import engines

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    token, resource_id = seed(args.participants)
    client = Wsgi()
    csrf = bind(client, token)
    if args.dump:
        args.dump.write_bytes(client("GET", f"/c/{SLUG}/questions/")[1])
        return
    loaders = engines["django"].engine.template_loaders
    print(
        f"{connection.vendor}, DEBUG={settings.DEBUG}, session engine {settings.SESSION_ENGINE}, "
        f"template loader {type(loaders[0]).__module__}.{type(loaders[0]).__name__}, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; {args.n} requests per target"
    )
    every = targets_of(client, csrf, resource_id)
    targets = {name: every[name] for name in args.targets}
    results: dict[str, dict] = {}
    for name, call in targets.items():
        status, body = call()
        assert status == 200, (name, status, body[:500])
        for _ in range(20):  # warm caches, connections, template loader
            call()
        # Queries are counted with a wrapper, not DEBUG, so that the figures are of production settings.
        queries: list[str] = []

        def count(execute: object, sql: str, *rest: object, queries: list[str] = queries) -> object:
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            call()
        # Function calls per request: a noise-free stand-in for CPU time when comparing two versions of a page.
        profiler = cProfile.Profile()
        for _ in range(20):
            profiler.runcall(call)
        calls = pstats.Stats(profiler).total_calls / 20
        results[name] = {"queries": len(queries), "sql": queries, "blocks": [], "calls": calls}
    # Blocks of the targets in turn; the quietest block of each counts, as other processes on a shared machine
    # inflate CPU time too (caches, frequency), never deflate it.
    size = max(1, args.n // args.blocks)
    for _ in range(args.blocks):
        for name, call in targets.items():
            db0 = backend_cpu()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            for _ in range(size):
                call()
            cpu = (time.process_time() - cpu0) / size * 1000
            wall = (time.perf_counter() - wall0) / size * 1000
            db1 = backend_cpu()
            # None when there is no backend to read, or when the connection was replaced (CONN_MAX_AGE).
            db = (db1[1] - db0[1]) / size * 1000 if db0 and db1 and db0[0] == db1[0] else None
            results[name]["blocks"].append((cpu, db, wall))
    for r in results.values():
        best = min(r["blocks"], key=lambda block: block[0])
        r["cpu_ms"], r["wall_ms"] = best[0], best[2]
        # The backend's CPU comes in clock ticks (10 ms): a mean over all blocks, not the quietest one.
        dbs = [block[1] for block in r["blocks"] if block[1] is not None]
        r["db_cpu_ms"] = sum(dbs) / len(dbs) if dbs else None
        r["cpu_median_ms"] = statistics.median(block[0] for block in r["blocks"])
    for name, call in targets.items():
        if name in args.profile:  # a separate run: cProfile's own overhead must not count above
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                call()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            results[name]["profile"] = out.getvalue()
    print(
        f"\n{'target':<10} {'CPU ms':>8} {'(median)':>9} {'DB CPU ms':>10} {'total ms':>9} {'wall ms':>8} "
        f"{'queries':>8} {'calls':>7} {'ratio':>7}"
    )
    base = results["healthz"]["cpu_ms"] + (results["healthz"]["db_cpu_ms"] or 0)
    if args.instructions:
        for name, count in count_instructions(args, token, resource_id, tmp).items():
            results[name]["instructions"] = count
    for name, r in results.items():
        total = r["cpu_ms"] + (r["db_cpu_ms"] or 0)
        db = f"{r['db_cpu_ms']:.2f}" if r["db_cpu_ms"] is not None else "-"
        print(
            f"{name:<10} {r['cpu_ms']:>8.2f} {r['cpu_median_ms']:>9.2f} {db:>10} {total:>9.2f} {r['wall_ms']:>8.2f} "
            f"{r['queries']:>8} {r['calls']:>7.0f} "
            f"{base / total:>7.2f}"
        )
    print(
        f"(CPU: the quietest of {args.blocks} blocks of {size} requests, and the median block; ratio: /healthz's "
        "CPU per request over the target's, Python and database together)"
    )
    if args.instructions:
        print(
            f"\ninstructions per request (callgrind, Python process only, {args.instructions_n} requests each)"
        )
        healthz = results.get("healthz", {}).get("instructions")
        for name, r in results.items():
            ratio = f"  {healthz / r['instructions']:.3f}x healthz" if healthz else ""
            print(f"{name:<10} {r['instructions'] / 1e6:8.2f} M{ratio}")
    for name, r in results.items():
        if "sql" in r and os.environ.get("BENCH_SHOW_SQL"):
            print(f"\n{name} queries:\n" + "\n".join("  " + q[:200] for q in r["sql"]))
        if "profile" in r:
            print(f"\ncProfile of {name} ({args.n} requests, sorted by {args.sort}):\n{r['profile']}")
    print(json.dumps({k: {m: v for m, v in r.items() if m in KEEP} for k, r in results.items()}))


if __name__ == "__main__":
    main()
