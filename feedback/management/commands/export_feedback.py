"""Export a consultation's feedback from the command line; the default output never reveals identities."""

import getpass
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from feedback import audit
from feedback.exports import PROFILES, answers_for_export, comments_for_export, write_csv
from feedback.models import AuditEvent, Consultation


def os_user() -> str:
    """Who ran the command on the server: the trail's only clue to a person when there is no Django user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment and no passwd entry (some containers)
        return ""


class Command(BaseCommand):
    help = (
        "Export the answers and comments of a consultation's submitted responses. Writes to stdout unless -o is given; "
        "the default profile is pseudonymised."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="Slug of the consultation to export.")
        parser.add_argument(
            "--shape",
            choices=("long", "wide"),
            default="long",
            help="long: one row per answer or comment; wide: one row per participant (not available yet).",
        )
        parser.add_argument(
            "--format", choices=("csv", "xlsx", "json"), default="csv", help="File format (only csv for now)."
        )
        parser.add_argument(
            "--profile",
            choices=PROFILES,
            default="pseudonymised",
            help="Who is named in the export (default: pseudonymised, which names nobody).",
        )
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        shape, file_format = options["shape"], options["format"]
        if shape != "long" or file_format != "csv":
            raise CommandError(
                f"The {shape} {file_format} export is not available yet; use --shape long --format csv."
            )
        slug = options["slug"]
        consultation = Consultation.objects.filter(slug=slug).first()
        if consultation is None:
            raise CommandError(f"No consultation with slug {slug!r}.")

        answers = answers_for_export(consultation)
        comments = comments_for_export(consultation)
        profile = options["profile"]
        output = options["output"]
        if output:
            # newline="" keeps the CSV's CRLF line ends as they are, so the file matches the admin download.
            with open(output, "w", encoding="utf-8", newline="") as fh:
                rows = write_csv(answers, profile=profile, fh=fh, comments=comments)
        else:
            # OutputWrapper adds a line end only when one is missing, and every CSV line ends in CRLF.
            rows = write_csv(answers, profile=profile, fh=self.stdout, comments=comments)
        audit.record(
            actor=None,
            action=AuditEvent.Action.EXPORT,
            consultation=consultation,
            count=rows,
            details={
                "via": "command",
                "os_user": os_user(),
                "profile": profile,
                "rows": rows,
                "format": file_format,
                "shape": shape,
                "file": output or "stdout",
            },
        )
        self.stderr.write(f"Wrote {rows} rows to {output or 'stdout'}")
