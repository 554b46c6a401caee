"""The long CSV export made by PostgreSQL itself: one ``COPY (SELECT ...) TO STDOUT`` streamed into a file.

It writes the same bytes as ``exports.write_csv`` over ``answers_for_export`` and ``comments_for_export`` (same
rows, order, profiles, markers, formula prefix and quoting), several times faster and in flat memory, because
the rows are formatted by the database and never become Python objects. PostgreSQL with psycopg 3 only; other
databases take the ORM path in ``exports``.

Why the SQL looks the way it does, where it has to match Python's csv module:

- An empty cell is written as SQL NULL: COPY writes NULL as nothing, but a non-NULL empty string as ``""``.
- COPY quotes a cell when it holds a comma, a double quote, CR or LF, and doubles the quotes in it, as
  ``csv.QUOTE_MINIMAL`` does with a CRLF line terminator; COPY ends rows with LF, so each row's LF becomes CRLF
  here. The protocol sends one CopyData message per row, so that is the message's last byte, never a newline
  inside a quoted cell.
- Theme codes are sorted with ``COLLATE "C"`` (code point order, as Python's ``sorted``); the rows keep the
  database collation in their ORDER BY, as the ORM's ``for_export()`` does.
"""

from typing import BinaryIO

from django.db import connection
from django.db.backends.postgresql.psycopg_any import is_psycopg3

from feedback.exports.columns import (
    AFTER_SEPARATOR,
    COMMENT_TYPE_CODES,
    FORMULA_TRIGGERS,
    HIDDEN_MARKER,
    LONG_COLUMNS,
    NOT_QUOTED_MARKER,
    check_profile,
)
from feedback.exports.shapes import ORGANISERS_CELL
from feedback.models import NOT_BLANK_RE, Consultation, Moderated, Participant, RapporteurNote, Response

# Rows are gathered into writes of about this many bytes; memory stays flat whatever the row count.
BLOCK_BYTES = 256 * 1024


# The items of the consultation's submitted responses, answers then comments, each kind in the order of its
# for_export(); `kind` and the *_key columns only order the rows and are not exported.
ITEMS = """
SELECT 0 AS kind, p.id AS participant_key, q.number AS question_key, NULL::text AS title_key,
       NULL::bigint AS resource_key, NULL::integer AS section_key, NULL::integer AS paragraph_key,
       a.id AS item_key,
       c.slug, p.name, p.pseudonym, p.organisation, p.organisation_type, p.country, p.attribution,
       'answer' AS item_type, q.number::text AS question_no, q.text_en AS question, qr.title_en AS resource,
       NULL::text AS section, a.status, a.redacted_text,
       CASE WHEN jsonb_typeof(a.selected) <> 'array' THEN a.text
            WHEN jsonb_array_length(a.selected) = 0 THEN a.text
            ELSE (SELECT string_agg(choice, '; ' ORDER BY ordinal)
                  FROM jsonb_array_elements_text(a.selected) WITH ORDINALITY AS e(choice, ordinal))
       END AS display,
       (SELECT string_agg(t.code, '; ' ORDER BY t.code COLLATE "C")
        FROM feedback_answer_themes tag JOIN feedback_theme t ON t.id = tag.theme_id
        WHERE tag.answer_id = a.id) AS themes,
       r.submitted_at, r.last_edited_at, a.language,
       NULL::text AS version, NULL::text AS anchor, NULL::text AS quote, NULL::text AS kind_code,
       NULL::text AS proposed_change, NULL::text AS note_kind, NULL::text AS redacted_proposed_change
FROM feedback_answer a
JOIN feedback_response r ON r.id = a.response_id
JOIN feedback_participant p ON p.id = r.participant_id
JOIN feedback_consultation c ON c.id = p.consultation_id
JOIN feedback_question q ON q.id = a.question_id
LEFT JOIN feedback_resource qr ON qr.id = q.resource_id
WHERE p.consultation_id = {consultation} AND r.status = {submitted} AND NOT p.is_erased
  AND (a.text ~ {not_blank} OR a.selected <> '[]'::jsonb)
UNION ALL
SELECT 1, p.id, NULL, cr.title_en, cr.id, s.position, pg.number, m.id,
       c.slug, p.name, p.pseudonym, p.organisation, p.organisation_type, p.country, p.attribution,
       'comment', NULL, NULL, cr.title_en, s.heading_en, m.status, m.redacted_text, m.text,
       (SELECT string_agg(t.code, '; ' ORDER BY t.code COLLATE "C")
        FROM feedback_comment_themes tag JOIN feedback_theme t ON t.id = tag.theme_id
        WHERE tag.comment_id = m.id),
       r.submitted_at, r.last_edited_at, m.language,
       v.number::text,
       CASE WHEN s.id IS NULL THEN NULL
            WHEN pg.id IS NULL THEN COALESCE(NULLIF(s.number, ''), s.position::text)
            ELSE COALESCE(NULLIF(s.number, ''), s.position::text) || ' ¶' || pg.number::text
       END,
       m.quote, {kind_codes}, m.proposed_change, NULL, m.redacted_proposed_change
FROM feedback_comment m
JOIN feedback_response r ON r.id = m.response_id
JOIN feedback_participant p ON p.id = r.participant_id
JOIN feedback_consultation c ON c.id = p.consultation_id
JOIN feedback_resource cr ON cr.id = m.resource_id
JOIN feedback_resourceversion v ON v.id = m.version_id
LEFT JOIN feedback_resourcesection s ON s.id = m.section_id
LEFT JOIN feedback_resourceparagraph pg ON pg.id = m.paragraph_id
WHERE p.consultation_id = {consultation} AND r.status = {submitted} AND NOT p.is_erased
  AND m.text ~ {not_blank}
"""


