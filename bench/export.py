"""The PostgreSQL long CSV export against `psql \\copy` of the same SELECT, side by side, with the app's memory.

Usage: .venv/bin/python bench/export.py [--rows 1000000] [--rounds 3] [--profile pseudonymised] [--orm-rows N]
Creates its own database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_export; dropped
at the end unless --keep), migrates it and seeds --rows answers server-side (10 questions per participant, all
submitted, with multiple-choice, hidden, redacted and theme-tagged answers, plus a comment per tenth
participant). Then, per round: psql's \\copy of the SELECT that copy_long_csv runs, and copy_long_csv in a
child process that reports its time and how far its peak RSS grew during the export. Prints the medians, the
ratio app/psql (target <= 2.0) and the memory growth (target <= 64 MiB); --orm-rows times the ORM path
(exports.write_csv) on that many answers for contrast.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = str(ROOT / ".venv" / "bin" / "python")

QUESTIONS = 10
TEXT = 'An answer of typical length, with a comma, a quote " and some more words. ' * 6

# Run in a child process per round, so its peak RSS is the export's and nothing else's.
APP_EXPORT = """
import json, resource, sys, time
import django
django.setup()
from django.db import connection
from feedback.exports.postgres import copy_long_csv
from feedback.models import Consultation
consultation = Consultation.objects.get(slug="bench")
connection.ensure_connection()

def status(field):
    with open("/proc/self/status") as proc:
        return next(int(line.split()[1]) for line in proc if line.startswith(field + ":"))

try:  # reset the kernel's peak RSS (VmHWM) to the current RSS, so the peak below is the export's own
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = status("VmRSS")
except OSError:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
with open(sys.argv[1], "wb") as fh:
    rows = copy_long_csv(consultation, profile=sys.argv[2], fh=fh)
seconds = time.perf_counter() - start
after = max(status("VmHWM"), before)
print(json.dumps({"seconds": seconds, "rows": rows, "before_kib": before, "after_kib": after}))
"""

ORM_EXPORT = """
import json, resource, sys, time
import django
django.setup()
from feedback.exports.formats import write_csv
from feedback.exports.shapes import answers_for_export
from feedback.models import Consultation
consultation = Consultation.objects.get(slug="bench")
start = time.perf_counter()
with open(sys.argv[1], "w", newline="", encoding="utf-8") as fh:
    rows = write_csv(answers_for_export(consultation)[: int(sys.argv[3])], profile=sys.argv[2], fh=fh)
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""


def psql(url: str, *args: str, database: str | None = None, **kwargs) -> subprocess.CompletedProcess:
    parts = urlsplit(url)
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", parts.hostname or "127.0.0.1"]
    command += ["-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    command += ["-d", database or parts.path.lstrip("/"), *args]
    env = {**os.environ, **({"PGPASSWORD": parts.password} if parts.password else {})}
    return subprocess.run(command, check=True, env=env, **kwargs)


def clone(cursor, table: str, template_id: int, overrides: dict[str, str], source: str) -> int:
    """Insert one row per row of `source`, copied from the template row with some columns computed.

    Copying a template keeps the seed working when a migration adds a NOT NULL column.
    """
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id' "
        "ORDER BY ordinal_position",
        [table],
    )
    columns = [row[0] for row in cursor.fetchall()]
    values = [overrides.get(column, f"t.{column}") for column in columns]
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608 (bench's own SQL)
        f"FROM {table} t CROSS JOIN ({source}) src WHERE t.id = {template_id}"
    )
    return cursor.rowcount


