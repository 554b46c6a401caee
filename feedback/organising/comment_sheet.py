"""The comment sheet coming back: comments written offline in the sheet's columns (docs/EXPORTS.md), read from
CSV or XLSX, checked row by row against the draft (refused rows say why) and stored for one participant."""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback import audit
from feedback.exports.columns import COMMENT_TYPE_CODES, SHEET_READ_COLUMNS, SHEET_WRITTEN_COLUMNS
from feedback.models import (
    COMMENT_MAX_LENGTH,
    QUOTE_MAX_LENGTH,
    AuditEvent,
    Comment,
    Consultation,
    ConsultationResource,
    Participant,
    ResourceParagraph,
    ResourceVersion,
    Response,
    Revision,
)
from feedback.organising import anchoring

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
# An XLSX is a zip: its sheet XML may unzip to this much at most (a sheet of 2,000 long comments is ~15 MB).
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024

# The columns read back; the others of the exported sheet (organisation, observations, disposition) are the
# organisers', and a blank sheet's draft_text is the draft's: both are ignored.
READ_COLUMNS = SHEET_READ_COLUMNS
REQUIRED_COLUMNS = ("resource", "comment")
# Headers as people retype them, after lower-casing and joining words with "_".
HEADER_ALIASES = {
    "participant_code": "participant",
    "member_body": "participant",
    "section": "clause",
    "clause_no": "clause",
    "clause_/_subclause": "clause",
    "paragraph/figure/table": "paragraph",
    "paragraph/figure/table/note": "paragraph",
    "passage": "quote",
    "quoted_passage": "quote",
    "type": "comment_type",
    "type_of_comment": "comment_type",
    "comments": "comment",
    "proposed_changes": "proposed_change",
}
KINDS = {
    **{code: kind for kind, code in COMMENT_TYPE_CODES.items()},
    **{kind: kind for kind in COMMENT_TYPE_CODES},
}
# What the quote has to match loosely: line breaks and runs of spaces a spreadsheet may have changed.
SPACES = re.compile(r"\s+")


@dataclass
class SheetComment:
    """A row that can be stored: where it points (ids resolved against the draft) and what it says."""

    line: int
    resource_id: int
    resource_title: str
    version_id: int
    version: int
    section_id: int | None
    place: str
    paragraph_id: int | None
    quote: str
    quote_prefix: str
    quote_suffix: str
    quote_start: int | None
    kind: str
    text: str
    proposed_change: str

    def get_kind_display(self) -> str:
        return str(Comment.Kind(self.kind).label)


@dataclass
class RefusedRow:
    line: int
    values: dict[str, str]
    reasons: list[str] = field(default_factory=list)


@dataclass
class Sheet:
    """A sheet read and checked: the raw rows (what a confirmation signs and checks again), good and refused."""

    raw: list[dict[str, Any]]
    rows: list[SheetComment]
    refused: list[RefusedRow]

    def good_raw(self) -> list[dict[str, Any]]:
        """The raw rows that can be stored: what a preview signs for its confirmation."""
        good = {row.line for row in self.rows}
        return [values for values in self.raw if values["line"] in good]


def _header_key(cell: object) -> str:
    key = re.sub(r"\s+", "_", str(cell or "").strip().lower()).replace("-", "_")
    return HEADER_ALIASES.get(key, key)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A spreadsheet turns "2" typed in a cell into 2.0; the clause "3.2" stays a string only when quoted.
        return str(int(value))
    return str(value).strip()


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            _("The file is not UTF-8 text. Save the sheet as “CSV UTF-8” and upload it again."),
            code="encoding",
        ) from error
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ValidationError(_("The file is not a readable CSV file."), code="csv") from error


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    unreadable = ValidationError(_("The file is not a readable XLSX workbook."), code="xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(entry.file_size for entry in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise ValidationError(
                    _("The workbook unpacks to too much data to be a comment sheet."), code="bomb"
                )
    except zipfile.BadZipFile as error:
        raise unreadable from error
    try:
        # openpyxl reads XML through defusedxml when it is installed (it is): no entity expansion.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [
            [_cell(value) for value in row]
            for _i, row in zip(range(MAX_ROWS + 2), sheet.iter_rows(values_only=True), strict=False)
        ]
        workbook.close()
    except ValidationError:
        raise
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise unreadable from error
    return rows


