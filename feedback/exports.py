"""Exports of participant feedback: the long CSV (one row per answer or comment), streamed and formula-safe.

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
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from feedback.models import Answer, Comment, Consultation, Participant

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
        .submitted()
        .for_export()
        # \S rather than a blank comparison, so whitespace-only text counts as empty as in Answer.is_empty.
        .filter(Q(text__regex=r"\S") | ~Q(selected=[]))
    )


def comments_for_export(consultation: Consultation) -> QuerySet[Comment]:
    """The non-empty comments of the consultation's submitted responses, in export order."""
    return (
        Comment.objects.filter(response__participant__consultation=consultation)
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
        question.text,
        question.resource.title if question.resource else "",
        "",
        _answer_text(answer, profile),
        answer.status,
        _themes(answer),
        _iso_utc(response.submitted_at),
        participant.attribution,
        _iso_utc(response.last_edited_at),
        "yes" if answer.is_redacted else "",
    ]
    return [formula_safe(cell) for cell in cells]


def comment_row(comment: Comment, *, profile: str) -> list[str]:
    """One long-format row for the comment, cells in LONG_COLUMNS order, formula-safe."""
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
        comment.resource.title,
        comment.section.heading if comment.section else "",
        _answer_text(comment, profile),
        comment.status,
        _themes(comment),
        _iso_utc(response.submitted_at),
        participant.attribution,
        _iso_utc(response.last_edited_at),
        "yes" if comment.is_redacted else "",
    ]
    return [formula_safe(cell) for cell in cells]


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
    answers: QuerySet[Answer], profile: str, comments: QuerySet[Comment] | None = None
) -> Iterator[list[str]]:
    # Any Answer queryset may come in (e.g. an admin selection), so make sure the joins are there.
    # prefetch_related works with iterator() since Django 4.1: one themes query per chunk of rows.
    rows = answers.select_related(*EXPORT_RELATED).prefetch_related("themes")
    for answer in rows.iterator(chunk_size=2000):
        yield answer_row(answer, profile=profile)
    if comments is not None:
        rows = comments.select_related(*COMMENT_EXPORT_RELATED).prefetch_related("themes")
        for comment in rows.iterator(chunk_size=2000):
            yield comment_row(comment, profile=profile)


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
