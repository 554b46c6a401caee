"""Peak memory of `export_feedback` as the number of answers grows: a streamed export stays flat.

Usage: .venv/bin/python bench/export_memory.py [N ...]   (default 10000 100000)
Seeds a throw-away database (SQLite in a temporary folder unless BENCH_DATABASE_URL names another, e.g. a
PostgreSQL database it may fill), then runs the export in a child process per size and reports its peak RSS
and time. Figures are ratios against the smallest size, so a noisy machine still gives a usable answer.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


EXPORT = """
import resource, sys, time
from django.core.management import call_command
start = time.perf_counter()
call_command("export_feedback", "bench", "-o", sys.argv[1])
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def run_export(python: str, out: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of the export, measured inside its own process."""
    result = subprocess.run(
        [python, "-c", "import django,os;django.setup();exec(os.environ['EXPORT'])", str(out)],
        env={**env, "EXPORT": EXPORT, "DJANGO_SETTINGS_MODULE": "consultation.settings"},
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds, peak = result.stdout.split()[-2:]
    return float(seconds), float(peak)


SEED = """
import sys
from datetime import timedelta
from django.utils import timezone
from feedback.models import Answer, Consultation, Participant, Question, Response
n = int(sys.argv[1])
Answer.objects.all().delete(); Response.objects.all().delete(); Participant.objects.all().delete()
Question.objects.all().delete(); Consultation.objects.all().delete()
now = timezone.now()
c = Consultation.objects.create(title="Bench", slug="bench", stakeholder_group="Bench",
    opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))
questions = [Question.objects.create(consultation=c, number=i, text=f"Question {i}?") for i in range(1, 11)]
people = Participant.objects.bulk_create(
    [Participant(consultation=c, name=f"Person {i}", email=f"p{i}@example.org", pseudonym=f"P-{i:08d}",
     attribution="named") for i in range(n // 10)], batch_size=5000)
responses = Response.objects.bulk_create(
    [Response(participant=p, status="submitted", submitted_at=now) for p in people], batch_size=5000)
text = "An answer of typical length, with a comma, a quote \\" and some more words. " * 6
Answer.objects.bulk_create(
    [Answer(response=r, question=q, text=text) for r in responses for q in questions], batch_size=5000)
print(Answer.objects.count())
"""


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SECRET_KEY": "bench", "DEBUG": "0", "ENV_FILE": "/nonexistent"}
        env["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
        python = str(ROOT / ".venv" / "bin" / "python")
        subprocess.run([python, "manage.py", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        baseline = None
        print(f"{'answers':>10} {'seconds':>8} {'peak MiB':>9} {'peak ratio':>10}")
        for n in sorted(sizes):
            subprocess.run(
                [python, "-c", "import django,os;django.setup();exec(os.environ['SEED'])", str(n)],
                env={**env, "SEED": SEED, "DJANGO_SETTINGS_MODULE": "consultation.settings"},
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            out = Path(tmp) / "out.csv"
            seconds, peak = run_export(python, out, env)
            baseline = baseline or peak
            print(f"{n:>10} {seconds:>8.2f} {peak:>9.1f} {peak / baseline:>10.2f}")


if __name__ == "__main__":
    main()
