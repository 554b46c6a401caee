"""Exports of participant feedback: long and wide shapes, as CSV, XLSX or JSON, filtered, formula-safe.

The column names, the JSON structure, the profiles and the markers are documented in docs/EXPORTS.md.

Profiles decide who is named in an export:

- ``identified``: participant = name, organisation = organisation name. For organisers only.
- ``pseudonymised`` (the default, never reveals identities): participant = the participant's stable pseudonym,
  organisation left empty; answers a moderator hid read "[hidden by moderator]".
- ``chatham-house``: follows each participant's attribution choice. Named: name and organisation. Organisation
  only: pseudonym and organisation. Unattributed: pseudonym, no organisation. Not to be quoted, or no choice
  recorded yet: pseudonym, no organisation, and the answer reads "[not to be quoted]". Hidden answers read
  "[hidden by moderator]" (that marker wins over the other).

Comments on resources follow the answers, with the same rules: item_type "comment", no question, the resource
title and the section heading (empty for a comment on the whole resource), and the comment text as the answer.

In every profile organisation type and country are exported as codes, and every cell a spreadsheet would run
as a formula is prefixed with ``'``. A moderator's redaction replaces the participant's words in every profile
(the original stays in the database for the audit trail), and the ``redacted`` column says "yes" where it did;
``themes`` lists the theme codes the item was tagged with, in code order, joined by "; ".
"""

import csv
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any, BinaryIO, TextIO

from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from feedback.models import NOT_BLANK_RE, Answer, Comment, Consultation, Participant, Question

PROFILES = ("identified", "pseudonymised", "chatham-house")

LONG_COLUMNS = [
    "consultation",
    "participant",
    "organisation",
    "organisation_type",
    "country",
    "item_type",
    "question_no",
    "question",
    "resource",
    "section",
    "answer",
    "status",
    "themes",
    "submitted_at",
    "attribution",
    "last_edited_at",
    "redacted",
    "language",
]

HIDDEN_MARKER = _("[hidden by moderator]")
NOT_QUOTED_MARKER = _("[not to be quoted]")

# Characters with which a spreadsheet starts a formula (or, for tab/CR/LF, lets one slip past a naive check).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")

# Rows are generated one at a time but handed to the server in chunks of about this many characters, so a
# large export is not written to the socket a few hundred bytes at a time.
CHUNK_CHARS = 16 * 1024

EXPORT_RELATED = ("question__resource", "response__participant__consultation")
COMMENT_EXPORT_RELATED = ("resource", "section", "response__participant__consultation")


def answers_for_export(consultation: Consultation) -> QuerySet[Answer]:
    """The non-empty answers of the consultation's submitted responses, in export order."""
    return (
        Answer.objects.filter(response__participant__consultation=consultation)
        .exclude(response__participant__is_erased=True)
        .submitted()
        .for_export()
        # A regex rather than a blank comparison, so whitespace-only text counts as empty as in Answer.is_empty.
        .filter(Q(text__regex=NOT_BLANK_RE) | ~Q(selected=[]))
    )


def comments_for_export(consultation: Consultation) -> QuerySet[Comment]:
    """The non-empty comments of the consultation's submitted responses, in export order."""
    return (
        Comment.objects.filter(response__participant__consultation=consultation)
        .exclude(response__participant__is_erased=True)
        .submitted()
        .non_empty()
        .for_export()
    )


def formula_safe(value: str) -> str:
    """The cell text, prefixed with ' when a spreadsheet would evaluate it as a formula."""
    if value.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"Unknown export profile {profile!r}; choose one of {', '.join(PROFILES)}.")


