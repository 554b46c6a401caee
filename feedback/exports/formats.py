"""Writing an export as CSV (streamed in chunks, or by PostgreSQL's COPY), JSON or XLSX, to a file or a
download."""

import csv
import json
import re
import tempfile
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, TextIO

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from feedback.exports import postgres
from feedback.exports.columns import BOM, CONTENT_TYPES, FORMATS, LONG_COLUMNS, check_profile, formula_safe
from feedback.exports.shapes import Export, _long_rows
from feedback.models import Answer, Comment

# Rows are generated one at a time but handed to the server in chunks of about this many characters, so a
# large export is not written to the socket a few hundred bytes at a time.
CHUNK_CHARS = 16 * 1024


class _Echo:
    """A file stand-in whose write() returns what it was given, so csv.writer formats one row at a time."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(
    answers: QuerySet[Answer], profile: str, comments: QuerySet[Comment] | None = None, **meeting: Any
) -> Iterator[str]:
    """The header line, then one CSV line per answer and per comment (and, given `live_points` and `notes`,
    per item of the meeting's record), each ending in CRLF."""
    writer = csv.writer(_Echo(), lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    yield writer.writerow(LONG_COLUMNS)
    for row in _long_rows(answers, profile, comments, **meeting):
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
    answers: QuerySet[Answer],
    *,
    profile: str,
    fh: TextIO,
    comments: QuerySet[Comment] | None = None,
    **meeting: Any,
) -> int:
    """Write the long CSV to an open text file (opened with newline=""); returns the number of data rows.
    `live_points` and `notes` add the meeting's record."""
    check_profile(profile)
    rows = -1  # the first line is the header
    for line in _csv_lines(answers, profile, comments, **meeting):
        fh.write(line)
        rows += 1
    return rows


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
    whole_long_csv = file_format == "csv" and export.shape == "long" and export.is_whole_consultation
    if whole_long_csv and postgres.supports_copy():
        if bom:
            fh.write(BOM.encode("utf-8"))
        export.row_count = postgres.copy_long_csv(export.consultation, profile=export.profile, fh=fh)
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
