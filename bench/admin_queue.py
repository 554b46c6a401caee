"""How fast the answer moderation queue renders with 100,000 answers, and how many queries each page runs.

Usage: .venv/bin/python bench/admin_queue.py [ROUNDS]   (default 7)
Seeds a throw-away database (SQLite in a temporary folder unless BENCH_DATABASE_URL names another, e.g. a
PostgreSQL database it may fill and empty) with 10,000 participants and 100,000 answers, a fifth of them pending
and a tenth tagged with themes; signs an organiser in with the test Client and fetches the answer queue (the
default pending view, a theme filter, "untagged", a search) for several rounds. Reports the median time and the
query count per page, and each page's time as a ratio of GET /healthz; no pass/fail.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARTICIPANTS = 10_000
QUESTIONS = 10
TEXT = "Human oversight of the model matters; audit logs and bias testing come next. " * 3


def seed() -> tuple[object, int]:
    from datetime import timedelta

    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from feedback.models import Answer, Codebook, Consultation, Participant, Question, Response

    now = timezone.now()
    codebook = Codebook.objects.get(name__startswith="Toolkit principles")
    themes = list(codebook.themes.order_by("code"))
    consultation = Consultation.objects.create(
        title="Bench",
        slug="bench",
        stakeholder_group="Bench",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        codebook=codebook,
    )
    questions = [
        Question.objects.create(consultation=consultation, number=i, text=f"Question {i}?")
        for i in range(1, QUESTIONS + 1)
    ]
    people = Participant.objects.bulk_create(
        [
            Participant(
                consultation=consultation,
                name=f"Person {i}",
                email=f"p{i}@example.org",
                organisation=f"Organisation {i % 300}",
                pseudonym=f"P-{i:08d}",
                attribution="named",
            )
            for i in range(PARTICIPANTS)
        ],
        batch_size=2000,
    )
    responses = Response.objects.bulk_create(
        [Response(participant=p, status="submitted", submitted_at=now, last_edited_at=now) for p in people],
        batch_size=2000,
    )
    statuses = ["pending", "approved", "approved", "hidden", "flagged"]
    answers = Answer.objects.bulk_create(
        [
            Answer(response=r, question=q, text=f"{TEXT} ({i})", status=statuses[i % len(statuses)])
            for i, (r, q) in enumerate((r, q) for r in responses for q in questions)
        ],
        batch_size=2000,
    )
    through = Answer.themes.through
    through.objects.bulk_create(
        [
            through(answer_id=a.pk, theme_id=themes[i % len(themes)].pk)
            for i, a in enumerate(answers)
            if i % 10 == 0
        ],
        batch_size=2000,
    )
    user = User.objects.create_user("bench-olga", "olga@example.org", "bench", is_staff=True)
    user.groups.add(Group.objects.get(name="Organiser"))
    return user, themes[0].pk


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


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"SECRET_KEY": "bench", "DEBUG": "0", "ENV_FILE": "/nonexistent"})
        os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consultation.settings")
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
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
                "staticfiles": plain,
            }
        ).enable()
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        user, theme_pk = seed()
        print(f"{connection.vendor}: seeded in {time.perf_counter() - started:.0f} s", flush=True)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        client = Client()
        client.force_login(user)
        pages = {
            "healthz (baseline)": "/healthz",
            "queue: pending (default)": "/admin/feedback/answer/",
            "queue: all statuses": "/admin/feedback/answer/?status=all",
            "queue: theme filter": f"/admin/feedback/answer/?status=all&theme={theme_pk}",
            "queue: untagged, pending": "/admin/feedback/answer/?theme=none",
            "queue: search": "/admin/feedback/answer/?q=Person+4242",
            "theme list (counts)": "/admin/feedback/theme/",
        }
        print(f"{'page':<28} {'median ms':>10} {'queries':>8} {'x healthz':>10}")
        baseline = None
        for label, url in pages.items():
            ms, queries, status = measure(client, url, rounds)
            baseline = baseline or ms
            note = "" if status == 200 else f"  (status {status})"
            print(f"{label:<28} {ms:>10.1f} {queries:>8} {ms / baseline:>10.1f}{note}", flush=True)


if __name__ == "__main__":
    main()
