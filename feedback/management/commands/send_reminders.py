"""Remind invitees who have not submitted before their consultation closes; safe to run from cron."""

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from feedback.models import Participant
from feedback.organising import invitations


class Command(BaseCommand):
    help = (
        "Mail a fresh link and a reminder of the deadline to every invitee who has not submitted, in each "
        "published consultation that is open and closes within --days-before days. Nobody is reminded twice "
        "within --min-interval-days days, even when several runs overlap."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--days-before", type=int, default=7, help="Remind when the window closes within N days (7)."
        )
        parser.add_argument(
            "--min-interval-days",
            type=int,
            default=3,
            help="Skip anyone reminded in the last D days (3).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be reminded; change and send nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days_before, interval_days = options["days_before"], options["min_interval_days"]
        if days_before < 0 or interval_days < 0:
            raise CommandError("--days-before and --min-interval-days must not be negative.")
        now = timezone.now()
        min_interval = timedelta(days=interval_days)
        due = (
            Participant.objects.due_for_reminder(
                now=now, closing_within=timedelta(days=days_before), min_interval=min_interval
            )
            .select_related("consultation")
            .order_by("consultation__closes_at", "consultation_id", "pk")
        )
        if options["dry_run"]:
            count = 0
            for participant in due:
                self.stdout.write(f"would remind: {participant.consultation.slug} {participant.email}")
                count += 1
            self.stdout.write(f"dry run: {count} would be reminded; nothing sent or changed.")
            return
        sent = skipped = 0
        for participant in due:
            if invitations.send_reminder(participant=participant, now=now, min_interval=min_interval):
                sent += 1
            else:
                skipped += 1  # claimed by a concurrent run
        self.stdout.write(f"reminders: {sent} sent, {skipped} already sent by another run.")
