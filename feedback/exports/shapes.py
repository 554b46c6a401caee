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
title and the section heading (empty for a comment on the whole resource), and the comment text as the answer;
the last columns say which version, where ("3.2 ¶4"), which quoted passage, the ISO type and the proposed change.
The ``comments`` shape is the comment sheet: one row per comment, laid out as the ISO/IEC commenting template.

The meeting's record follows the comments (docs/EXPORTS.md): live points (item_type "live") under their
participant's quotation choice, exactly as answers; then rapporteur notes (item_type "spoken"): a note attributed
to a participant follows that participant's choice, an unattributed one names nobody (participant and
organisation empty), one of the organisers reads "organisers" as participant; neither is withheld, as no
participant's choice applies. Both carry the agenda item's guiding question (if any) and, in ``section``, the
agenda item's title; ``submitted_at`` is when the point or note was written. Rehearsals are left out unless an
organiser kept them.

In every profile organisation type and country are exported as codes, and every cell a spreadsheet would run
as a formula is prefixed with ``'``. A moderator's redaction replaces the participant's words in every profile
(the original stays in the database for the audit trail), and the ``redacted`` column says "yes" where it did;
``themes`` lists the theme codes the item was tagged with, in code order, joined by "; ".
"""

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet

from feedback.exports.acceptance import (
    ACCEPTANCE_COLUMNS,
    ResourceAcceptance,
    acceptance,
    acceptance_rows,
)
from feedback.exports.columns import (
    COMMENT_TYPE_CODES,
    HIDDEN_MARKER,
    LONG_COLUMNS,
    NOT_QUOTED_MARKER,
    SHAPES,
    SHEET_COLUMNS,
    WIDE_HEAD_COLUMNS,
    WIDE_TAIL_COLUMNS,
    check_profile,
    formula_safe,
)
from feedback.models import (
    NOT_BLANK_RE,
    Answer,
    Comment,
    CommentChange,
    Consultation,
    LivePoint,
    Participant,
    Question,
    RapporteurNote,
)

EXPORT_RELATED = ("question__resource", "response__participant__consultation")


COMMENT_EXPORT_RELATED = (
    "resource",
    "section",
    "version",
    "paragraph",
    "response__participant__consultation",
)


def answers_for_export(consultation: Consultation) -> QuerySet[Answer]:
    """The non-empty answers of the consultation's submitted responses, in export order."""
    return (
        Answer.objects.filter(response__participant__consultation=consultation)
        .exclude(response__participant__is_erased=True)
        .submitted()
        .non_empty()
        .for_export()
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


def _answer_text(answer: Answer | Comment, profile: str, participant: Participant | None = None) -> str:
    """The answer cell; `participant` is whose quotation choice applies (by default the answer's author)."""
    if profile == "identified":
        return answer.shown_value()
    if answer.status == Answer.Status.HIDDEN:
        return str(HIDDEN_MARKER)
    participant = participant or answer.response.participant
    if profile == "chatham-house" and participant.attribution not in Participant.QUOTABLE:
        # Not to be quoted, or never chose: withhold the words rather than guess consent.
        return str(NOT_QUOTED_MARKER)
    return answer.shown_value()


def _proposed_change(comment: Comment, profile: str) -> str:
    """The proposed change (redactions applied), withheld as the comment is when hidden or not to be quoted;
    empty stays empty."""
    if not comment.proposed_change:
        return ""
    if profile == "identified":
        return comment.shown_proposed_change()
    if comment.status == Comment.Status.HIDDEN:
        return str(HIDDEN_MARKER)
    if profile == "chatham-house" and comment.response.participant.attribution not in Participant.QUOTABLE:
        return str(NOT_QUOTED_MARKER)
    return comment.shown_proposed_change()


def anchor_label(comment: Comment) -> str:
    """Where the comment points, as readers cite it: "3.2 ¶4", "3.2", or empty for the whole resource.
    From the joined section and paragraph: Comment.place would read each paragraph's section again."""
    if comment.section is None:
        return ""
    if comment.paragraph is None:
        return comment.section.label
    return f"{comment.section.label} ¶{comment.paragraph.number}"


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
        "",
        "",
        "",
        "",
        "",
        "",
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
        str(comment.version.number),
        anchor_label(comment),
        comment.quote,
        COMMENT_TYPE_CODES.get(comment.kind, comment.kind),
        _proposed_change(comment, profile),
        "",
    ]
    return cells


