"""The moderation queues and the analysis dashboard at 10,000 participants and 100,000 answers: time per page,
and query counts that must not grow with the number of participants.

Usage: .venv/bin/python bench/admin_queue.py [--rounds 7] [--small 1000] [--large 10000] [--sqlite]
                                           [--keep] [--reuse DATABASE]
Creates a throw-away PostgreSQL database on BENCH_PG (default postgres://postgres@127.0.0.1:5432, trust auth;
--sqlite for a temporary SQLite file instead), migrates it and seeds one consultation with 10 questions and a
resource of 3 sections: first --small participants, then more up to --large. Each participant has a submitted
response, 10 answers and 2 comments (the whole resource and one section), a fifth pending, a tenth tagged with
themes. After each seeding (and ANALYZE on PostgreSQL) an organiser signed in with the test Client fetches
the answer queue (the default pending view, all statuses, a theme filter, "untagged", a search), the comment
queue, the theme list and the analysis dashboard, one warm-up request and then --rounds timed ones (the whole
Django stack in this process, no HTTP). Prints the median time and the query count of each page at both
sizes, and each time as a ratio of GET /healthz; exits 1 when a page's query count grows with the number of
participants (times are reported against the 300 ms target, not judged: the machine is shared).

--keep leaves the PostgreSQL database in place (its name is printed) for EXPLAIN ANALYZE in psql; --reuse NAME
measures such a kept database again at its seeded size after applying any new migrations, without seeding (so
one size only and no query-count comparison); drop it with `DROP DATABASE NAME` when done.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = f"bench_admin_queue_{os.getpid()}"
SLUG = "bench"
QUESTIONS = 10
TARGET_MS = 300
TEXT = "Human oversight of the model matters; audit logs and bias testing come next. " * 3
STATUSES = ["pending", "approved", "approved", "hidden", "flagged"]


def seed_consultation() -> dict[str, object]:
    from datetime import timedelta

    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from feedback.models import Codebook, Consultation, ConsultationResource, Question, Resource

    now = timezone.now()
    codebook = Codebook.objects.get(name__startswith="Toolkit principles")
    consultation = Consultation.objects.create(
        title="Bench",
        slug=SLUG,
        stakeholder_group="Bench",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        codebook=codebook,
    )
    resource = Resource.objects.create(title="Principles for Responsible AI Innovation", category="primary")
    sections = [
        resource.sections.create(position=i, heading=f"Section {i}", body="Text.") for i in range(1, 4)
    ]
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
    user = User.objects.create_user("bench-olga", "olga@example.org", "bench", is_staff=True)
    user.groups.add(Group.objects.get(name="Organiser"))
    return {
        "consultation": consultation,
        "questions": [
            Question.objects.create(consultation=consultation, number=i, text=f"Question {i}?")
            for i in range(1, QUESTIONS + 1)
        ],
        "resource": resource,
        "sections": sections,
        "themes": list(codebook.themes.order_by("code")),
        "user": user,
    }


def seed_participants(data: dict, start: int, stop: int) -> None:
    """Participants start..stop-1, each submitted with 10 answers and 2 comments; bulk inserts only."""
    from django.utils import timezone

    from feedback.models import Answer, Comment, Participant, Response

    now = timezone.now()
    themes = data["themes"]
    people = Participant.objects.bulk_create(
        [
            Participant(
                consultation=data["consultation"],
                name=f"Person {i}",
                email=f"p{i}@example.org",
                organisation=f"Organisation {i % 300}",
                pseudonym=f"P-{i:08d}",
                attribution="named",
                consented_at=now,
            )
            for i in range(start, stop)
        ],
        batch_size=2000,
    )
    responses = Response.objects.bulk_create(
        [Response(participant=p, status="submitted", submitted_at=now, last_edited_at=now) for p in people],
        batch_size=2000,
    )
    answers = Answer.objects.bulk_create(
        [
            Answer(response=r, question=q, text=f"{TEXT} ({i})", status=STATUSES[i % len(STATUSES)])
            for i, (r, q) in enumerate((r, q) for r in responses for q in data["questions"])
        ],
        batch_size=2000,
    )
    comments = Comment.objects.bulk_create(
        [
            Comment(
                response=r,
                resource=data["resource"],
                version=data["resource"].latest_version(),
                section=section,
                text=f"{TEXT} ({i})",
                status=STATUSES[(i + j) % len(STATUSES)],
            )
            for i, r in enumerate(responses)
            for j, section in enumerate([None, data["sections"][i % len(data["sections"])]])
        ],
        batch_size=2000,
    )
    for model, items, key in ((Answer, answers, "answer_id"), (Comment, comments, "comment_id")):
        through = model.themes.through
        through.objects.bulk_create(
            [
                through(**{key: item.pk, "theme_id": themes[i % len(themes)].pk})
                for i, item in enumerate(items)
                if i % 10 == 0
            ],
            batch_size=2000,
        )


def measure(client: object, url: str, rounds: int) -> tuple[float, int, int]:
    """Median milliseconds, queries and status of GET url over the rounds, after one warm-up request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    times = []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(captured.captured_queries), response.status_code


