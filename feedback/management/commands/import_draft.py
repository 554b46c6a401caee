"""Import a draft (DOCX, ODT, Markdown, HTML) into sections and numbered paragraphs, as a new resource of a
consultation or as the newest text of an existing resource."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from feedback.models import Consultation
from feedback.organising import versions
from feedback.organising.drafts import MAX_UPLOAD_BYTES, DraftError, read_draft


class Command(BaseCommand):
    help = (
        "Import FILE (.docx, .odt, .md or .html) into sections (from its headings) and numbered paragraphs. "
        "Without --resource it becomes a new resource of the consultation; with --resource ID it becomes that "
        "resource's newest text: it replaces the text while nobody has commented on it, and is a new version "
        "otherwise, with every comment placed again in it. Prints what it stored."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slug", help="The consultation's slug.")
        parser.add_argument("file", help="The draft to import.")
        target = parser.add_mutually_exclusive_group()
        target.add_argument(
            "--title", default="", help="Title of the new resource (default: the document's)."
        )
        target.add_argument(
            "--resource", type=int, help="Import as the newest text of this resource (its id)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        consultation = Consultation.objects.filter(slug=options["slug"]).first()
        if consultation is None:
            raise CommandError(f"No consultation with the slug {options['slug']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        if path.stat().st_size > MAX_UPLOAD_BYTES:
            raise CommandError(
                f"{path.name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; nothing was imported."
            )
        try:
            draft = read_draft(path.read_bytes(), filename=path.name)
        except DraftError as error:
            raise CommandError(f"{error.message} Nothing was imported.") from error
        try:
            if options["resource"] is None:
                stored = versions.import_new_resource(
                    consultation=consultation,
                    draft=draft,
                    title=options["title"],
                    source_name=path.name,
                    by=None,
                )
            else:
                resource = consultation.resources.filter(pk=options["resource"]).first()
                if resource is None:
                    raise CommandError(
                        f"Consultation {consultation.slug} has no resource {options['resource']}."
                    )
                stored = versions.import_version(
                    resource=resource, draft=draft, source_name=path.name, by=None
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages) + " Nothing was imported.") from error
        self.report(stored)

    def report(self, stored: versions.Stored) -> None:
        how = "replaced the text of" if stored.replaced else "stored"
        self.stdout.write(
            f"{how} resource {stored.resource.pk} “{stored.resource.title}” version {stored.version.number}: "
            f"{stored.sections} section(s), {stored.paragraphs} paragraph(s)"
        )
        for section in stored.version.sections.prefetch_related("paragraphs"):
            paragraphs = list(section.paragraphs.all())
            self.stdout.write(f"  {section.label} {section.heading}".rstrip() + f" ({len(paragraphs)} ¶)")
        if stored.placements:
            counts = stored.placement_counts()
            self.stdout.write(
                f"comments of version {stored.version.number - 1}: {counts['exact']} found exactly, "
                f"{counts['approximate']} found approximately, {counts['orphaned']} not found"
            )