# The meeting's record after them, as shapes.live_points_for_export and notes_for_export order it: live points
# (kind 2) by participant, agenda position and id (item_key); no draft columns; rapporteur notes (kind 3) by agenda position and id. A note
# that names no participant is quoted without a name ("organisers" for the organisers'), never withheld.
MEETING_ITEMS = """
UNION ALL
SELECT 2, p.id, ai.position, NULL, NULL, NULL, NULL, lp.id,
       c.slug, p.name, p.pseudonym, p.organisation, p.organisation_type, p.country, p.attribution,
       'live', q.number::text, q.text_en, NULL, ai.title_en, lp.status, lp.redacted_text, lp.text,
       (SELECT string_agg(t.code, '; ' ORDER BY t.code COLLATE "C")
        FROM feedback_livepoint_themes tag JOIN feedback_theme t ON t.id = tag.theme_id
        WHERE tag.livepoint_id = lp.id),
       lp.created_at, lp.updated_at, lp.language, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM feedback_livepoint lp
JOIN feedback_participant p ON p.id = lp.participant_id
JOIN feedback_consultation c ON c.id = p.consultation_id
JOIN feedback_agendaitem ai ON ai.id = lp.agenda_item_id
LEFT JOIN feedback_question q ON q.id = ai.question_id
WHERE p.consultation_id = {consultation} AND NOT lp.is_rehearsal AND NOT p.is_erased AND lp.text ~ {not_blank}
UNION ALL
SELECT 3, NULL, ai.position, NULL, NULL, NULL, NULL, n.id,
       c.slug,
       CASE WHEN n.speaker = {organisers_speaker} THEN {organisers_cell} ELSE p.name END,
       CASE WHEN n.speaker = {organisers_speaker} THEN {organisers_cell} ELSE p.pseudonym END,
       p.organisation, p.organisation_type, p.country, COALESCE(p.attribution, {unattributed}),
       'spoken', q.number::text, q.text_en, NULL, ai.title_en, n.status, n.redacted_text, n.text,
       (SELECT string_agg(t.code, '; ' ORDER BY t.code COLLATE "C")
        FROM feedback_rapporteurnote_themes tag JOIN feedback_theme t ON t.id = tag.theme_id
        WHERE tag.rapporteurnote_id = n.id),
       n.created_at, n.updated_at, n.language, NULL, NULL, NULL, NULL, NULL, n.kind, NULL
FROM feedback_rapporteurnote n
JOIN feedback_agendaitem ai ON ai.id = n.agenda_item_id
JOIN feedback_consultation c ON c.id = ai.consultation_id
LEFT JOIN feedback_participant p ON p.id = n.participant_id
LEFT JOIN feedback_question q ON q.id = ai.question_id
WHERE ai.consultation_id = {consultation} AND NOT n.is_rehearsal AND p.is_erased IS NOT TRUE
  AND n.text ~ {not_blank}
"""


