"""Importing a 200-page Word draft: time per read_draft and peak memory (pandoc's and Python's) per round.

Usage: .venv/bin/python bench/draft_import.py [--rounds 5] [--headings 60] [--paragraphs 2000]
Builds the draft with python-docx (headings at levels 1-3, paragraphs of ~50 words, a bulleted list and a table
in every section), then imports it --rounds times. Prints each round's wall time, pandoc's peak resident memory
(getrusage of the child, which only grows, so a round that needed more shows a higher figure) and the Python
peak (tracemalloc), and exits 1 when the median round exceeds 10 s or memory grows between the first and last
round by more than a fifth.
"""

import argparse
import io
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import docx  # noqa: E402

from feedback.organising.drafts import read_draft  # noqa: E402

WORDS = (  # noqa: SIM905  # filler prose reads better as a sentence
    "the toolkit supports law enforcement agencies in responsible innovation with artificial intelligence "
    "systems assessing risks to human rights proportionality necessity oversight accountability data models "
    "procurement transparency explainability fairness robustness safety privacy lawfulness"
).split()


def build_docx(*, headings: int, paragraphs: int) -> bytes:
    rng = random.Random(13)  # noqa: S311  # filler text, not a secret
    document = docx.Document()
    document.core_properties.title = "Toolkit for Responsible AI Innovation in Law Enforcement"
    per_section = paragraphs // headings
    for number in range(headings):
        document.add_heading(f"Section {number + 1}", level=(1, 2, 3)[number % 3])
        for index in range(per_section):
            if index == per_section // 2:
                for item in range(3):
                    document.add_paragraph(
                        f"Point {item + 1}: {' '.join(rng.choices(WORDS, k=12))}.", "List Bullet"
                    )
            else:
                document.add_paragraph(" ".join(rng.choices(WORDS, k=50)).capitalize() + ".")
        table = document.add_table(rows=5, cols=3)
        for row in table.rows:
            for cell in row.cells:
                cell.text = " ".join(rng.choices(WORDS, k=3))
        document.add_paragraph(f"Table {number + 1}: Risks of section {number + 1}", style="Caption")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--headings", type=int, default=60)
    parser.add_argument("--paragraphs", type=int, default=2000)
    args = parser.parse_args()

    data = build_docx(headings=args.headings, paragraphs=args.paragraphs)
    print(f"draft: {len(data) / 1024:.0f} KiB DOCX, {args.headings} headings, ~{args.paragraphs} paragraphs")
    times, child_peaks, python_peaks = [], [], []
    for round_number in range(1, args.rounds + 1):
        tracemalloc.start()
        started = time.perf_counter()
        draft = read_draft(data, filename="toolkit.docx")
        elapsed = time.perf_counter() - started
        python_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        times.append(elapsed)
        child_peaks.append(child_peak)
        python_peaks.append(python_peak)
        words = sum(len(block.text.split()) for section in draft.sections for block in section.blocks)
        print(
            f"round {round_number}: {elapsed:.2f} s, {len(draft.sections)} sections, "
            f"{draft.paragraph_count()} paragraphs, {words} words; pandoc peak {child_peak:.0f} MiB, "
            f"Python peak {python_peak:.1f} MiB"
        )
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    median = statistics.median(times)
    print(f"median {median:.2f} s (target < 10 s); this process peaked at {self_peak:.0f} MiB resident")
    grew = python_peaks[-1] > 1.2 * python_peaks[0] or child_peaks[-1] > 1.2 * child_peaks[0]
    if median > 10 or grew:
        print("FAIL: " + ("over 10 s" if median > 10 else "memory grew between rounds"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
