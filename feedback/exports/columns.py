"""The export columns, profiles, shapes, formats and markers (a leaf: docs/EXPORTS.md documents them), and
the formula guard every exported cell goes through."""

import re

from django.utils.translation import gettext_lazy as _

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
    # Comments only (empty for answers): where in the draft, what it quotes, ISO type, the proposed change.
    "version",
    "anchor",
    "quote",
    "comment_type",
    "proposed_change",
    # Rapporteur notes only (empty for the rest): the kind of note (RapporteurNote.Kind), as its code.
    "note_kind",
]


# The comment sheet: one row per comment, laid out like the ISO/IEC commenting template.
SHEET_COLUMNS = [
    "participant",
    "organisation",
    "resource",
    "version",
    "clause",
    "paragraph",
    "quote",
    "comment_type",
    "comment",
    "proposed_change",
    "observations",
    "disposition",
    # Appended: the paragraphs of later versions that address the comment, each with its redline as text
    # ("v2, 3.2 ¶4: [-old-]{+new+}"); a sheet read back in ignores it.
    "addressed_in",
]


# The comment sheet's columns that are read back in (organising/comment_sheet.py), in the sheet's order: all
# but the organisers' (organisation as the profile shows it, observations, disposition, addressed_in). A blank
# sheet has these, then the draft's words for reference (not read back in).
SHEET_ORGANISER_COLUMNS = ("organisation", "observations", "disposition", "addressed_in")
SHEET_READ_COLUMNS = tuple(name for name in SHEET_COLUMNS if name not in SHEET_ORGANISER_COLUMNS)
# What the participant writes in a row; a row with none of these is a place in the draft left uncommented.
SHEET_WRITTEN_COLUMNS = ("quote", "comment_type", "comment", "proposed_change")


# The ISO/IEC template's codes for the types of comment (Comment.Kind).
COMMENT_TYPE_CODES = {"general": "ge", "technical": "te", "editorial": "ed"}


HIDDEN_MARKER = _("[hidden by moderator]")


NOT_QUOTED_MARKER = _("[not to be quoted]")


# Characters with which a spreadsheet starts a formula (or, for tab/CR/LF, lets one slip past a naive check).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


# A formula sign right after a character a spreadsheet may split a line on (comma, semicolon, tab), past white
# space and quotes: Excel set to French or Spanish splits on ";" and would run the "=1+1" of "x;=1+1;y". The same pattern
# (a PostgreSQL ARE as well as a Python one) runs in the COPY path, exports/postgres.py.
AFTER_SEPARATOR = r'([,;\t][ \t\r\n"]*)(?=[=+@-])'
AFTER_SEPARATOR_RE = re.compile(AFTER_SEPARATOR)


def formula_safe(value: str) -> str:
    """The cell text, with ' before anything a spreadsheet would evaluate as a formula: at the start of the
    cell, and after any separator a spreadsheet might split the cell on."""
    value = AFTER_SEPARATOR_RE.sub(r"\1'", value)
    if value.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# Figures about fewer participants than this are suppressed wherever groups are compared (the comparison
# across the series, the acceptance figures), so that no one can be singled out.
MIN_GROUP_SIZE = 5


def is_small_group(participants: int) -> bool:
    return participants < MIN_GROUP_SIZE


def check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"Unknown export profile {profile!r}; choose one of {', '.join(PROFILES)}.")


# Filters, shapes and formats shared by the admin export page, the admin actions and the command.

SHAPES = ("long", "wide", "comments", "acceptance")


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


# live_points and notes count the participant's part in the meeting's record (a note counts for the participant
# it is attributed to); the long shape has their words.
WIDE_TAIL_COLUMNS = ["comments", "hidden", "redacted", "language", "live_points", "notes"]


BOM = "\ufeff"