SELECT = """
SELECT {cells}
FROM ({items}) item
ORDER BY item.kind, item.participant_key, item.question_key, item.title_key, item.resource_key,
         item.section_key NULLS FIRST, item.paragraph_key NULLS FIRST, item.item_key
"""


ISO_UTC = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def supports_copy() -> bool:
    """Whether this database can make the export itself: PostgreSQL through psycopg 3."""
    return connection.vendor == "postgresql" and is_psycopg3


def _who(profile: str) -> tuple[str, str]:
    """SQL for the (participant, organisation) cells of the profile, as exports._who decides them."""
    if profile == "identified":
        return "item.name", "item.organisation"
    if profile == "chatham-house":
        named = Participant.Attribution.NAMED.value
        organisation = Participant.Attribution.ORGANISATION.value
        return (
            f"CASE WHEN item.attribution = '{named}' THEN item.name ELSE item.pseudonym END",
            f"CASE WHEN item.attribution IN ('{named}', '{organisation}') THEN item.organisation END",
        )
    return "item.pseudonym", "NULL"


def _answer_text(profile: str, shown: str = "COALESCE(NULLIF(item.redacted_text, ''), item.display)") -> str:
    """SQL for the answer cell of the profile, as exports._answer_text decides it (`shown`: the words)."""
    if profile == "identified":
        return shown
    hidden = f"WHEN item.status = '{Moderated.Status.HIDDEN.value}' THEN {{hidden_marker}}"
    if profile == "chatham-house":
        quotable = ", ".join(f"'{attribution.value}'" for attribution in Participant.QUOTABLE)
        return (
            f"CASE {hidden} WHEN item.attribution NOT IN ({quotable}) THEN {{not_quoted_marker}} "
            f"ELSE {shown} END"
        )
    return f"CASE {hidden} ELSE {shown} END"


def _proposed_change(profile: str) -> str:
    """SQL for the proposed change cell, as exports._proposed_change decides it (redactions applied)."""
    shown = "COALESCE(NULLIF(item.redacted_proposed_change, ''), item.proposed_change)"
    return f"CASE WHEN COALESCE(item.proposed_change, '') = '' THEN NULL ELSE {_answer_text(profile, shown=shown)} END"


def _kind_codes() -> str:
    """SQL for the ISO code of m.kind (COMMENT_TYPE_CODES); the values are fixed words, inlined."""
    cases = " ".join(f"WHEN '{kind}' THEN '{code}'" for kind, code in COMMENT_TYPE_CODES.items())
    return f"CASE m.kind {cases} ELSE m.kind END"


def _formula_safe(cell: str) -> str:
    """SQL for exports.formula_safe(cell), with an empty cell turned into NULL (which COPY writes as nothing)."""
    safe = f"regexp_replace({cell}, {{after_separator}}, E'\\\\1''', 'g')"
    return (
        f"NULLIF(CASE WHEN left(ltrim({safe}, ' '), 1) = ANY({{triggers}}) THEN '''' || {safe} "
        f"ELSE {safe} END, '')"
    )