def seed(rows: int) -> tuple[int, int]:
    """The bench consultation with `rows` answers and a comment per tenth participant; returns both counts."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from feedback.models import (
        Answer,
        Codebook,
        Comment,
        Consultation,
        Participant,
        Question,
        Resource,
        Response,
    )

    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Bench",
        slug="bench",
        stakeholder_group="Bench",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
    )
    resource = Resource.objects.create(title="Principles, draft", category=Resource.Category.PRIMARY)
    section = resource.sections.create(position=1, heading="Core principles")
    questions = [
        Question.objects.create(
            consultation=consultation,
            number=i,
            text=f"Question {i}, on the draft?",
            resource=resource if i % 3 == 0 else None,
            kind=Question.Kind.MULTIPLE_CHOICE if i == QUESTIONS else Question.Kind.LONG_TEXT,
            choices="Privacy\nFairness, equity\nAccountability",
        )
        for i in range(1, QUESTIONS + 1)
    ]
    person = Participant.objects.create(
        consultation=consultation, name="Person 0", email="p0@example.org", pseudonym="P-00000000"
    )
    response = Response.objects.create(
        participant=person, status=Response.Status.SUBMITTED, submitted_at=now, last_edited_at=now
    )
    answer = Answer.objects.create(response=response, question=questions[0], text=TEXT)
    comment = Comment.objects.create(response=response, resource=resource, section=section, text=TEXT)
    people = max(rows // QUESTIONS, 1)
    with connection.cursor() as cursor:
        clone(
            cursor,
            "feedback_participant",
            person.pk,
            {
                "name": "'Person ' || g",
                "email": "'p' || g || '@example.org'",
                "pseudonym": "'P-' || lpad(g::text, 8, '0')",
                "organisation": "'Organisation ' || (g % 300)",
                "organisation_type": "(ARRAY['industry', 'academia', 'provider_mixed', ''])[g % 4 + 1]",
                "country": "(ARRAY['FR', 'NG', 'CN', 'AE', 'BR', ''])[g % 6 + 1]",
                "attribution": "(ARRAY['named', 'organisation', 'unattributed', 'not_quoted', ''])[g % 5 + 1]",
            },
            f"SELECT generate_series(1, {people - 1}) AS g",
        )
        clone(
            cursor,
            "feedback_response",
            response.pk,
            {"participant_id": "src.id", "submitted_at": "t.submitted_at - src.id * interval '1.5 s'"},
            f"SELECT id FROM feedback_participant WHERE consultation_id = {consultation.pk} AND id <> {person.pk}",  # noqa: S608
        )
        multiple = questions[-1].pk
        clone(
            cursor,
            "feedback_answer",
            answer.pk,
            {
                "response_id": "src.response_id",
                "question_id": "src.question_id",
                "text": f"CASE WHEN src.question_id = {multiple} THEN '' ELSE t.text || src.response_id END",
                "selected": f"""CASE WHEN src.question_id = {multiple}
                    THEN '["Privacy", "Fairness, equity"]'::jsonb ELSE '[]'::jsonb END""",
                "status": "(ARRAY['pending', 'approved', 'approved', 'flagged', 'hidden'])[src.n % 5 + 1]",
                "redacted_text": "CASE WHEN src.n % 50 = 7 THEN 'A redacted passage, \"quoted\"' ELSE '' END",
            },
            f"""SELECT r.id AS response_id, q.id AS question_id, row_number() OVER () AS n
                FROM feedback_response r JOIN feedback_participant p ON p.id = r.participant_id
                CROSS JOIN feedback_question q
                WHERE p.consultation_id = {consultation.pk} AND q.consultation_id = {consultation.pk}
                  AND (r.id, q.id) <> ({response.pk}, {answer.question_id})""",  # noqa: S608
        )
        themes = list(Codebook.objects.get(name__startswith="Toolkit").themes.values_list("pk", flat=True))
        cursor.execute(
            "INSERT INTO feedback_answer_themes (answer_id, theme_id) "
            "SELECT a.id, (%s::bigint[])[a.id %% %s + 1] FROM feedback_answer a WHERE a.id %% 10 = 0 "
            "UNION SELECT a.id, (%s::bigint[])[(a.id / 10) %% %s + 1] FROM feedback_answer a WHERE a.id %% 20 = 0",
            [themes, len(themes), themes, len(themes)],
        )
        clone(
            cursor,
            "feedback_comment",
            comment.pk,
            {"response_id": "src.id"},
            f"SELECT id FROM feedback_response WHERE id <> {response.pk} AND id % 10 = 0",  # noqa: S608
        )
        cursor.execute("ANALYZE")
    return (
        Answer.objects.filter(response__participant__consultation=consultation).count(),
        Comment.objects.filter(response__participant__consultation=consultation).count(),
    )


def run_child(code: str, *args: str) -> dict:
    result = subprocess.run(
        [PYTHON, "-c", code, *args], check=True, cwd=ROOT, capture_output=True, text=True, env=os.environ
    )
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="answers to seed")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="pseudonymised")
    parser.add_argument("--orm-rows", type=int, default=100_000, help="answers for the ORM contrast; 0 skips")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_export")
    name = urlsplit(url).path.lstrip("/")
    psql(url, "-c", f'DROP DATABASE IF EXISTS "{name}"', database="postgres")
    psql(url, "-c", f'CREATE DATABASE "{name}"', database="postgres")
    os.environ.update({"SECRET_KEY": "bench", "DEBUG": "0", "ENV_FILE": "/nonexistent", "DATABASE_URL": url})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consultation.settings")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from feedback.exports.postgres import copy_options, long_csv_select
        from feedback.models import Consultation

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        answers, comments = seed(args.rows)
        print(
            f"seeded {answers:,} answers and {comments:,} comments in {time.perf_counter() - started:.0f} s"
        )
        select = long_csv_select(Consultation.objects.get(slug="bench"), profile=args.profile)
        connection.close()

        with tempfile.TemporaryDirectory() as tmp:
            psql_out, app_out = Path(tmp) / "psql.csv", Path(tmp) / "app.csv"
            copy = f"\\copy ({select}) TO '{psql_out}' WITH {copy_options()}"
            psql_times, app_times, growths = [], [], []
            print(f"{'round':>5} {'psql s':>8} {'app s':>8} {'ratio':>6} {'app peak growth MiB':>20}")
            for round_no in range(1, args.rounds + 1):
                start = time.perf_counter()
                psql(url, "-c", copy)
                psql_times.append(time.perf_counter() - start)
                app = run_child(APP_EXPORT, str(app_out), args.profile)
                app_times.append(app["seconds"])
                growths.append((app["after_kib"] - app["before_kib"]) / 1024)
                print(
                    f"{round_no:>5} {psql_times[-1]:>8.2f} {app_times[-1]:>8.2f} "
                    f"{app_times[-1] / psql_times[-1]:>6.2f} {growths[-1]:>20.1f}",
                    flush=True,
                )
            # psql writes LF line ends where the app writes CRLF; otherwise the files are the same size.
            lines = app["rows"] + 1
            same_size = app_out.stat().st_size == psql_out.stat().st_size + lines
            print(
                f"rows {app['rows']:,}; files {app_out.stat().st_size / 2**20:.0f} MiB (app, CRLF) and "
                f"{psql_out.stat().st_size / 2**20:.0f} MiB (psql, LF); sizes agree: {same_size}"
            )
            psql_median, app_median = statistics.median(psql_times), statistics.median(app_times)
            print(
                f"median: psql \\copy {psql_median:.2f} s, app copy_long_csv {app_median:.2f} s, "
                f"ratio {app_median / psql_median:.2f} (target <= 2.0); "
                f"peak RSS growth max {max(growths):.1f} MiB (target <= 64)"
            )
            if args.orm_rows:
                orm = run_child(ORM_EXPORT, str(Path(tmp) / "orm.csv"), args.profile, str(args.orm_rows))
                print(
                    f"ORM write_csv, for contrast: {orm['rows']:,} rows in {orm['seconds']:.2f} s "
                    f"({orm['rows'] / orm['seconds']:,.0f} rows/s against "
                    f"{app['rows'] / app_median:,.0f} rows/s for copy_long_csv)"
                )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            psql(url, "-c", f'DROP DATABASE IF EXISTS "{name}"', database="postgres")


if __name__ == "__main__":
    main()
