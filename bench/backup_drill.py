"""Backup and restore drill: pg_dump -Fc, pg_restore into a fresh database, and prove nothing changed.

Usage: .venv/bin/python bench/backup_drill.py [--answers 3000]
Needs PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432, trust auth) and pg_dump/pg_restore on
PATH. Creates a database, migrates it, loads the demo (seed_demo) plus synthetic participants, answers, comments
and revisions with awkward text, exports the long CSV (identified profile), dumps it with `pg_dump -Fc`, restores
the dump into a second fresh database, then compares every table's row count and an order-independent checksum
(md5 of the ordered md5s of its rows as text) and exports again from the restored database; the two CSVs must be
byte-identical. Prints a table; exits 1 on any mismatch. Both databases are dropped at the end.
"""

import argparse
import hashlib
import os
import random
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SOURCE = f"bench_rel_backup_{os.getpid()}"
RESTORED = f"bench_rel_restored_{os.getpid()}"
NASTY = [
    "الرقابة البشرية ضرورية",
    "😀👍🏽🧑‍⚖️",
    "\"quoted\", 'single'",
    '=HYPERLINK("http://x")',
    "line one\nline two\r\nline three",
    "\ttab\u200f\u200e",
    "<script>alert(1)</script>",
    "back\\slash",
    "",
]


def admin_sql(sql: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def table_digests(database: str) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table in the public schema."""
    digests = {}
    with psycopg.connect(f"{PG}/{database}", autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        for table in tables:
            count, digest = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "  # noqa: S608  # nosec B608
                f'FROM (SELECT md5(t::text) AS h FROM "{table}" t) rows'
            ).fetchone()
            digests[table] = (count, digest)
    return digests


def manage(database: str, *args: str, env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603  # nosec B603  # our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**env, "DATABASE_URL": f"{PG}/{database}"},
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


SEED = """
import random, sys
from datetime import timedelta
from django.utils import timezone
from feedback.participation import services
from feedback.models import Answer, Comment, Consultation, Participant, Response, Revision
rng = random.Random(11)
nasty = {nasty!r}
consultation = Consultation.objects.get(slug__startswith="tech")
consultation.closes_at = timezone.now() + timedelta(days=7)
consultation.save()
questions = list(consultation.questions.all())
resources = list(consultation.resources.all())
people = Participant.objects.bulk_create(
    [Participant(consultation=consultation, name=f"Synthetic {{i}} " + rng.choice(nasty), email=f"s{{i}}@example.org",
                 organisation=rng.choice(nasty), attribution="named", consented_at=timezone.now())
     for i in range({people})]
)
texts = lambda: "".join(rng.choice(nasty) for _ in range(rng.randint(1, 12)))
made = 0
for person in people:
    response = Response.objects.create(participant=person)
    values = {{q: texts() for q in questions if q.kind in ("long_text", "short_text")}}
    made += services.save_answers(response=response, values=values)
    if resources:
        chosen = rng.choice(resources)
        services.add_comment(response=response, resource=chosen, version=chosen.latest_version(), kind="general", text=texts())
    if rng.random() < 0.5:
        services.submit_response(response=response)
        q = rng.choice(list(values))
        services.save_answers(response=response, values={{q: texts()}})
print(made, file=sys.stderr)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=3000, help="roughly how many synthetic answers")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    env = {
        **os.environ,
        "DEBUG": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ENV_FILE": str(workdir / "no.env"),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
    }
    dump, export_a, export_b = workdir / "backup.dump", workdir / "A.csv", workdir / "B.csv"
    failures: list[str] = []
    admin_sql(f'CREATE DATABASE "{SOURCE}"')
    try:
        manage(SOURCE, "migrate", env=env)
        manage(SOURCE, "seed_demo", env=env)
        slug = None
        with psycopg.connect(f"{PG}/{SOURCE}") as conn:
            slug = conn.execute(
                "SELECT slug FROM feedback_consultation WHERE slug LIKE 'tech%%' ORDER BY id LIMIT 1"
            ).fetchone()[0]
            questions = conn.execute(
                "SELECT count(*) FROM feedback_question q JOIN feedback_consultation c ON c.id = q.consultation_id "
                "WHERE c.slug = %s",
                [slug],
            ).fetchone()[0]
        people = max(1, args.answers // max(1, questions))
        code = SEED.format(nasty=NASTY, people=people).replace('slug__startswith="tech"', f'slug="{slug}"')
        manage(SOURCE, "shell", "-c", code, env=env)
        manage(SOURCE, "export_feedback", slug, "--profile", "identified", "-o", str(export_a), env=env)
        subprocess.run(  # noqa: S603, S607  # nosec B603 B607  # pg_dump from PATH, fixed arguments
            ["pg_dump", "-Fc", "-f", str(dump), f"{PG}/{SOURCE}"], check=True
        )
        admin_sql(f'CREATE DATABASE "{RESTORED}"')
        subprocess.run(  # noqa: S603, S607  # nosec B603 B607  # pg_restore from PATH, fixed arguments
            ["pg_restore", "--exit-on-error", "--no-owner", "-d", f"{PG}/{RESTORED}", str(dump)], check=True
        )
        # Compared before exporting again: every export adds its own event to the audit trail.
        source, restored = table_digests(SOURCE), table_digests(RESTORED)
        manage(RESTORED, "export_feedback", slug, "--profile", "identified", "-o", str(export_b), env=env)
        print(f"pg_dump -Fc {SOURCE} ({dump.stat().st_size:,} bytes) -> pg_restore into {RESTORED}")
        print(f"{'table':40} {'rows':>8} {'rows restored':>14}  checksum")
        for table in sorted(set(source) | set(restored)):
            a, b = source.get(table), restored.get(table)
            same = a == b
            if not same:
                failures.append(f"table {table}: {a} != {b}")
            print(
                f"{table:40} {a[0] if a else '-':>8} {b[0] if b else '-':>14}  "
                f"{(a or ('', '-'))[1][:12]} {'match' if same else 'MISMATCH'}"
            )
        bytes_a, bytes_b = export_a.read_bytes(), export_b.read_bytes()
        rows_a = bytes_a.count(b"\n")
        same_export = bytes_a == bytes_b
        print(
            f"export long CSV identified: A {len(bytes_a):,} bytes sha256 {hashlib.sha256(bytes_a).hexdigest()[:16]}, "
            f"B {len(bytes_b):,} bytes sha256 {hashlib.sha256(bytes_b).hexdigest()[:16]} "
            f"({rows_a} lines): {'byte-identical' if same_export else 'DIFFERENT'}"
        )
        if not same_export:
            failures.append("exports differ")
        if len(source) < 10 or sum(count for count, _digest in source.values()) == 0:
            failures.append("the source database looks empty")
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)')
        admin_sql(f'DROP DATABASE IF EXISTS "{SOURCE}" WITH (FORCE)')
    if failures:
        print("FAIL")
        for failure in failures:
            print("  -", failure)
        return 1
    print(f"PASS: {len(source)} tables, every row count and checksum match; the export is byte-identical")
    return 0


if __name__ == "__main__":
    random.seed(0)
    sys.exit(main())
