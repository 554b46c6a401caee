"""Export a consultation's feedback from the command line; the default output never reveals identities."""

import getpass
import re
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from feedback import audit
from feedback.exports.columns import FORMATS, PROFILES, SHAPES
from feedback.exports.formats import export_text, write_export
from feedback.exports.shapes import Export, ExportFilters
from feedback.models import Answer, Consultation


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
            choices=SHAPES,
            default="long",
            help="long: one row per answer or comment; wide: one row per participant, one column per question; "
            "comments: the comment sheet, one row per comment laid out as the ISO/IEC commenting template; "
            "acceptance: what became of the comments on each resource, per stakeholder group and round "
            "(figures only; groups under five participants suppressed except in the identified profile).",
        )
        parser.add_argument("--format", choices=FORMATS, default="csv", help="File format (xlsx needs -o).")
        parser.add_argument(
            "--profile",
            choices=PROFILES,
            default="pseudonymised",
            help="Who is named in the export (default: pseudonymised, which names nobody).",
        )
        parser.add_argument(
            "--status",
            action="append",
            choices=Answer.Status.values,
            default=[],
            metavar="STATUS",
            help="Only items with this moderation status (repeat for several): "
            + ", ".join(Answer.Status.values),
        )
        parser.add_argument(
            "--resource",
            action="append",
            type=int,
            default=[],
            metavar="ID",
            help="Only comments on this resource, and answers to questions about it (repeat for several).",
        )
        parser.add_argument(
            "--bom", action="store_true", help="Start a CSV with a UTF-8 byte order mark (Excel)."
        )
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        shape, file_format, output = options["shape"], options["format"], options["output"]
        if file_format == "xlsx" and not output:
            raise CommandError(
                "An XLSX workbook is binary and cannot go to stdout; give a file with -o FILE."
            )
        slug = options["slug"]
        consultation = Consultation.objects.filter(slug=slug).first()
        if consultation is None:
            raise CommandError(f"No consultation with slug {slug!r}.")

        profile = options["profile"]
        unknown = set(options["resource"]) - set(consultation.resources.values_list("pk", flat=True))
        if unknown:
            raise CommandError(f"Consultation {slug} has no resource {', '.join(map(str, sorted(unknown)))}.")
        filters = ExportFilters(statuses=tuple(options["status"]), resources=tuple(options["resource"]))
        export = Export.of(consultation, profile=profile, shape=shape, filters=filters)
        bom = options["bom"] and file_format == "csv"
        if output:
            with open(output, "wb") as fh:
                rows = write_export(export, file_format=file_format, fh=fh, bom=bom)
        else:
            # On a terminal, escape and other control characters are shown, not obeyed: a participant's text must
            # not move the cursor or retitle the window of whoever reads the export.
            visible = self.stdout.isatty()
            # ending="": every chunk already carries its own line ends (CRLF in CSV).
            for chunk in export_text(export, file_format=file_format, bom=bom):
                self.stdout.write(shown_on_terminal(chunk) if visible else chunk, ending="")
            rows = export.row_count
        audit.record_export(
            actor=None,
            consultation=consultation,
            count=rows,
            details={
                "via": "command",
                "os_user": os_user(),
                "profile": profile,
                "rows": rows,
                "format": file_format,
                "shape": shape,
                "filters": filters.as_dict(),
                "bom": bom,
                "file": output or "stdout",
            },
        )
        self.stderr.write(f"Wrote {rows} rows to {output or 'stdout'}")


# Control characters a terminal acts on, bar tab, line feed and carriage return; and bidirectional overrides.
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown_on_terminal(text: str) -> str:
    return TERMINAL_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