def _cells(profile: str) -> str:
    participant, organisation = _who(profile)
    cells = {
        "consultation": "item.slug",
        "participant": participant,
        "organisation": organisation,
        "organisation_type": "item.organisation_type",
        "country": "item.country",
        "item_type": "item.item_type",
        "question_no": "item.question_no",
        "question": "item.question",
        "resource": "item.resource",
        "section": "item.section",
        "answer": _answer_text(profile),
        "status": "item.status",
        "themes": "item.themes",
        "submitted_at": ISO_UTC.format("item.submitted_at"),
        "attribution": "item.attribution",
        "last_edited_at": ISO_UTC.format("item.last_edited_at"),
        "redacted": "CASE WHEN item.redacted_text <> '' THEN 'yes' END",
        "language": "item.language",
        "version": "item.version",
        "anchor": "item.anchor",
        "quote": "item.quote",
        "comment_type": "item.kind_code",
        "proposed_change": _proposed_change(profile),
        "note_kind": "item.note_kind",
    }
    if list(cells) != LONG_COLUMNS:
        raise RuntimeError("the COPY export is out of step with exports.LONG_COLUMNS")
    return ",\n".join(f'{_formula_safe(sql)} AS "{name}"' for name, sql in cells.items())


def long_csv_select(consultation: Consultation, *, profile: str) -> str:
    """The SELECT of the long CSV rows (header names as column names), on one line, values inlined.

    Markers are rendered in the active language. One line, so that psql's \\copy can run the same text.
    """
    from psycopg import sql

    check_profile(profile)
    items = ITEMS.replace("{kind_codes}", _kind_codes()) + MEETING_ITEMS
    template = " ".join(SELECT.format(cells=_cells(profile), items=items).split())
    # chr() rather than string literals: tab, CR and LF inside a literal would break the one-line form.
    triggers = sql.SQL("ARRAY[{}]").format(
        sql.SQL(", ").join(sql.SQL("chr({})").format(ord(char)) for char in FORMULA_TRIGGERS)
    )
    statement = sql.SQL(template).format(
        consultation=sql.Literal(consultation.pk),
        submitted=sql.Literal(Response.Status.SUBMITTED.value),
        hidden_marker=sql.Literal(str(HIDDEN_MARKER)),
        not_quoted_marker=sql.Literal(str(NOT_QUOTED_MARKER)),
        triggers=triggers,
        after_separator=sql.Literal(AFTER_SEPARATOR),
        not_blank=sql.Literal(NOT_BLANK_RE),
        organisers_speaker=sql.Literal(RapporteurNote.Speaker.ORGANISERS.value),
        organisers_cell=sql.Literal(ORGANISERS_CELL),
        unattributed=sql.Literal(Participant.Attribution.UNATTRIBUTED.value),
    )
    if not supports_copy():
        # Quoting without a PostgreSQL connection (psycopg's defaults): enough to hand the text to psql.
        return statement.as_string(None)
    connection.ensure_connection()
    return statement.as_string(connection.connection)


def copy_options() -> str:
    """The COPY options of the export, for the app and for a side-by-side psql \\copy."""
    return "(FORMAT csv, HEADER, ENCODING 'UTF8')"


def copy_long_csv(consultation: Consultation, *, profile: str, fh: BinaryIO) -> int:
    """Write the long CSV of the consultation to a binary file, made by PostgreSQL; returns the data rows.

    The bytes are those of exports.write_csv(answers_for_export(...), comments=comments_for_export(...)).
    """
    check_profile(profile)
    if not supports_copy():
        raise NotImplementedError("The COPY export needs PostgreSQL with psycopg 3; use exports.write_csv.")
    statement = f"COPY ({long_csv_select(consultation, profile=profile)}) TO STDOUT WITH {copy_options()}"
    lines = -1  # the first line is the header
    block: list[memoryview] = []
    size = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in copy:
            # Each row arrives on its own, ending in LF: drop it here, the join puts CRLF back.
            block.append(row[:-1])
            size += len(row)
            if size >= BLOCK_BYTES:
                block.append(b"")
                fh.write(b"\r\n".join(block))
                lines += len(block) - 1
                block, size = [], 0
    if block:
        block.append(b"")
        fh.write(b"\r\n".join(block))
        lines += len(block) - 1
    return lines