def _iso_utc(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _who(participant: Participant, profile: str) -> tuple[str, str]:
    """The (participant, organisation) cells for this profile."""
    if profile == "identified":
        return participant.name, participant.organisation
    if profile == "chatham-house":
        if participant.attribution == Participant.Attribution.NAMED:
            return participant.name, participant.organisation
        if participant.attribution == Participant.Attribution.ORGANISATION:
            return participant.pseudonym, participant.organisation
    return participant.pseudonym, ""


def _answer_text(answer: Answer | Comment, profile: str) -> str:
    if profile == "identified":
        return answer.shown_value()
    if answer.status == Answer.Status.HIDDEN:
        return str(HIDDEN_MARKER)
    if profile == "chatham-house" and answer.response.participant.attribution not in (
        Participant.Attribution.NAMED,
        Participant.Attribution.ORGANISATION,
        Participant.Attribution.UNATTRIBUTED,
    ):
        # Not to be quoted, or never chose: withhold the words rather than guess consent.
        return str(NOT_QUOTED_MARKER)
    return answer.shown_value()


def _themes(item: Answer | Comment) -> str:
    # themes.all() reads the prefetched list, so this costs no query per row.
    return "; ".join(sorted(theme.code for theme in item.themes.all()))


def answer_row(answer: Answer, *, profile: str) -> list[str]:
    """One long-format row for the answer, cells in LONG_COLUMNS order, formula-safe."""
    return [formula_safe(cell) for cell in answer_cells(answer, profile=profile)]


def answer_cells(answer: Answer, *, profile: str) -> list[str]:
    """The answer's long-format cells as they are, for formats that no spreadsheet evaluates (JSON)."""
    response = answer.response
    participant = response.participant
    question = answer.question
    name, organisation = _who(participant, profile)
    cells = [
        participant.consultation.slug,
        name,
        organisation,
        participant.organisation_type,
        participant.country.code or "",
        "answer",
        str(question.number),
        question.text_en,
        question.resource.title_en if question.resource else "",
        "",
        _answer_text(answer, profile),
        answer.status,
        _themes(answer),
        _iso_utc(response.submitted_at),
        participant.attribution,
        _iso_utc(response.last_edited_at),
        "yes" if answer.is_redacted else "",
        answer.language,
    ]
    return cells


def comment_row(comment: Comment, *, profile: str) -> list[str]:
    """One long-format row for the comment, cells in LONG_COLUMNS order, formula-safe."""
    return [formula_safe(cell) for cell in comment_cells(comment, profile=profile)]


def comment_cells(comment: Comment, *, profile: str) -> list[str]:
    """The comment's long-format cells as they are, for formats that no spreadsheet evaluates (JSON)."""
    response = comment.response
    participant = response.participant
    name, organisation = _who(participant, profile)
    cells = [
        participant.consultation.slug,
        name,
        organisation,
        participant.organisation_type,
        participant.country.code or "",
        "comment",
        "",
        "",
        comment.resource.title_en,
        comment.section.heading_en if comment.section else "",
        _answer_text(comment, profile),
        comment.status,
        _themes(comment),
        _iso_utc(response.submitted_at),
        participant.attribution,
        _iso_utc(response.last_edited_at),
        "yes" if comment.is_redacted else "",
        comment.language,
    ]
    return cells


def long_rows(
    answers: QuerySet[Answer],
    *,
    profile: str = "pseudonymised",
    comments: QuerySet[Comment] | None = None,
) -> Iterator[list[str]]:
    """One row per answer, then per comment (no header), in the querysets' order, in constant queries.

    Each kind takes two queries per 2,000 rows: the rows with their joins, and the themes of those rows.
    """
    check_profile(profile)  # here, not in the generator, so a bad profile fails before a response starts
    return _long_rows(answers, profile, comments)


def _long_rows(
    answers: QuerySet[Answer], profile: str, comments: QuerySet[Comment] | None = None, *, safe: bool = True
) -> Iterator[list[str]]:
    answer_out = answer_row if safe else answer_cells
    comment_out = comment_row if safe else comment_cells
    # Any Answer queryset may come in (e.g. an admin selection), so make sure the joins are there.
    # prefetch_related works with iterator() since Django 4.1: one themes query per chunk of rows.
    rows = answers.select_related(*EXPORT_RELATED).prefetch_related("themes")
    for answer in rows.iterator(chunk_size=2000):
        yield answer_out(answer, profile=profile)
    if comments is not None:
        rows = comments.select_related(*COMMENT_EXPORT_RELATED).prefetch_related("themes")
        for comment in rows.iterator(chunk_size=2000):
            yield comment_out(comment, profile=profile)


class _Echo:
    """A file stand-in whose write() returns what it was given, so csv.writer formats one row at a time."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(
    answers: QuerySet[Answer], profile: str, comments: QuerySet[Comment] | None = None
) -> Iterator[str]:
    """The header line, then one CSV line per answer and per comment, each ending in CRLF."""
    writer = csv.writer(_Echo(), lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    yield writer.writerow(LONG_COLUMNS)
    for row in _long_rows(answers, profile, comments):
        yield writer.writerow(row)


def csv_chunks(
    answers: QuerySet[Answer], *, profile: str, comments: QuerySet[Comment] | None = None
) -> Iterator[str]:
    """The long CSV as text: header then rows, RFC 4180, in chunks of whole lines of bounded size."""
    check_profile(profile)
    return _chunked(_csv_lines(answers, profile, comments))


def _chunked(lines: Iterator[str]) -> Iterator[str]:
    buffer: list[str] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def csv_response(
    answers: QuerySet[Answer],
    *,
    profile: str,
    filename: str,
    comments: QuerySet[Comment] | None = None,
) -> StreamingHttpResponse:
    """A streamed download of the long CSV that browsers and proxies do not keep or reinterpret."""
    response = StreamingHttpResponse(
        csv_chunks(answers, profile=profile, comments=comments), content_type="text/csv; charset=utf-8"
    )
    # RFC 6266 quoting: filename="..." for plain ASCII names, filename*=utf-8'' for the rest.
    response["Content-Disposition"] = content_disposition_header(True, filename or "export.csv")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def write_csv(
    answers: QuerySet[Answer], *, profile: str, fh: TextIO, comments: QuerySet[Comment] | None = None
) -> int:
    """Write the long CSV to an open text file (opened with newline=""); returns the number of data rows."""
    check_profile(profile)
    rows = -1  # the first line is the header
    for line in _csv_lines(answers, profile, comments):
        fh.write(line)
        rows += 1
    return rows


# Filters, shapes and formats shared by the admin export page, the admin actions and the command.

SHAPES = ("long", "wide")
FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}

# The wide shape: these columns, then q<number> per question, then WIDE_TAIL_COLUMNS.
WIDE_HEAD_COLUMNS = [
    "participant",
    "organisation",
    "organisation_type",
    "country",
    "attribution",
    "submitted_at",
]
WIDE_TAIL_COLUMNS = ["comments", "hidden", "redacted", "language"]

BOM = "\ufeff"


@dataclass(frozen=True)
class ExportFilters:
    """What to export of a consultation; an empty field does not filter. All fields must match (AND).

    Answers match `questions` by question number and `resources` by the resource their question is about.
    Comments have no question, so a question filter leaves them out unless `resources` is given too: asking
    for "question 3" means the answers to question 3, while "question 3 and resource R" means the answers to
    question 3 about R together with the comments on R.
    """

    statuses: tuple[str, ...] = ()
    questions: tuple[int, ...] = ()
    resources: tuple[int, ...] = ()
    themes: tuple[str, ...] = ()
    organisation_types: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    submitted_from: date | None = None
    submitted_to: date | None = None

    def _common(self, items: QuerySet[Any]) -> QuerySet[Any]:
        if self.statuses:
            items = items.filter(status__in=self.statuses)
        if self.themes:
            # A subquery rather than a join, so an item tagged with two chosen themes is still one row.
            items = items.filter(pk__in=items.model.objects.filter(themes__code__in=self.themes).values("pk"))
        if self.organisation_types:
            items = items.filter(response__participant__organisation_type__in=self.organisation_types)
        if self.countries:
            items = items.filter(response__participant__country__in=self.countries)
        if self.submitted_from:
            items = items.filter(response__submitted_at__date__gte=self.submitted_from)
        if self.submitted_to:
            items = items.filter(response__submitted_at__date__lte=self.submitted_to)
        return items

    def answers(self, answers: QuerySet[Answer]) -> QuerySet[Answer]:
        answers = self._common(answers)
        if self.questions:
            answers = answers.filter(question__number__in=self.questions)
        if self.resources:
            answers = answers.filter(question__resource_id__in=self.resources)
        return answers

    def comments(self, comments: QuerySet[Comment]) -> QuerySet[Comment]:
        if self.questions and not self.resources:
            return comments.none()
        comments = self._common(comments)
        if self.resources:
            comments = comments.filter(resource_id__in=self.resources)
        return comments

    def as_dict(self) -> dict[str, Any]:
        """The filters that are set, as the audit trail and the JSON export store them."""
        return {
            name: value.isoformat() if isinstance(value, date) else list(value)
            for name, value in asdict(self).items()
            if value
        }


@dataclass
class Export:
    """One export: which answers and comments, named how (profile), in which shape. Formats read its rows."""

    answers: QuerySet[Answer]
    comments: QuerySet[Comment] | None = None
    profile: str = "pseudonymised"
    shape: str = "long"
    consultation: Consultation | None = None
    filters: ExportFilters = field(default_factory=ExportFilters)
    row_count: int = 0  # the data rows produced so far
    # Everything of the consultation, unfiltered: the long CSV can then come straight from PostgreSQL's COPY.
    is_whole_consultation: bool = False

    def __post_init__(self) -> None:
        check_profile(self.profile)
        if self.shape not in SHAPES:
            raise ValueError(f"Unknown export shape {self.shape!r}; choose one of {', '.join(SHAPES)}.")
        if self.shape == "wide" and self.consultation is None:
            raise ValueError("The wide shape needs the consultation whose questions make its columns.")
        self._question_numbers: list[int] | None = None

    @classmethod
    def of(
        cls,
        consultation: Consultation,
        *,
        profile: str = "pseudonymised",
        shape: str = "long",
        filters: ExportFilters | None = None,
    ) -> "Export":
        """The consultation's submitted, non-empty answers and comments that pass the filters."""
        filters = filters or ExportFilters()
        return cls(
            answers=filters.answers(answers_for_export(consultation)),
            comments=filters.comments(comments_for_export(consultation)),
            profile=profile,
            shape=shape,
            consultation=consultation,
            filters=filters,
            is_whole_consultation=filters == ExportFilters(),
        )

    @property
    def slug(self) -> str | None:
        return self.consultation.slug if self.consultation else None

    def question_numbers(self) -> list[int]:
        """The questions that get a wide column: all of the consultation's, or those the filter names."""
        if self._question_numbers is None:
            numbers = Question.objects.filter(consultation=self.consultation).order_by("number")
            if self.filters.questions:
                numbers = numbers.filter(number__in=self.filters.questions)
            self._question_numbers = list(numbers.values_list("number", flat=True))
        return self._question_numbers

    def columns(self) -> list[str]:
        if self.shape == "long":
            return list(LONG_COLUMNS)
        return [*WIDE_HEAD_COLUMNS, *(f"q{number}" for number in self.question_numbers()), *WIDE_TAIL_COLUMNS]

    def participants(self) -> QuerySet[Participant]:
        """The wide shape's rows: every participant with at least one exported answer or comment."""
        has_items = Q(pk__in=self.answers.order_by().values("response__participant_id"))
        if self.comments is not None:
            has_items |= Q(pk__in=self.comments.order_by().values("response__participant_id"))
        return Participant.objects.filter(has_items).select_related("response").order_by("pk")

    def counts(self) -> dict[str, int]:
        """How many answers, comments and rows the export holds: what the export page shows before download."""
        answers = self.answers.count()
        comments = self.comments.count() if self.comments is not None else 0
        rows = answers + comments if self.shape == "long" else self.participants().count()
        return {"answers": answers, "comments": comments, "rows": rows}

    def rows(self, *, safe: bool = True) -> Iterator[list[str]]:
        """The data rows in column order; `safe` makes formula-like cells inert (CSV, XLSX), JSON keeps them."""
        self.row_count = 0
        source = (
            _long_rows(self.answers, self.profile, self.comments, safe=safe)
            if self.shape == "long"
            else self._wide_rows(safe=safe)
        )
        for row in source:
            self.row_count += 1
            yield row

    def _wide_rows(self, *, safe: bool) -> Iterator[list[str]]:
        numbers = self.question_numbers()
        column_of = {number: index for index, number in enumerate(numbers)}
        comment_counts: dict[int, int] = {}
        if self.comments is not None:
            comment_counts = dict(
                self.comments.order_by()
                .values("response__participant_id")
                .annotate(n=Count("pk"))
                .values_list("response__participant_id", "n")
            )
        # Both sides in participant order, merged as they stream: memory holds one participant's answers.
        answers = iter(
            self.answers.select_related(*EXPORT_RELATED)
            .order_by("response__participant_id", "question__number")
            .iterator(chunk_size=2000)
        )
        pending = next(answers, None)
        for participant in self.participants().iterator(chunk_size=2000):
            cells = [""] * len(numbers)
            hidden, redacted, languages = [], [], []
            while pending is not None and pending.response.participant_id <= participant.pk:
                index = column_of.get(pending.question.number)
                if pending.response.participant_id == participant.pk and index is not None:
                    cells[index] = _answer_text(pending, self.profile)
                    if pending.status == Answer.Status.HIDDEN:
                        hidden.append(f"q{pending.question.number}")
                    if pending.is_redacted:
                        redacted.append(f"q{pending.question.number}")
                    if pending.language and pending.language not in languages:
                        languages.append(pending.language)
                pending = next(answers, None)
            name, organisation = _who(participant, self.profile)
            row = [
                name,
                organisation,
                participant.organisation_type,
                participant.country.code or "",
                participant.attribution,
                _iso_utc(participant.response.submitted_at),
                *cells,
                str(comment_counts.get(participant.pk, 0)),
                "; ".join(hidden),
                "; ".join(redacted),
                "; ".join(languages),
            ]
            yield [formula_safe(cell) for cell in row] if safe else row


def _csv_text(export: Export, *, bom: bool = False) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    yield (BOM if bom else "") + writer.writerow(export.columns())
    for row in export.rows():
        yield writer.writerow(row)


def _json_text(export: Export) -> Iterator[str]:
    """The JSON document, one row per line; "row_count" and "complete" come last, so a cut-off file lacks them."""
    columns = export.columns()
    head = {
        "consultation": export.slug,
        "profile": export.profile,
        "shape": export.shape,
        "filters": export.filters.as_dict(),
        "columns": columns,
    }
    # The head's closing brace is dropped so the rows array can follow inside the same object.
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [\n'
    separator = ""
    for row in export.rows(safe=False):
        yield separator + json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False)
        separator = ",\n"
    yield f'\n], "row_count": {export.row_count}, "complete": true}}\n'


def export_text(export: Export, *, file_format: str, bom: bool = False) -> Iterator[str]:
    """A CSV or JSON export as text, in chunks of whole rows of bounded size."""
    if file_format == "csv":
        return _chunked(_csv_text(export, bom=bom))
    if file_format == "json":
        return _chunked(_json_text(export))
    raise ValueError(f"{file_format} is not a text format.")


# What XML 1.0 cannot carry: control characters other than tab, LF and CR, and U+FFFE and U+FFFF (openpyxl's
# own ILLEGAL_CHARACTERS_RE misses those two, and one of them in a cell made the whole workbook unreadable).
NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xlsx_cell(sheet: Any, value: str) -> Any:
    from openpyxl.cell import WriteOnlyCell

    # Characters XML cannot carry are dropped. Line breaks become LF, as XML parsers read them anyway and as a
    # spreadsheet breaks lines in a cell. Then formula_safe again: dropping " \x01" can bare an "=".
    text = formula_safe(NOT_XML_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n"))
    cell = WriteOnlyCell(sheet, value=text)
    # Always a string, never a formula, whatever the text starts with (openpyxl would guess "f" for "=...").
    cell.data_type = "s"
    return cell


def write_xlsx(export: Export, fh: IO[bytes]) -> int:
    """Write the export as a one-sheet workbook (write-only: rows go to disk as they come); returns the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(export.slug or "export")[:31])
    header = []
    for name in export.columns():
        cell = _xlsx_cell(sheet, name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in export.rows():
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    workbook.save(fh)
    return export.row_count


def write_export(export: Export, *, file_format: str, fh: IO[bytes], bom: bool = False) -> int:
    """Write the export to a binary file in the format; returns the number of data rows."""
    if file_format not in FORMATS:
        raise ValueError(f"Unknown export format {file_format!r}; choose one of {', '.join(FORMATS)}.")
    if file_format == "xlsx":
        return write_xlsx(export, fh)
    if file_format == "csv" and export.shape == "long" and export.is_whole_consultation:
        # Imported here: exports_copy builds its SQL from this module's columns and markers.
        from feedback import exports_copy

        if exports_copy.supports_copy():
            if bom:
                fh.write(BOM.encode("utf-8"))
            export.row_count = exports_copy.copy_long_csv(export.consultation, profile=export.profile, fh=fh)
            return export.row_count
    for chunk in export_text(export, file_format=file_format, bom=bom and file_format == "csv"):
        fh.write(chunk.encode("utf-8"))
    return export.row_count


def file_response(export: Export, *, file_format: str, filename: str, bom: bool = False) -> FileResponse:
    """The whole export, written to a temporary file first and sent with its length and row count.

    A download that stops early is then shorter than its Content-Length, which browsers and scripts notice,
    and the file on disk keeps the worker's memory flat however many rows there are.
    """
    fh: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it after sending
    try:
        rows = write_export(export, file_format=file_format, fh=fh, bom=bom)
        length = fh.tell()
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    response = FileResponse(
        fh, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[file_format]
    )
    response["Content-Length"] = str(length)
    response["X-Export-Rows"] = str(rows)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
