"""The blank comment sheet: the columns a sheet is read back in with, one row per place in the draft under
consultation (each resource, section and paragraph) for an expert to fill in offline, and, in XLSX, a second
sheet that explains the columns. As CSV (UTF-8 with a BOM, for spreadsheets) or XLSX."""

import csv
import io
from collections.abc import Iterator
from typing import IO

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from feedback.exports.columns import BOM, CONTENT_TYPES, SHEET_READ_COLUMNS, formula_safe
from feedback.exports.formats import _xlsx_cell
from feedback.models import Consultation, ConsultationResource, ResourceSection

COLUMNS = [*SHEET_READ_COLUMNS, "draft_text"]


# What to write in each column: the blank sheet's second sheet and the upload page say the same.
COLUMN_HELP = {
    "participant": _("The participant code; it may stay empty."),
    "resource": _("The title of the resource, as shown on its page."),
    "version": _("The version of the resource you comment on; leave it as it is."),
    "clause": _("The section number, e.g. 3.2; empty for a comment on the whole resource."),
    "paragraph": _("The paragraph number in that section, e.g. ¶4 or 4; empty for the whole section."),
    "quote": _("Optional: the exact words of that paragraph your comment is about."),
    "comment_type": _("ge (general), te (technical) or ed (editorial); empty means general."),
    "comment": _("Your comment."),
    "proposed_change": _("Optional: the text you propose instead."),
    "draft_text": _("The words of the draft at that place, to help you find it; not read back in."),
}


HOW_TO = _(
    "Write each comment in the “comment” column of the row for the place it is about. For several comments on "
    "one place, copy its row. Rows without a comment are left out when you upload the sheet."
)


def blank_rows(consultation: Consultation, *, participant_code: str = "") -> Iterator[list[str]]:
    """One row per place to comment on, in the consultation's order: each resource as a whole, then each of its
    sections and that section's paragraphs, in the version under consultation. Three queries, and one per
    resource that names no version."""
    links = list(
        ConsultationResource.objects.filter(consultation=consultation)
        .select_related("resource", "version")
        .order_by("position")
    )
    versions = {link.pk: link.version or link.resource.latest_version() for link in links}
    sections: dict[int, list[ResourceSection]] = {}
    for section in (
        ResourceSection.objects.filter(version__in=versions.values())
        .prefetch_related("paragraphs")
        .order_by("position")
    ):
        sections.setdefault(section.version_id, []).append(section)
    for link in links:
        version = versions[link.pk]
        place = [participant_code, link.resource.title, str(version.number)]
        yield [*place, "", "", "", "", "", "", ""]
        for section in sections.get(version.pk, []):
            yield [*place, section.label, "", "", "", "", "", section.heading]
            for paragraph in section.paragraphs.all():
                yield [*place, section.label, f"¶{paragraph.number}", "", "", "", "", paragraph.text]


def write_blank_csv(consultation: Consultation, fh: IO[bytes], *, participant_code: str = "") -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in blank_rows(consultation, participant_code=participant_code):
        writer.writerow([formula_safe(cell) for cell in row])
    fh.write((BOM + text.getvalue()).encode("utf-8"))


def write_blank_xlsx(consultation: Consultation, fh: IO[bytes], *, participant_code: str = "") -> None:
    """The sheet to fill in first (it is the one read back in), then the explanation of its columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="comments")
    for letter, width in (("B", 30), ("H", 60), ("I", 40), ("J", 60)):
        sheet.column_dimensions[letter].width = width
    header = [_xlsx_cell(sheet, name) for name in COLUMNS]
    for cell in header:
        cell.font = Font(bold=True)
    sheet.append(header)
    for row in blank_rows(consultation, participant_code=participant_code):
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    guide = workbook.create_sheet(title=str(_("Instructions"))[:31])
    guide.column_dimensions["B"].width = 90
    guide.append([_xlsx_cell(guide, str(HOW_TO))])
    guide.append([])
    for name in COLUMNS:
        guide.append([_xlsx_cell(guide, name), _xlsx_cell(guide, str(COLUMN_HELP[name]))])
    workbook.save(fh)


BLANK_FORMATS = ("xlsx", "csv")


def blank_sheet_response(
    consultation: Consultation, *, file_format: str, participant_code: str = ""
) -> HttpResponse:
    """The blank sheet as a download; `participant_code` fills the participant column (a participant's own)."""
    if file_format not in BLANK_FORMATS:
        raise ValueError(f"Unknown format {file_format!r} for a blank sheet.")
    buffer = io.BytesIO()
    write = write_blank_xlsx if file_format == "xlsx" else write_blank_csv
    write(consultation, buffer, participant_code=participant_code)
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[file_format])
    filename = f"{consultation.slug}-comment-sheet.{file_format}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
