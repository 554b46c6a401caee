"""Requests per second of a participant's resource page (a draft of 200 numbered paragraphs on which the
participant has made 50 comments, most quoting a passage) as a ratio of GET /healthz in the same run, through
gunicorn with production settings, measured with wrk on 127.0.0.1. Target: >= 0.10x.

Usage: .venv/bin/python bench/resource_page.py [--rounds 3] [--duration 10] [--connections 32] [--sqlite]
       [--no-redis]
Same set-up as bench/http_load.py (whose helpers it uses): a throw-away PostgreSQL database (or, with --sqlite,
a file in a temporary folder), migrated, static files collected, seeded with one open consultation using one
resource (20 sections of 10 paragraphs) and 8 participants with 50 comments each on it; sessions bound through
the real invitation POST; per round wrk runs against /healthz and the resource page (GET with the session
cookies, cycling participants). Prints the median requests/s, p50 and p99 and each target's ratio to /healthz.
"""

import argparse
import json
import os
import secrets
import statistics
import tempfile
from pathlib import Path
from string import Template

from http_load import (  # noqa: E402  # bench/, the script's folder
    BIN,
    GET_LUA,
    SLUG,
    bind_session,
    free_port,
    run,
    start_server,
    stop_server,
    wrk,
)
from loopback_env import HIGH_RATE_LIMITS, production_like  # noqa: E402

SESSIONS = 8
SEED = Template("""
import json, sys
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from feedback.models import (Comment, Consultation, ConsultationResource, Participant, Question, Resource,
                             ResourceParagraph, ResourceSection, Response)
sessions = int(sys.argv[1])
now = timezone.now()
consultation = Consultation.objects.create(
    title="Bench", slug="$slug", stakeholder_group="Bench",
    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7),
)
Question.objects.create(consultation=consultation, number=1, text="Guiding question?")
resource = Resource.objects.create(title="Principles (bench)", category="primary", summary="A long draft.")
version = resource.latest_version()
ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
paragraphs = []
for position in range(1, 21):
    section = ResourceSection.objects.create(resource=resource, version=version, position=position,
                                             number=f"{(position - 1) // 4 + 1}.{(position - 1) % 4 + 1}",
                                             level=2, heading=f"Heading of section {position}")
    paragraphs += ResourceParagraph.objects.bulk_create([
        ResourceParagraph(section=section, number=n, kind="list_item" if n % 4 == 0 else "paragraph",
                          text=f"Paragraph {n} of section {position}: an agency uses the system only where the "
                               "law allows it, and only as far as the stated purpose requires, after an "
                               "assessment of the risks to the people affected and with a human in charge.")
        for n in range(1, 11)])
tokens = []
for i in range(sessions):
    p = Participant(consultation=consultation, name=f"Person {i}", email=f"p{i}@example.org",
                    organisation=f"Org {i}", attribution="named", consented_at=now, pseudonym=f"P-{i:06d}")
    tokens.append(p.issue_token())
    p.save()
    response = Response.objects.create(participant=p)
    comments = []
    for k in range(50):
        paragraph = paragraphs[(k * 4 + i) % len(paragraphs)]
        quoted = k % 5 != 0
        start = paragraph.text.index("the law allows it")
        comments.append(Comment(
            response=response, resource=resource, version=version, section_id=paragraph.section_id,
            paragraph=paragraph, kind=("general", "technical", "editorial")[k % 3],
            quote="the law allows it" if quoted else "", quote_start=start if quoted else None,
            text=f"Comment {k}: name the law and say who assesses the purpose. " * 3,
            proposed_change="where national law and international human rights law allow it" if k % 2 else ""))
    Comment.objects.bulk_create(comments)
print(json.dumps({"tokens": tokens, "resource": resource.pk}))
""").substitute(slug=SLUG)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--sqlite", action="store_true", help="SQLite in a temporary folder, not PostgreSQL")
    parser.add_argument("--no-redis", action="store_true", help="per-process memory cache for rate limits")
    args = parser.parse_args()

    admin_url = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    db_name = f"bench_resource_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = production_like(tmp, **HIGH_RATE_LIMITS)
        if not args.no_redis:
            env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
            env["CACHE_KEY_PREFIX"] = f"bench-resource-{secrets.token_hex(4)}"
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
            seeded = json.loads(run([python, "-c", SEED, str(SESSIONS)], env))
            database = "SQLite" if args.sqlite else "PostgreSQL"
            print(
                f"{database}; 200 paragraphs, 50 comments per participant; wrk -t{args.threads} "
                f"-c{args.connections} -d{args.duration}s, {args.rounds} rounds; {os.cpu_count()} CPUs",
                flush=True,
            )
            rounds = measure(env, seeded, args, tmp)
        finally:
            if not args.sqlite:
                import psycopg

                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
    base = statistics.median(r["rps"] for r in rounds["healthz"])
    print(f"\nmedian of {args.rounds} rounds")
    print(f"{'target':<16} {'req/s':>8} {'x healthz':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for label, results in rounds.items():
        rps = statistics.median(r["rps"] for r in results)
        p50 = statistics.median(r["p50"] for r in results)
        p99 = statistics.median(r["p99"] for r in results)
        non2xx = sum(r["non2xx"] for r in results)
        print(f"{label:<16} {rps:>8.0f} {rps / base:>10.2f} {p50:>8.1f} {p99:>8.1f} {non2xx:>8}")
    ratio = statistics.median(r["rps"] for r in rounds["resource page"]) / base
    print(
        f"\nresource page / healthz = {ratio:.2f} (target >= 0.10): {'met' if ratio >= 0.10 else 'NOT met'}"
    )


def measure(env: dict[str, str], seeded: dict, args: argparse.Namespace, tmp: Path) -> dict[str, list[dict]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, tmp)
    try:
        sessions = [bind_session(base, token) for token in seeded["tokens"]]
        cookies = ", ".join(json.dumps(cookie) for cookie, _ in sessions)
        path = f"/c/{SLUG}/resources/{seeded['resource']}/"
        # The page must be the real one (200 paragraphs, 50 marked passages), not an error or a redirect.
        import urllib.request

        request = urllib.request.Request(base + path, headers={"Cookie": sessions[0][0]})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as page:  # noqa: S310  # nosec B310
            html = page.read().decode()
        if html.count('class="doc-para ') != 200 or html.count('<mark class="own-passage"') != 40:
            raise RuntimeError("the resource page does not show the seeded draft and comments")
        print(f"resource page: {len(html) // 1024} KiB of HTML", flush=True)
        targets = {"healthz": (f"{base}/healthz", None), "resource page": (base + path, GET_LUA.substitute(cookies=cookies, path=path))}  # fmt: skip
        rounds: dict[str, list[dict]] = {label: [] for label in targets}
        for number in range(1, args.rounds + 1):
            for label, (url, script) in targets.items():
                result = wrk(url, script, args, tmp)
                rounds[label].append(result)
                print(
                    f"  round {number} {label:<14} {result['rps']:>8.0f} req/s  p50 {result['p50']:6.1f} ms  "
                    f"p99 {result['p99']:6.1f} ms  non-2xx {result['non2xx']}",
                    flush=True,
                )
    finally:
        stop_server(server)
    return rounds


if __name__ == "__main__":
    main()
