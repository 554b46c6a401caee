"""Numbers behind the staff dashboard: response rates, per-question summaries, theme counts and charts."""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Length
from django.utils.translation import gettext_lazy as _

from feedback.models import (
    NOT_BLANK_ANSWER,
    YES_NO_OPTIONS,
    AgendaItem,
    Answer,
    Attendance,
    Comment,
    Consultation,
    ConsultationResource,
    LivePoint,
    Moderated,
    Participant,
    Question,
    RapporteurNote,
    Response,
)

# Dashboard
#
# Every function below runs a fixed number of queries whatever the number of participants: counts, sums and
# groupings happen in the database. One exception reads one column per answer through an iterator, because
# neither database can do it portably: the JSON lists of multiple-choice answers (each selection counts once).
# Medians of text lengths come from counts per length (at most one row per question and length).
#
# The summaries count the non-empty answers of submitted responses; answers a moderator hid are left out.

SCALE_VALUES = ["1", "2", "3", "4", "5"]


YES_NO_LABELS = dict(YES_NO_OPTIONS)


YES_NO_VALUES = list(YES_NO_LABELS)


LATEST_MODERATED = 10


SINGLE_VALUE_KINDS = (Question.Kind.SCALE, Question.Kind.SINGLE_CHOICE, Question.Kind.YES_NO)


@dataclass
class Chart:
    """A bar chart and the table that carries the same numbers: `rows` pairs each label with its values."""

    dom_id: str
    title: str
    labels: list[str]
    series: list[tuple[str, list[int]]]
    horizontal: bool = False

    @property
    def config(self) -> dict[str, Any]:
        """What static/js/charts.js draws, rendered with json_script."""
        return {
            "title": str(self.title),
            "labels": [str(label) for label in self.labels],
            "series": [{"label": str(label), "data": data} for label, data in self.series],
            "horizontal": self.horizontal,
        }

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        return [(label, [data[i] for _label, data in self.series]) for i, label in enumerate(self.labels)]


@dataclass
class QuestionSummary:
    question: Question
    count: int = 0
    chart: Chart | None = None
    mean: float | None = None
    sd: float | None = None
    median_length: float | None = None


@dataclass
class ThemeMatrix:
    questions: list[Question]
    # (theme code, theme name, counts per question in `questions` order, row total)
    rows: list[tuple[str, str, list[int], int]] = field(default_factory=list)
    column_totals: list[int] = field(default_factory=list)
    total: int = 0


def shown_answers(consultation: Consultation) -> QuerySet[Answer]:
    """The answers of submitted responses that a moderator has not hidden, blank ones included."""
    return (
        Answer.objects.filter(question__consultation=consultation)
        .submitted()
        .exclude(response__participant__is_erased=True)
        .exclude(status=Moderated.Status.HIDDEN)
    )


def counted_answers(consultation: Consultation) -> QuerySet[Answer]:
    return Answer.objects.filter(question__consultation=consultation).counted()


def counted_comments(consultation: Consultation) -> QuerySet[Comment]:
    return Comment.objects.filter(response__participant__consultation=consultation).counted()


def response_state_counts() -> dict[str, Any]:
    """Aggregates over participants that mirror Participant.invitation_state(), one count per state."""
    submitted = Q(response__status=Response.Status.SUBMITTED)
    edited = Q(response__status=Response.Status.DRAFT, response__last_edited_at__isnull=False)
    opened = Q(first_opened_at__isnull=False) | Q(response__isnull=False)
    return {
        "participants": Count("pk"),
        "invited": Count("pk", filter=Q(invited_at__isnull=False) | opened),
        "opened": Count("pk", filter=opened),
        "draft": Count("pk", filter=edited),
        "submitted": Count("pk", filter=submitted),
    }


def response_rate(consultation: Consultation) -> dict[str, Any]:
    """Invited / opened / draft / submitted, where each step counts everyone who got at least that far,
    except `draft`, which counts those with a draft not yet submitted. One query."""
    counts = Participant.objects.filter(consultation=consultation).aggregate(**response_state_counts())
    invited = counts["invited"]
    counts["submitted_share"] = counts["submitted"] / invited if invited else None
    counts["chart"] = Chart(
        dom_id="chart-response-rate",
        title=_("Participants at each stage"),
        labels=[_("Invited"), _("Opened the invitation"), _("Draft in progress"), _("Submitted")],
        series=[
            (_("Participants"), [invited, counts["opened"], counts["draft"], counts["submitted"]]),
        ],
        horizontal=True,
    )
    return counts