def sheet_cells(comment: Comment, *, profile: str) -> list[str]:
    """The comment's row of the comment sheet, cells in SHEET_COLUMNS order, as they are."""
    name, organisation = _who(comment.response.participant, profile)
    return [
        name,
        organisation,
        comment.resource.title_en,
        str(comment.version.number),
        comment.section.label if comment.section else "",
        f"¶{comment.paragraph.number}" if comment.paragraph else "",
        comment.quote,
        COMMENT_TYPE_CODES.get(comment.kind, comment.kind),
        _answer_text(comment, profile),
        _proposed_change(comment, profile),
        comment.organiser_reply,
        comment.disposition,
        addressed_in_text(comment),
    ]


def addressed_in_text(comment: Comment) -> str:
    """ "v2, 3.2 ¶4: redline" for each paragraph that addresses the comment (prefetch `changes`)."""
    return "\n".join(f"{change.label}: {change.redline_text()}" for change in comment.changes.all())


def in_sheet_order(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    """Comments as the sheet lists them: by resource, then where in it (as the draft reads), oldest first."""
    changes = CommentChange.objects.select_related("paragraph__section__version")
    return (
        comments.select_related(*COMMENT_EXPORT_RELATED)
        .prefetch_related(Prefetch("changes", queryset=changes))
        .order_by(
            "resource__title_en",
            "resource_id",
            "version__number",
            F("section__position").asc(nulls_first=True),
            F("paragraph__number").asc(nulls_first=True),
            F("quote_start").asc(nulls_first=True),
            "id",
        )
    )


# The meeting's record: live points and rapporteur notes


LIVE_EXPORT_RELATED = ("participant__consultation", "agenda_item__question")


NOTE_EXPORT_RELATED = ("participant", "agenda_item__consultation", "agenda_item__question")


# Who a note that names no participant speaks for, as the participant cell says it in every profile.
ORGANISERS_CELL = "organisers"


def live_points_for_export(consultation: Consultation) -> QuerySet[LivePoint]:
    """The consultation's non-empty live points of the meeting (not of a rehearsal), in export order."""
    return (
        LivePoint.objects.filter(participant__consultation=consultation, is_rehearsal=False)
        .exclude(participant__is_erased=True)
        .filter(text__regex=NOT_BLANK_RE)
        .order_by("participant_id", "agenda_item__position", "id")
    )


def notes_for_export(consultation: Consultation) -> QuerySet[RapporteurNote]:
    """The consultation's non-empty rapporteur notes of the meeting (not of a rehearsal), in export order."""
    return (
        RapporteurNote.objects.filter(agenda_item__consultation=consultation, is_rehearsal=False)
        .exclude(participant__is_erased=True)
        .filter(text__regex=NOT_BLANK_RE)
        .order_by("agenda_item__position", "id")
    )


def _speaker(note: RapporteurNote) -> Participant:
    """Whose quotation choice a note follows: its participant's, or a stand-in that is quoted without a name."""
    if note.participant_id is not None:
        return note.participant
    label = ORGANISERS_CELL if note.speaker == RapporteurNote.Speaker.ORGANISERS else ""
    return Participant(name=label, pseudonym=label, attribution=Participant.Attribution.UNATTRIBUTED)


def meeting_cells(item: LivePoint | RapporteurNote, *, profile: str) -> list[str]:
    """A live point's or rapporteur note's long-format cells as they are (JSON); meeting_row makes them safe."""
    is_live = isinstance(item, LivePoint)
    participant = item.participant if is_live else _speaker(item)
    agenda_item = item.agenda_item
    question = agenda_item.question
    name, organisation = _who(participant, profile)
    return [
        agenda_item.consultation.slug if not is_live else participant.consultation.slug,
        name,
        organisation,
        participant.organisation_type,
        participant.country.code or "",
        "live" if is_live else "spoken",
        str(question.number) if question else "",
        question.text_en if question else "",
        "",
        agenda_item.title_en,
        _answer_text(item, profile, participant),
        item.status,
        _themes(item),
        _iso_utc(item.created_at),
        participant.attribution,
        _iso_utc(item.updated_at),
        "yes" if item.is_redacted else "",
        item.language,
        # No place in a draft: version, anchor, quote, comment_type, proposed_change.
        "",
        "",
        "",
        "",
        "",
        "" if is_live else item.kind,
    ]


def meeting_row(item: LivePoint | RapporteurNote, *, profile: str) -> list[str]:
    return [formula_safe(cell) for cell in meeting_cells(item, profile=profile)]


def _meeting_rows(
    live_points: QuerySet[LivePoint] | None,
    notes: QuerySet[RapporteurNote] | None,
    profile: str,
    *,
    safe: bool,
) -> Iterator[list[str]]:
    out = meeting_row if safe else meeting_cells
    if live_points is not None:
        rows = live_points.select_related(*LIVE_EXPORT_RELATED).prefetch_related("themes")
        for point in rows.iterator(chunk_size=2000):
            yield out(point, profile=profile)
    if notes is not None:
        rows = notes.select_related(*NOTE_EXPORT_RELATED).prefetch_related("themes")
        for note in rows.iterator(chunk_size=2000):
            yield out(note, profile=profile)


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
    answers: QuerySet[Answer],
    profile: str,
    comments: QuerySet[Comment] | None = None,
    *,
    safe: bool = True,
    live_points: QuerySet[LivePoint] | None = None,
    notes: QuerySet[RapporteurNote] | None = None,
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
    yield from _meeting_rows(live_points, notes, profile, safe=safe)


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

    def _common(
        self,
        items: QuerySet[Any],
        *,
        participant: str = "response__participant__",
        submitted_at: str = "response__submitted_at",
    ) -> QuerySet[Any]:
        """The filters every kind of item shares; `participant` and `submitted_at` say where the item keeps its
        author and its time (an answer through its response, a live point or note on itself)."""
        if self.statuses:
            items = items.filter(status__in=self.statuses)
        if self.themes:
            # A subquery rather than a join, so an item tagged with two chosen themes is still one row.
            items = items.filter(pk__in=items.model.objects.filter(themes__code__in=self.themes).values("pk"))
        if self.organisation_types:
            items = items.filter(**{f"{participant}organisation_type__in": self.organisation_types})
        if self.countries:
            items = items.filter(**{f"{participant}country__in": self.countries})
        if self.submitted_from:
            items = items.filter(**{f"{submitted_at}__date__gte": self.submitted_from})
        if self.submitted_to:
            items = items.filter(**{f"{submitted_at}__date__lte": self.submitted_to})
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

    def live_points(self, points: QuerySet[LivePoint]) -> QuerySet[LivePoint]:
        """Live points as answers: by the question of their agenda item; none when resources are asked for."""
        return self._meeting(points)

    def notes(self, notes: QuerySet[RapporteurNote]) -> QuerySet[RapporteurNote]:
        return self._meeting(notes)

    def _meeting(self, items: QuerySet[Any]) -> QuerySet[Any]:
        if self.resources:
            return items.none()
        items = self._common(items, participant="participant__", submitted_at="created_at")
        if self.questions:
            items = items.filter(agenda_item__question__number__in=self.questions)
        return items

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
    # The meeting's record (long shape only).
    live_points: QuerySet[LivePoint] | None = None
    notes: QuerySet[RapporteurNote] | None = None

    def __post_init__(self) -> None:
        check_profile(self.profile)
        if self.shape not in SHAPES:
            raise ValueError(f"Unknown export shape {self.shape!r}; choose one of {', '.join(SHAPES)}.")
        if self.shape == "wide" and self.consultation is None:
            raise ValueError("The wide shape needs the consultation whose questions make its columns.")
        if self.shape == "acceptance" and self.consultation is None:
            raise ValueError("The acceptance shape needs the consultation whose resources make its rows.")
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
        # The comment sheet holds comments only; the acceptance figures count comments themselves.
        answers = (
            Answer.objects.none() if shape in ("comments", "acceptance") else answers_for_export(consultation)
        )
        return cls(
            answers=filters.answers(answers),
            comments=filters.comments(comments_for_export(consultation)),
            profile=profile,
            shape=shape,
            consultation=consultation,
            filters=filters,
            is_whole_consultation=filters == ExportFilters(),
            live_points=filters.live_points(live_points_for_export(consultation)),
            notes=filters.notes(notes_for_export(consultation)),
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
        if self.shape == "comments":
            return list(SHEET_COLUMNS)
        if self.shape == "acceptance":
            return list(ACCEPTANCE_COLUMNS)
        return [*WIDE_HEAD_COLUMNS, *(f"q{number}" for number in self.question_numbers()), *WIDE_TAIL_COLUMNS]

    def participants(self) -> QuerySet[Participant]:
        """The wide shape's rows: every participant with at least one exported answer, comment, live point or
        note attributed to them."""
        has_items = Q(pk__in=self.answers.order_by().values("response__participant_id"))
        if self.comments is not None:
            has_items |= Q(pk__in=self.comments.order_by().values("response__participant_id"))
        has_items |= self._meeting_participants()
        return Participant.objects.filter(has_items).select_related("response").order_by("pk")

    # The meeting's record in the wide shape: counts per participant, as for comments.

    def _meeting_sources(self) -> list[QuerySet[Any]]:
        return [items for items in (self.live_points, self.notes) if items is not None]

    def _meeting_participants(self) -> Q:
        has_items = Q(pk__in=[])
        for items in self._meeting_sources():
            has_items |= Q(pk__in=items.filter(participant__isnull=False).order_by().values("participant_id"))
        return has_items

    def _meeting_counts(self, items: QuerySet[Any] | None) -> dict[int, int]:
        """How many of `items` (live points or notes) each participant has, by participant id; one query."""
        if items is None:
            return {}
        return dict(
            items.filter(participant__isnull=False)
            .order_by()
            .values("participant_id")
            .annotate(n=Count("pk"))
            .values_list("participant_id", "n")
        )

    def counts(self) -> dict[str, int]:
        """How many answers, comments and rows the export holds: what the export page shows before download."""
        if self.shape == "acceptance":
            return self._acceptance_counts()
        answers = self.answers.count()
        comments = self.comments.count() if self.comments is not None else 0
        # The comment sheet has no place for the meeting's record; the wide shape counts it per participant.
        with_meeting = self.shape != "comments"
        meeting = {
            "live_points": self.live_points.count() if with_meeting and self.live_points is not None else 0,
            "notes": self.notes.count() if with_meeting and self.notes is not None else 0,
        }
        if self.shape == "wide":
            rows = self.participants().count()
        else:
            rows = answers + comments + meeting["live_points"] + meeting["notes"]
        return {"answers": answers, "comments": comments, "rows": rows, **meeting}

    def rows(self, *, safe: bool = True) -> Iterator[list[str]]:
        """The data rows in column order; `safe` makes formula-like cells inert (CSV, XLSX), JSON keeps them."""
        self.row_count = 0
        if self.shape == "long":
            source = _long_rows(
                self.answers,
                self.profile,
                self.comments,
                safe=safe,
                live_points=self.live_points,
                notes=self.notes,
            )
        elif self.shape == "comments":
            source = self._sheet_rows(safe=safe)
        elif self.shape == "acceptance":
            source = self._acceptance_rows(safe=safe)
        else:
            source = self._wide_rows(safe=safe)
        for row in source:
            self.row_count += 1
            yield row

    def _sheet_rows(self, *, safe: bool) -> Iterator[list[str]]:
        if self.comments is None:
            return
        for comment in in_sheet_order(self.comments).iterator(chunk_size=2000):
            cells = sheet_cells(comment, profile=self.profile)
            yield [formula_safe(cell) for cell in cells] if safe else cells

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
        live_counts = self._meeting_counts(self.live_points)
        note_counts = self._meeting_counts(self.notes)
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
            # Someone who only took part in the meeting may have no response.
            response = getattr(participant, "response", None)
            row = [
                name,
                organisation,
                participant.organisation_type,
                participant.country.code or "",
                participant.attribution,
                _iso_utc(response.submitted_at if response else None),
                *cells,
                str(comment_counts.get(participant.pk, 0)),
                "; ".join(hidden),
                "; ".join(redacted),
                "; ".join(languages),
                str(live_counts.get(participant.pk, 0)),
                str(note_counts.get(participant.pk, 0)),
            ]
            yield [formula_safe(cell) for cell in row] if safe else row

    # The acceptance shape (exports/acceptance.py): figures only, in every profile; suppressed small groups in
    # every profile but identified.

    def _acceptance(self) -> list[ResourceAcceptance]:
        results = acceptance(
            self.consultation, suppress=self.profile != "identified", narrow=self.filters.comments
        )
        if self.filters.resources:
            results = [item for item in results if item.resource.pk in self.filters.resources]
        return results

    def _acceptance_rows(self, *, safe: bool) -> Iterator[list[str]]:
        for row in acceptance_rows(self._acceptance()):
            yield [formula_safe(cell) for cell in row] if safe else row

    def _acceptance_counts(self) -> dict[str, int]:
        results = self._acceptance()
        rows = sum(len(group.rounds) + 1 for item in results for group in item.groups)
        # The comments whose figures are shown; a suppressed group's are not counted here either.
        comments = sum(group.figures.comments for item in results for group in item.groups)
        return {"answers": 0, "comments": comments, "rows": rows, "live_points": 0, "notes": 0}
