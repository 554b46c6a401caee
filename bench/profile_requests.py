"""CPU cost per request of /healthz, a participant's question page and the autosave POST, in process.

Usage: .venv/bin/python bench/profile_requests.py [-n 300] [--sqlite] [--profile questions|autosave|healthz]
                                                  [--top 25] [--no-redis] [--blocks 5] [--dump FILE]
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
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from loopback_env import HIGH_RATE_LIMITS, production_like  # bench/, the script's folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SLUG = "bench-profile"
KEEP = ("cpu_ms", "cpu_median_ms", "db_cpu_ms", "wall_ms", "queries", "calls")


def configure(args: argparse.Namespace, tmp: Path) -> str | None:
    """Production-like environment (bench/loopback_env.py); returns the database to drop at the end."""
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


def seed(participants: int) -> str:
    """One open consultation as in bench/http_load.py; returns the first participant's invitation token."""
    from datetime import timedelta

    from django.utils import timezone

    from feedback.models import Answer, Consultation, Participant, Question, Response

    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Bench", slug=SLUG, stakeholder_group="Bench",
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7),
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
    return tokens[0]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="requests per target")
    parser.add_argument("--blocks", type=int, default=5, help="blocks the requests are split into")
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument(
        "--profile", choices=["healthz", "questions", "autosave"], action="append", default=[]
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dump", type=Path, help="write the question page's HTML to this file and stop")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db_name = configure(args, tmp)
        try:
            run(args)
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


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.template import engines

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    token = seed(args.participants)
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
    texts = [
        "Human oversight first.",
        "Audit logs and bias testing matter most.",
        "Explainability, then redress.",
    ]
    counter = iter(range(10**9))

    def autosave() -> tuple:
        body = urlencode({"field": "q1", "q1": f"{texts[next(counter) % 3]} ({next(counter)})"})
        return client("POST", f"/c/{SLUG}/autosave/", body.encode(), {"X-CSRFToken": csrf})

    targets = {
        # wrk sends no cookie to /healthz.
        "healthz": lambda: client("GET", "/healthz", cookies=False),
        "questions": lambda: client("GET", f"/c/{SLUG}/questions/"),
        "autosave": autosave,
    }
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
    for name, r in results.items():
        if "sql" in r and os.environ.get("BENCH_SHOW_SQL"):
            print(f"\n{name} queries:\n" + "\n".join("  " + q[:200] for q in r["sql"]))
        if "profile" in r:
            print(f"\ncProfile of {name} ({args.n} requests, sorted by {args.sort}):\n{r['profile']}")
    print(json.dumps({k: {m: v for m, v in r.items() if m in KEEP} for k, r in results.items()}))


if __name__ == "__main__":
    main()