def consultations_with_rates() -> QuerySet[Consultation]:
    """Every consultation with its participant counts by state, for the analysis index. One query."""
    submitted = Q(participants__response__status=Response.Status.SUBMITTED)
    opened = Q(participants__first_opened_at__isnull=False) | Q(participants__response__isnull=False)
    return Consultation.objects.annotate(
        participant_count=Count("participants", distinct=True),
        invited_count=Count(
            "participants", filter=Q(participants__invited_at__isnull=False) | opened, distinct=True
        ),
        submitted_count=Count("participants", filter=submitted, distinct=True),
    ).order_by("-opens_at")


def mean_and_sd(distribution: dict[str, int]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (n - 1) of a 1-5 distribution; None where undefined."""
    n = sum(distribution.values())
    if n == 0:
        return None, None
    mean = sum(int(value) * count for value, count in distribution.items()) / n
    if n < 2:
        return mean, None
    squares = sum(count * (int(value) - mean) ** 2 for value, count in distribution.items())
    return mean, math.sqrt(squares / (n - 1))


def median(counts: Counter) -> float | None:
    """The median of values given as {value: how many times}; the mean of the two middle ones for an even total."""
    total = sum(counts.values())
    if total == 0:
        return None
    below_middle, middle = (total - 1) // 2, total // 2  # ranks, from 0, of the middle value or values
    seen = 0
    low = None
    for value in sorted(counts):
        seen += counts[value]
        if low is None and seen > below_middle:
            low = value
        if seen > middle:
            return (low + value) / 2
    raise AssertionError("unreachable: the ranks are below the total")


def question_summaries(consultation: Consultation) -> list[QuestionSummary]:
    """One summary per question, in number order. At most three queries whatever the number of answers."""
    questions = list(consultation.questions.order_by("number"))
    answers = counted_answers(consultation)
    counts: dict[int, int] = defaultdict(int)
    first_values: dict[int, Counter] = defaultdict(Counter)
    lengths: dict[int, Counter] = defaultdict(Counter)
    # The first selected value is the whole answer for scale, single choice and yes/no questions; text answers
    # select nothing, and are counted per length, for the median. One pass, grouped by hashing: PostgreSQL's
    # PERCENTILE_CONT needed every answer sorted with its text (on disk, 300 ms at 100,000 answers) and SQLite
    # read every length into Python.
    grouped = (
        answers.order_by()
        .values("question_id", first=KT("selected__0"), length=Length("text"))
        .annotate(n=Count("pk"))
    )
    for row in grouped:
        question_id, first, n = row["question_id"], row["first"], row["n"]
        counts[question_id] += n
        if first is not None:
            first_values[question_id][str(first)] += n
        else:
            lengths[question_id][row["length"]] += n

    multiple = [q.pk for q in questions if q.kind == Question.Kind.MULTIPLE_CHOICE]
    selections: dict[int, Counter] = defaultdict(Counter)
    if multiple:
        rows = answers.filter(question_id__in=multiple).order_by().values_list("question_id", "selected")
        for question_id, selected in rows.iterator(chunk_size=2000):
            selections[question_id].update(str(choice) for choice in set(selected or []))

    summaries = []
    for question in questions:
        summary = QuestionSummary(question=question, count=counts[question.pk])
        dom_id = f"chart-q{question.number}"
        if question.kind == Question.Kind.SCALE:
            distribution = {value: first_values[question.pk][value] for value in SCALE_VALUES}
            summary.mean, summary.sd = mean_and_sd(distribution)
            low = question.scale_min_label
            high = question.scale_max_label
            labels = [
                f"1 – {low}" if low else "1",
                "2",
                "3",
                "4",
                f"5 – {high}" if high else "5",
            ]
            summary.chart = Chart(
                dom_id, question.text, labels, [(_("Answers"), list(distribution.values()))]
            )
        elif question.kind == Question.Kind.SINGLE_CHOICE:
            choices = question.choice_list()
            data = [first_values[question.pk][choice] for choice in choices]
            summary.chart = Chart(dom_id, question.text, choices, [(_("Answers"), data)], horizontal=True)
        elif question.kind == Question.Kind.MULTIPLE_CHOICE:
            choices = question.choice_list()
            data = [selections[question.pk][choice] for choice in choices]
            summary.chart = Chart(dom_id, question.text, choices, [(_("Selections"), data)], horizontal=True)
        elif question.kind == Question.Kind.YES_NO:
            labels = [YES_NO_LABELS[value] for value in YES_NO_VALUES]
            data = [first_values[question.pk][value] for value in YES_NO_VALUES]
            summary.chart = Chart(dom_id, question.text, labels, [(_("Answers"), data)])
        else:
            summary.median_length = median(lengths[question.pk])
        summaries.append(summary)
    return summaries


def theme_filter(consultation: Consultation, prefix: str = "") -> Q:
    """Themes of the consultation's code book; any theme when it has none (tags may predate the choice)."""
    if consultation.codebook_id is None:
        return Q()
    return Q(**{f"{prefix}codebook_id": consultation.codebook_id})


def theme_matrix(consultation: Consultation, questions: list[Question]) -> ThemeMatrix:
    """Rows: the code book's themes that tag at least one counted answer; columns: questions. One query."""
    # From the answers' side: one pass over the answers (an answer carries a theme at most once), where filtering
    # the tags by `answer__in` read the answers twice, a third of the time at 100,000 answers. The test for blank
    # text is the count's FILTER, not the WHERE, so PostgreSQL reads the text of the tagged answers only, not of
    # every answer (80 to 50 ms at 100,000 answers, a tenth tagged); cells of blank answers only count 0.
    tags = (
        shown_answers(consultation)
        .filter(theme_filter(consultation, "themes__"), themes__isnull=False)
        .order_by()
        .values("themes", "themes__code", "themes__name", "question_id")
        .annotate(n=Count("pk", filter=NOT_BLANK_ANSWER))
        .order_by("themes__code")
    )
    by_theme: dict[int, tuple[str, str, dict[int, int]]] = {}
    for row in (row for row in tags if row["n"]):
        code, name, cells = by_theme.setdefault(row["themes"], (row["themes__code"], row["themes__name"], {}))
        cells[row["question_id"]] = row["n"]
    matrix = ThemeMatrix(questions=questions)
    column_totals = [0] * len(questions)
    for code, name, cells in by_theme.values():
        counts = [cells.get(question.pk, 0) for question in questions]
        column_totals = [a + b for a, b in zip(column_totals, counts, strict=True)]
        matrix.rows.append((code, name, counts, sum(counts)))
    matrix.column_totals = column_totals
    matrix.total = sum(column_totals)
    return matrix


def theme_chart(matrix: ThemeMatrix) -> Chart:
    return Chart(
        "chart-themes",
        _("Answers per theme"),
        [f"{code} {name}" for code, name, _counts, _total in matrix.rows],
        [(_("Tagged answers"), [total for _code, _name, _counts, total in matrix.rows])],
        horizontal=True,
    )


def comments_per_resource(consultation: Consultation) -> Chart:
    """Counted comments on each of the consultation's resources by type (general, technical, editorial), in the
    consultation's order. Two queries."""
    counts = {
        (resource_id, kind): n
        for resource_id, kind, n in counted_comments(consultation)
        .order_by()
        .values("resource_id", "kind")
        .annotate(n=Count("pk"))
        .values_list("resource_id", "kind", "n")
    }
    links = ConsultationResource.objects.filter(consultation=consultation).select_related("resource")
    resources = [link.resource for link in links.order_by("position")]
    return Chart(
        "chart-comments-resources",
        _("Comments per resource, by type"),
        [str(resource) for resource in resources],
        [
            (label, [counts.get((resource.pk, kind), 0) for resource in resources])
            for kind, label in Comment.Kind.choices
        ],
        horizontal=True,
    )


def comments_per_theme(consultation: Consultation) -> Chart:
    """Counted comments tagged with each theme, in code order; themes without comments left out. One query."""
    rows = (
        Comment.themes.through.objects.filter(comment__in=counted_comments(consultation))
        .filter(theme_filter(consultation, "theme__"))
        .values("theme__code", "theme__name")
        .annotate(n=Count("pk"))
        .order_by("theme__code")
    )
    rows = list(rows)
    return Chart(
        "chart-comments-themes",
        _("Comments per theme"),
        [f"{row['theme__code']} {row['theme__name']}" for row in rows],
        [(_("Comments"), [row["n"] for row in rows])],
        horizontal=True,
    )


def latest_moderated(consultation: Consultation, limit: int = LATEST_MODERATED) -> list[Answer]:
    """The most recently approved answers of submitted responses, newest first. One query."""
    newest_first = (F("moderated_at").desc(nulls_last=True), "-pk")
    # The newest ids first, joined with nothing wide: sorting every approved answer with its question and
    # participant columns attached took twice as long at 100,000 answers.
    newest = (
        Answer.objects.filter(question__consultation=consultation, status=Moderated.Status.APPROVED)
        .submitted()
        .order_by(*newest_first)
        .values("pk")[:limit]
    )
    return list(
        Answer.objects.filter(pk__in=Subquery(newest))
        .select_related("question", "response__participant")
        .order_by(*newest_first)
    )


def dashboard(consultation: Consultation) -> dict[str, Any]:
    """Everything the dashboard shows, in ten queries whatever the number of participants."""
    summaries = question_summaries(consultation)
    questions = [summary.question for summary in summaries]
    matrix = theme_matrix(consultation, questions)
    return {
        "rate": response_rate(consultation),
        "summaries": summaries,
        "matrix": matrix,
        "theme_chart": theme_chart(matrix),
        "resource_chart": comments_per_resource(consultation),
        "comment_theme_chart": comments_per_theme(consultation),
        "latest": latest_moderated(consultation),
    }


# The meeting's record on the dashboard: how much was said per agenda item and guiding question, and who came.
# Counted as answers are: rehearsals, hidden items and erased participants left out.


@dataclass
class MeetingItemCounts:
    item: AgendaItem
    live_points: int
    notes: int


@dataclass
class MeetingAttendance:
    count: int
    # The organisations present that the reader may see; `unnamed` counts those present whose organisation the
    # reader's profile withholds.
    organisations: list[str]
    unnamed: int


def _counted_per_item(model: type[LivePoint] | type[RapporteurNote]) -> Coalesce:
    """The agenda item's counted live points or notes, as a subquery (no join that would multiply rows)."""
    counted = (
        model.objects.filter(agenda_item=OuterRef("pk"))
        .counted()
        .order_by()
        .values("agenda_item")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def meeting_counts(consultation: Consultation) -> list[MeetingItemCounts]:
    """Each agenda item, in order, with its guiding question and its counted live points and notes. One
    query."""
    items = (
        consultation.agenda_items.select_related("question")
        .annotate(point_count=_counted_per_item(LivePoint), note_count=_counted_per_item(RapporteurNote))
        .order_by("position")
    )
    return [
        MeetingItemCounts(item=item, live_points=item.point_count, notes=item.note_count) for item in items
    ]


def meeting_attendance(consultation: Consultation, *, identities: bool) -> MeetingAttendance:
    """Who was present at the meeting (not a rehearsal). Readers who see identities get every organisation;
    the others those of participants who allowed their organisation to be quoted, as the Chatham House export
    profile names them. One query."""
    present = Attendance.objects.filter(
        participant__consultation=consultation,
        participant__is_erased=False,
        is_rehearsal=False,
        is_present=True,
    ).values_list("participant__organisation", "participant__attribution")
    quoted = (Participant.Attribution.NAMED, Participant.Attribution.ORGANISATION)
    shown: set[str] = set()
    unnamed = 0
    count = 0
    for organisation, attribution in present:
        count += 1
        if organisation and (identities or attribution in quoted):
            shown.add(organisation)
        elif organisation:
            unnamed += 1
    return MeetingAttendance(count=count, organisations=sorted(shown, key=str.casefold), unnamed=unnamed)


def meeting_dashboard(consultation: Consultation, *, identities: bool) -> dict[str, Any]:
    """The dashboard's meeting section, in two queries."""
    return {
        "meeting_items": meeting_counts(consultation),
        "meeting_attendance": meeting_attendance(consultation, identities=identities),
    }