def read_table(file: IO[bytes], *, filename: str) -> list[dict[str, Any]]:
    """The sheet's rows as {column: text} with their line numbers ("line"), or ValidationError for the file."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationError(
            _("Comment sheets can be uploaded as CSV (.csv) or Excel (.xlsx) files."), code="unsupported"
        )
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)d MB.") % {"size": MAX_BYTES // (1024 * 1024)}, code="too_large"
        )
    table = _xlsx_rows(data) if suffix == ".xlsx" else _csv_rows(data)
    if not table:
        raise ValidationError(_("The file is empty."), code="empty")
    header = [_header_key(cell) for cell in table[0]]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ValidationError(
            _("The first row must name the columns; %(columns)s is missing.")
            % {"columns": ", ".join(missing)},
            code="header",
        )
    if len(table) - 1 > MAX_ROWS:
        raise ValidationError(
            _("The sheet has more than %(count)d rows; split it in several files.") % {"count": MAX_ROWS},
            code="too_many_rows",
        )
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        values = {name: _cell(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)}
        values = {name: values.get(name, "") for name in READ_COLUMNS}
        # A row that only names a place (as a blank sheet's rows do) holds no comment: left out.
        if any(values[name] for name in SHEET_WRITTEN_COLUMNS):
            rows.append({"line": line, **values})
    if not rows:
        raise ValidationError(
            _("There are no comments in this file. Write each comment in the “comment” column, one per row."),
            code="no_comments",
        )
    return rows


class _Draft:
    """The consultation's resources as the sheet names them, each with the version under consultation and its
    sections and paragraphs, loaded once for all rows."""

    def __init__(self, consultation: Consultation) -> None:
        links = ConsultationResource.objects.filter(consultation=consultation).select_related(
            "resource", "version"
        )
        self.by_title: dict[str, tuple[Any, ResourceVersion]] = {}
        versions = []
        for link in links:
            version = link.version or link.resource.latest_version()
            versions.append(version)
            for code, _name in settings.LANGUAGES:
                title = getattr(link.resource, f"title_{code}", "") or ""
                if title.strip():
                    self.by_title.setdefault(title.strip().casefold(), (link.resource, version))
        self.sections: dict[tuple[int, str], Any] = {}
        for version in versions:
            for section in version.sections.all():
                self.sections[(version.pk, section.label)] = section
        self.paragraphs: dict[tuple[int, int], ResourceParagraph] = {
            (p.section_id, p.number): p
            for p in ResourceParagraph.objects.filter(section__version__in=versions).only(
                "pk", "section_id", "number", "text"
            )
        }


def _paragraph_number(cell: str) -> int | None:
    # "¶4", "4", "3.2 ¶4" and "para 4" all mean paragraph 4.
    match = re.fullmatch(r"(?:.*¶\s*|(?:para(?:graph)?\.?\s*)?)(\d{1,5})", cell.strip(), flags=re.IGNORECASE)
    return int(match.group(1)) if match else None


def _find_quote(text: str, quote: str) -> tuple[int, int] | None:
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    match = re.search(pattern, text) if pattern else None
    return (match.start(), match.end()) if match else None


def _check(values: Mapping[str, Any], draft: _Draft, participant: Participant) -> SheetComment | RefusedRow:
    line = int(values["line"])
    reasons: list[str] = []
    code = values["participant"]
    if code and code.casefold() not in (
        participant.pseudonym.casefold(),
        participant.name.strip().casefold(),
    ):
        reasons.append(
            _("Unknown participant code “%(code)s”: this sheet is for %(who)s.")
            % {"code": code, "who": participant.pseudonym}
        )
    found = draft.by_title.get(values["resource"].casefold())
    if not values["resource"]:
        reasons.append(_("No resource is named."))
    elif found is None:
        reasons.append(
            _("No resource of this consultation is titled “%(title)s”.") % {"title": values["resource"]}
        )
    kind = KINDS.get(values["comment_type"].lower() or "general")
    if kind is None:
        reasons.append(
            _("Unknown type of comment “%(type)s”: write ge (general), te (technical) or ed (editorial).")
            % {"type": values["comment_type"]}
        )
    text = values["comment"]
    if not text.strip():
        reasons.append(_("The comment is empty."))
    elif len(text) > COMMENT_MAX_LENGTH:
        reasons.append(_("The comment is longer than %(count)d characters.") % {"count": COMMENT_MAX_LENGTH})
    if len(values["proposed_change"]) > COMMENT_MAX_LENGTH:
        reasons.append(
            _("The proposed change is longer than %(count)d characters.") % {"count": COMMENT_MAX_LENGTH}
        )
    if len(values["quote"]) > QUOTE_MAX_LENGTH:
        reasons.append(
            _("The quoted passage is longer than %(count)d characters.") % {"count": QUOTE_MAX_LENGTH}
        )
    section = paragraph = None
    span = None
    if found is not None:
        resource, version = found
        if values["version"] and values["version"].lstrip("v") != str(version.number):
            reasons.append(
                _("The comments are taken on version %(current)s of this resource, not “%(given)s”.")
                % {"current": version.number, "given": values["version"]}
            )
        clause = values["clause"]
        if clause:
            section = draft.sections.get((version.pk, clause))
            if section is None:
                reasons.append(_("The resource has no section %(clause)s.") % {"clause": clause})
        if values["paragraph"]:
            number = _paragraph_number(values["paragraph"])
            if not clause:
                reasons.append(_("A paragraph is given without its section (clause)."))
            elif number is None:
                reasons.append(
                    _("“%(paragraph)s” is not a paragraph number such as ¶4.")
                    % {"paragraph": values["paragraph"]}
                )
            elif section is not None:
                paragraph = draft.paragraphs.get((section.pk, number))
                if paragraph is None:
                    reasons.append(
                        _("Section %(clause)s has no paragraph ¶%(number)d.")
                        % {"clause": clause, "number": number}
                    )
        if values["quote"]:
            if not values["paragraph"]:
                reasons.append(_("A quoted passage needs the paragraph it is in."))
            elif paragraph is not None:
                span = _find_quote(paragraph.text, values["quote"])
                if span is None:
                    reasons.append(
                        _("The quoted passage is not in %(place)s.")
                        % {"place": f"{section.label} ¶{paragraph.number}"}
                    )
    if reasons:
        return RefusedRow(line=line, values={k: v for k, v in values.items() if k != "line"}, reasons=reasons)
    prefix = quote = suffix = ""
    if span is not None:
        prefix, quote, suffix = anchoring.quote_context(paragraph.text, *span)
    place = (
        "" if section is None else (f"{section.label} ¶{paragraph.number}" if paragraph else section.label)
    )
    return SheetComment(
        line=line,
        resource_id=resource.pk,
        resource_title=str(resource.title),
        version_id=version.pk,
        version=version.number,
        section_id=section.pk if section else None,
        place=place,
        paragraph_id=paragraph.pk if paragraph else None,
        quote=quote,
        quote_prefix=prefix,
        quote_suffix=suffix,
        quote_start=span[0] if span else None,
        kind=kind,
        text=text,
        proposed_change=values["proposed_change"],
    )


def check_rows(
    raw: Iterable[Mapping[str, Any]], *, consultation: Consultation, participant: Participant
) -> Sheet:
    """Each raw row as a comment to store or refused with its reasons; also refuses a comment the participant
    has already made at the same place with the same words (a sheet uploaded twice)."""
    raw = [
        {"line": int(values["line"]), **{name: str(values.get(name, "")) for name in READ_COLUMNS}}
        for values in raw
    ]
    draft = _Draft(consultation)
    existing = set(
        Comment.objects.filter(response__participant=participant).values_list(
            "resource_id", "section_id", "paragraph_id", "quote", "text"
        )
    )
    rows, refused = [], []
    seen = set()
    for values in raw:
        checked = _check(values, draft, participant)
        if isinstance(checked, SheetComment):
            key = (checked.resource_id, checked.section_id, checked.paragraph_id, checked.quote, checked.text)
            if key in existing or key in seen:
                checked = RefusedRow(
                    line=checked.line,
                    values={k: v for k, v in values.items() if k != "line"},
                    reasons=[_("The same comment is there already.")],
                )
            else:
                seen.add(key)
        (rows if isinstance(checked, SheetComment) else refused).append(checked)
    return Sheet(raw=raw, rows=rows, refused=refused)


def read_sheet(
    file: IO[bytes], *, filename: str, consultation: Consultation, participant: Participant
) -> Sheet:
    """Read an uploaded comment sheet and check every row; ValidationError when the file itself is unusable."""
    return check_rows(read_table(file, filename=filename), consultation=consultation, participant=participant)


@transaction.atomic
def store_comments(*, response: Response, rows: Iterable[SheetComment], by: Any = None) -> list[Comment]:
    """Store the checked rows as the participant's comments, all or none. `by` is the organiser who entered
    them on the participant's behalf (recorded in the audit trail); None when the participant uploaded the
    sheet, who may do so only while the feedback window is open."""
    participant = response.participant
    consultation = participant.consultation
    if by is None and not consultation.is_open():
        raise ValidationError(
            _("The feedback window is closed: comments can no longer be added."), code="closed"
        )
    # Lock the response, so two uploads at once do not both store the same sheet.
    Response.objects.select_for_update().filter(pk=response.pk).exists()
    language = participant.answer_language or settings.LANGUAGE_CODE
    comments = []
    for row in rows:
        comment = Comment(
            response=response,
            resource_id=row.resource_id,
            version_id=row.version_id,
            section_id=row.section_id,
            paragraph_id=row.paragraph_id,
            quote=row.quote,
            quote_prefix=row.quote_prefix,
            quote_suffix=row.quote_suffix,
            quote_start=row.quote_start,
            kind=row.kind,
            text=row.text,
            proposed_change=row.proposed_change,
            language=language,
        )
        comment.full_clean(exclude=["response", "resource", "version", "section", "paragraph"])
        comment.save()
        comments.append(comment)
    if not comments:
        return comments
    if response.is_submitted:
        Revision.objects.bulk_create(Revision(comment=comment) for comment in comments)
    response.last_edited_at = timezone.now()
    response.save(update_fields=["last_edited_at"])
    if by is not None:
        audit.record(
            actor=by,
            action=AuditEvent.Action.COMMENTS,
            consultation=consultation,
            obj=participant,
            count=len(comments),
            details={
                "via": "comment sheet",
                "on_behalf_of": participant.pseudonym,
                "entered_by": by.get_username(),
                "comments": [comment.pk for comment in comments],
            },
        )
    return comments


def rows_from_payload(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The raw rows of a signed preview, as check_rows takes them (raises KeyError/ValueError when malformed)."""
    return [
        {"line": int(values["line"]), **{name: str(values[name]) for name in READ_COLUMNS}}
        for values in payload
    ]
