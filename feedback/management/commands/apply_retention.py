"""Erase the participants of consultations whose retention period has ended; a dry run unless --apply."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from feedback.organising import lifecycle


class Command(BaseCommand):
    help = (
        "List the consultations whose retention period (closes_at + retention_days) has ended and how many "
        "participants each still holds; with --apply, erase them in place (profiles, answers, comments, "
        "revisions and what the audit trail quoted) and record one audit event per consultation. Safe to run "
        "from cron: a second run finds nothing left to erase."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--apply", action="store_true", help="Erase; without it nothing changes.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if not options["apply"]:
            due = lifecycle.past_retention(now=now)
            for consultation, count in due:
                self.stdout.write(
                    f"would erase: {consultation.slug} {count} participant(s), "
                    f"retention {consultation.retention_days} days ended {consultation.retention_ends_at():%Y-%m-%d}"
                )
            total = sum(count for _consultation, count in due)
            self.stdout.write(
                f"dry run: {total} participant(s) would be erased; nothing changed (use --apply)."
            )
            return
        done = lifecycle.apply_retention(now=now)
        for consultation, count in done:
            if count:
                self.stdout.write(f"erased: {consultation.slug} {count} participant(s)")
        total = sum(count for _consultation, count in done)
        self.stdout.write(
            f"retention: {total} participant(s) erased in {len(done)} consultation(s) past retention."
        )