def pages(theme_pk: int) -> dict[str, str]:
    return {
        "healthz (baseline)": "/healthz",
        "answers: pending (default)": "/admin/feedback/answer/",
        "answers: all statuses": "/admin/feedback/answer/?status=all",
        "answers: theme filter": f"/admin/feedback/answer/?status=all&theme={theme_pk}",
        "answers: untagged, pending": "/admin/feedback/answer/?theme=none",
        "answers: search": "/admin/feedback/answer/?q=Person+42",
        "comments: pending (default)": "/admin/feedback/comment/",
        "comments: all statuses": "/admin/feedback/comment/?status=all",
        "theme list (counts)": "/admin/feedback/theme/",
        "analysis dashboard": f"/analysis/{SLUG}/",
    }


def measure_all(client: object, urls: dict[str, str], rounds: int) -> dict[str, tuple[float, int, int]]:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {label: measure(client, url, rounds) for label, url in urls.items()}


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--small", type=int, default=1_000, help="participants at the first measurement")
    parser.add_argument("--large", type=int, default=10_000, help="participants at the second measurement")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file, not PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="leave the PostgreSQL database in place")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure a database kept by --keep, no seeding")
    args = parser.parse_args()
    if args.sqlite and (args.keep or args.reuse):
        parser.error("--keep and --reuse are for PostgreSQL")
    name = args.reuse or DB_NAME

    with tempfile.TemporaryDirectory() as tmp:
        # Production settings, but plain HTTP (the test Client would only see the redirect to HTTPS) and no
        # second sign-in factor for the organiser signed in with force_login (it would see the OTP form).
        os.environ.update(
            {"SECRET_KEY": "bench", "DEBUG": "0", "ENV_FILE": "/nonexistent", "SECURE_SSL_REDIRECT": "0",
             "ADMIN_REQUIRE_2FA": "0"}
        )  # fmt: skip
        os.environ["DJANGO_SETTINGS_MODULE"] = "consultation.settings"
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3" if args.sqlite else f"{PG}/{name}"
        if not args.sqlite and not args.reuse:
            admin_sql(f'CREATE DATABASE "{name}"')
        try:
            return run(args)
        finally:
            if not args.sqlite:
                from django.db import connections

                connections.close_all()
                if args.keep or args.reuse:
                    print(f"\nkept database {name}")
                else:
                    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()  # lets the test Client's host in, mail stays in memory
    # The admin's CSS links need no collectstatic with the plain storage.
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(
        STORAGES={"default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}, "staticfiles": plain}
    ).enable()
    call_command("migrate", verbosity=0)
    if args.reuse:
        return remeasure(args)
    data = seed_consultation()
    client = Client()
    client.force_login(data["user"])
    urls = pages(data["themes"][0].pk)
    results = {}
    seeded = 0
    for size in (args.small, args.large):
        started = time.perf_counter()
        seed_participants(data, seeded, size)
        seeded = size
        print(
            f"{connection.vendor}: {size:,} participants, {size * QUESTIONS:,} answers, {size * 2:,} comments "
            f"(seeded in {time.perf_counter() - started:.0f} s); median of {args.rounds} rounds",
            flush=True,
        )
        results[size] = measure_all(client, urls, args.rounds)

    small, large = results[args.small], results[args.large]
    print(
        f"\n{'page':<29} {'queries':>8} {'queries':>8} {'ms':>8} {'ms':>8} {'x healthz':>10}\n"
        f"{'':<29} {f'@{args.small:,}':>8} {f'@{args.large:,}':>8} {f'@{args.small:,}':>8} "
        f"{f'@{args.large:,}':>8} {f'@{args.large:,}':>10}"
    )
    baseline = large["healthz (baseline)"][0]
    problems = []
    for label in urls:
        (ms_small, q_small, status_small), (ms_large, q_large, status_large) = small[label], large[label]
        notes = []
        if q_large != q_small:
            notes.append("QUERIES GROW")
            problems.append(f"{label}: {q_small} queries at {args.small}, {q_large} at {args.large}")
        if ms_large > TARGET_MS:
            notes.append(f"over {TARGET_MS} ms")
        if status_small != 200 or status_large != 200:
            notes.append(f"status {status_small}/{status_large}")
            problems.append(f"{label}: status {status_small}/{status_large}")
        print(
            f"{label:<29} {q_small:>8} {q_large:>8} {ms_small:>8.1f} {ms_large:>8.1f} "
            f"{ms_large / baseline:>10.1f}  {' '.join(notes)}",
            flush=True,
        )
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems))
    return 1 if problems else 0


def remeasure(args: argparse.Namespace) -> int:
    """The pages of a database kept by an earlier run, at the size it was seeded to."""
    from django.contrib.auth.models import User
    from django.test import Client

    from feedback.models import Codebook, Participant

    client = Client()
    client.force_login(User.objects.get(username="bench-olga"))
    theme = Codebook.objects.get(name__startswith="Toolkit principles").themes.order_by("code").first()
    size = Participant.objects.filter(consultation__slug=SLUG).count()
    print(f"reused database: {size:,} participants; median of {args.rounds} rounds", flush=True)
    results = measure_all(client, pages(theme.pk), args.rounds)
    print(f"\n{'page':<29} {'queries':>8} {'ms':>8}")
    for label, (ms, queries, status) in results.items():
        notes = (f"over {TARGET_MS} ms " if ms > TARGET_MS else "") + (
            f"status {status}" if status != 200 else ""
        )
        print(f"{label:<29} {queries:>8} {ms:>8.1f}  {notes}", flush=True)
    return 0 if all(status == 200 for _ms, _queries, status in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
