"""Reports on a consultation's feedback: the insights report, the comment-resolution report per resource, the
comparison of a question or theme across the series, and publishing the insights report to participants.

Rules the pages state to their readers:

- Counts take every non-empty answer or comment of a submitted response, except those a moderator hid.
- Quotes are approved written answers (long or short text) and approved comments, in their redacted form
  where a moderator redacted them, newest first, at most ``QUOTES_PER_GROUP`` per question and per resource.
  Only participants who chose to be quoted appear: named ("Name, Organisation"), organisation only
  ("Organisation"), unattributed (a description of their kind of organisation). "Not to be quoted", or no
  choice recorded, is never quoted.
- Readers without the right to see identities (``feedback.view_participant``) see every quote unattributed.
- The comment-resolution report names commenters by pseudonym only; hidden comments are listed, marked as
  hidden, without their text.
- The comparison matches guiding questions across consultations by identical text, and themes by code; a
  stakeholder group with fewer than ``MIN_GROUP_SIZE`` participants is shown without any figures.
"""

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy

from feedback.exports.columns import (
    BOM,
    COMMENT_TYPE_CODES,
    HIDDEN_MARKER,
    formula_safe,
    is_small_group,
)
from feedback.exports.shapes import addressed_in_text
from feedback.models import (
    Answer,
    Comment,
    CommentChange,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    Response,
    Theme,
)

QUOTES_PER_GROUP = 5


# How an unattributed quote describes its author: by kind of organisation, never by name.
UNATTRIBUTED_LABELS = {
    Participant.OrganisationType.PROVIDER_LE_ONLY: gettext_lazy(
        "A technology provider (law enforcement clients only)"
    ),
    Participant.OrganisationType.PROVIDER_MIXED: gettext_lazy(
        "A technology provider (law enforcement among other clients)"
    ),
    Participant.OrganisationType.LAW_ENFORCEMENT: gettext_lazy("A participant from a law enforcement agency"),
    Participant.OrganisationType.INDUSTRY: gettext_lazy("A participant from industry"),
    Participant.OrganisationType.ACADEMIA: gettext_lazy("A participant from academia and research"),
    Participant.OrganisationType.JUDICIARY: gettext_lazy("A participant from the judiciary or prosecution"),
    Participant.OrganisationType.HUMAN_RIGHTS: gettext_lazy(
        "A participant from human rights and civil society"
    ),
    Participant.OrganisationType.INTERNATIONAL: gettext_lazy(
        "A participant from an international organisation"
    ),
}


UNATTRIBUTED_DEFAULT = gettext_lazy("A participant")


def unattributed_label(participant: Participant) -> str:
    return str(UNATTRIBUTED_LABELS.get(participant.organisation_type, UNATTRIBUTED_DEFAULT))


def attribution_for(participant: Participant, *, identities: bool) -> str | None:
    """How a quote by this participant is attributed, or None when they must not be quoted at all."""
    choice = participant.attribution
    if choice not in Participant.QUOTABLE:
        return None
    if identities and choice == Participant.Attribution.NAMED:
        return ", ".join(part for part in (participant.name, participant.organisation) if part)
    if identities and choice == Participant.Attribution.ORGANISATION and participant.organisation:
        return participant.organisation
    return unattributed_label(participant)


# The insights report


@dataclass
class Quote:
    text: str
    attributed_to: str


@dataclass
class QuestionInsights:
    question: Question
    answer_count: int = 0
    # (label, count) in the order the question offers its options; empty for written answers.
    distribution: list[tuple[str, int]] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class ResourceQuotes:
    resource: Resource
    comment_count: int = 0
    quotes: list[Quote] = field(default_factory=list)


@dataclass
class InsightsReport:
    consultation: Consultation
    questions: list[QuestionInsights]
    themes: list[Theme]  # annotated with answer_count and comment_count
    resources: list[ResourceQuotes]


def counted_answers(consultation: Consultation) -> QuerySet[Answer]:
    return Answer.objects.filter(response__participant__consultation=consultation).counted()


def counted_comments(consultation: Consultation) -> QuerySet[Comment]:
    return Comment.objects.filter(response__participant__consultation=consultation).counted()


def _newest_first_per(queryset: QuerySet, partition: str) -> QuerySet:
    # A window function keeps the cap in the database: the report reads at most QUOTES_PER_GROUP rows per group.
    return queryset.annotate(
        rank=Window(
            RowNumber(), partition_by=[F(partition)], order_by=[F("updated_at").desc(), F("id").desc()]
        )
    ).filter(rank__lte=QUOTES_PER_GROUP)


def _distribution(question: Question, counts: Counter) -> list[tuple[str, int]]:
    options = question.option_labels()
    known = {value for value, _label in options}
    rows = [(label, counts.get(value, 0)) for value, label in options]
    # Values no longer offered (an option renamed after answers came in) are still counted, after the rest.
    rows += [(value, count) for value, count in sorted(counts.items()) if value not in known]
    return rows


def insights_report(consultation: Consultation, *, identities: bool) -> InsightsReport:
    """Everything the insights report shows, in a fixed number of queries whatever the number of answers."""
    # With the organisers' summary of each question (the meeting's record), in the same query.
    questions = list(consultation.questions.select_related("summary"))
    answers = counted_answers(consultation)
    answer_counts = dict(answers.values_list("question_id").annotate(n=Count("id")).order_by())
    choice_counts: dict[int, Counter] = defaultdict(Counter)
    for question_id, selected in answers.exclude(selected=[]).values_list("question_id", "selected"):
        choice_counts[question_id].update(str(value) for value in selected)

    quoted_answers = _newest_first_per(
        answers.filter(
            status=Answer.Status.APPROVED,
            question__kind__in=Question.TEXT_KINDS,
            response__participant__attribution__in=Participant.QUOTABLE,
        ).select_related("response__participant"),
        "question_id",
    ).order_by("question_id", "rank")
    quotes: dict[int, list[Quote]] = defaultdict(list)
    for item in quoted_answers:
        quotes[item.question_id].append(_quote(item, identities=identities))

    summaries = [
        QuestionInsights(
            question=question,
            answer_count=answer_counts.get(question.pk, 0),
            distribution=_distribution(question, choice_counts[question.pk]),
            quotes=quotes[question.pk],
        )
        for question in questions
    ]

    comments = counted_comments(consultation)
    comment_counts = dict(comments.values_list("resource_id").annotate(n=Count("id")).order_by())
    quoted_comments = _newest_first_per(
        comments.filter(
            status=Comment.Status.APPROVED, response__participant__attribution__in=Participant.QUOTABLE
        ).select_related("response__participant"),
        "resource_id",
    ).order_by("resource_id", "rank")
    comment_quotes: dict[int, list[Quote]] = defaultdict(list)
    for item in quoted_comments:
        comment_quotes[item.resource_id].append(_quote(item, identities=identities))
    resources = [
        ResourceQuotes(
            resource=resource,
            comment_count=comment_counts.get(resource.pk, 0),
            quotes=comment_quotes[resource.pk],
        )
        for resource in consultation.resources.order_by("consultation_links__position")
    ]
    return InsightsReport(
        consultation=consultation,
        questions=summaries,
        themes=theme_counts(consultation),
        resources=resources,
    )


def _quote(item: Answer | Comment, *, identities: bool) -> Quote:
    attributed_to = attribution_for(item.response.participant, identities=identities)
    # The queryset already keeps out those who may not be quoted; this guards the rule where it is applied,
    # as a raise rather than an assert, which `python -O` would strip.
    if attributed_to is None:
        raise ValueError("a participant who may not be quoted reached the quotes")
    return Quote(text=item.shown_value(), attributed_to=attributed_to)


def theme_counts(consultation: Consultation) -> list[Theme]:
    """The themes of the consultation's code book, each with the number of answers and comments tagged."""
    if consultation.codebook_id is None:
        return []
    in_answers = Q(
        answers__response__participant__consultation=consultation,
        answers__response__status=Response.Status.SUBMITTED,
    ) & ~Q(answers__status=Answer.Status.HIDDEN)
    in_comments = Q(
        comments__response__participant__consultation=consultation,
        comments__response__status=Response.Status.SUBMITTED,
    ) & ~Q(comments__status=Comment.Status.HIDDEN)
    return list(
        Theme.objects.filter(codebook_id=consultation.codebook_id)
        .annotate(
            answer_count=Count("answers", filter=in_answers, distinct=True),
            comment_count=Count("comments", filter=in_comments, distinct=True),
        )
        .order_by("code")
    )


INSIGHTS_COLUMNS = [
    "section",
    "question_no",
    "question_or_resource",
    "item",
    "count",
    "text",
    "attributed_to",
]


def insights_rows(report: InsightsReport) -> Iterator[list[str]]:
    """The insights report as CSV rows (no header), formula-safe."""
    yield ["summary", "", "", "", "", report.consultation.insights_summary, ""]
    for summary in report.questions:
        number, text = str(summary.question.number), summary.question.text
        yield ["question", number, text, "answers", str(summary.answer_count), "", ""]
        for label, count in summary.distribution:
            yield ["choice", number, text, label, str(count), "", ""]
        for quote in summary.quotes:
            yield ["quote", number, text, "", "", quote.text, quote.attributed_to]
    for theme in report.themes:
        yield ["theme", "", "", str(theme), str(theme.answer_count), "answers", ""]
        yield ["theme", "", "", str(theme), str(theme.comment_count), "comments", ""]
    for group in report.resources:
        title = group.resource.title
        yield ["resource", "", title, "comments", str(group.comment_count), "", ""]
        for quote in group.quotes:
            yield ["quote", "", title, "", "", quote.text, quote.attributed_to]


# The comment-resolution report


def resolution_comments(consultation: Consultation, resource: Resource) -> QuerySet[Comment]:
    """Every non-empty submitted comment of the consultation on the resource, in reading order."""
    return (
        Comment.objects.filter(response__participant__consultation=consultation, resource=resource)
        .submitted()
        .non_empty()
        .select_related("section", "version", "paragraph__section", "response__participant")
        .prefetch_related(
            Prefetch("changes", queryset=CommentChange.objects.select_related("paragraph__section__version"))
        )
        .order_by(
            "resource_id",
            "version__number",
            F("section__position").asc(nulls_first=True),
            F("paragraph__number").asc(nulls_first=True),
            F("quote_start").asc(nulls_first=True),
            "id",
        )
    )


RESOLUTION_COLUMNS = [
    "participant",
    "section",
    "status",
    "disposition",
    "organisers_reply",
    "comment",
    "version",
    "quote",
    "comment_type",
    "proposed_change",
    "addressed_in",
]


def resolution_text(comment: Comment) -> str:
    if comment.status == Comment.Status.HIDDEN:
        return str(HIDDEN_MARKER)
    return comment.shown_value()


def resolution_change(comment: Comment) -> str:
    """The proposed change (redactions applied), withheld like the comment when a moderator hid it."""
    if comment.status == Comment.Status.HIDDEN and comment.proposed_change:
        return str(HIDDEN_MARKER)
    return comment.shown_proposed_change()


def resolution_rows(comments: Iterable[Comment]) -> Iterator[list[str]]:
    for comment in comments:
        yield [
            comment.response.participant.pseudonym,
            comment.place,
            str(comment.get_status_display()),
            str(comment.get_disposition_display()) if comment.disposition else "",
            comment.organiser_reply,
            resolution_text(comment),
            str(comment.version.number),
            comment.quote,
            COMMENT_TYPE_CODES.get(comment.kind, comment.kind),
            resolution_change(comment),
            addressed_in_text(comment),
        ]


def csv_download(header: list[str], rows: Iterable[list[str]], *, filename: str) -> HttpResponse:
    """A CSV attachment that browsers and proxies neither keep nor reinterpret; every cell formula-safe."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Starts with the UTF-8 byte order mark, as the admin's exports do by default: Excel then reads it as UTF-8.
    response.write(BOM)
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([formula_safe(cell) for cell in row])
    return response


# Comparison across the series


@dataclass
class GroupFigures:
    stakeholder_group: str
    participants: int = 0
    answers: int = 0
    comments: int = 0
    themes: list[tuple[str, int]] = field(default_factory=list)  # (theme, count), most frequent first

    @property
    def is_suppressed(self) -> bool:
        return is_small_group(self.participants)


# Groups are compared by their English name, the one every consultation has, whatever the reader's language.
GROUP = "response__participant__consultation__stakeholder_group_en"


def compare_question(text: str) -> list[GroupFigures]:
    """Per stakeholder group, for the guiding questions with exactly this English text (the text every
    consultation has, whatever language the analyst reads): participants who answered, answers, and the themes
    those answers were tagged with."""
    groups = sorted(
        set(
            Question.objects.filter(text_en=text).values_list("consultation__stakeholder_group_en", flat=True)
        )
    )
    answers = Answer.objects.filter(question__text_en=text).counted()
    figures = {group: GroupFigures(stakeholder_group=group) for group in groups}
    for group, participants, count in (
        answers.values_list(GROUP)
        .annotate(p=Count("response__participant", distinct=True), n=Count("id"))
        .order_by()
    ):
        figures[group].participants, figures[group].answers = participants, count
    tags = (
        Answer.themes.through.objects.filter(answer__in=answers)
        .values_list(f"answer__{GROUP}", "theme__code", "theme__name")
        .annotate(n=Count("answer_id", distinct=True))
        .order_by()
    )
    for group, code, name, count in tags:
        figures[group].themes.append((f"{code} {name}", count))
    return _finish(figures)


def compare_theme(code: str) -> list[GroupFigures]:
    """Per stakeholder group, for the themes with this code: participants whose input was tagged with it,
    and the answers and comments tagged."""
    groups = sorted(
        set(
            Consultation.objects.filter(codebook__themes__code=code).values_list(
                "stakeholder_group_en", flat=True
            )
        )
    )
    figures = {group: GroupFigures(stakeholder_group=group) for group in groups}
    people: dict[str, set[int]] = defaultdict(set)
    for model, attr in ((Answer, "answers"), (Comment, "comments")):
        tagged = model.objects.filter(themes__code=code).counted()
        for group, participant_id in tagged.values_list(GROUP, "response__participant_id").distinct():
            people[group].add(participant_id)
        for group, count in tagged.values_list(GROUP).annotate(n=Count("id", distinct=True)).order_by():
            figures.setdefault(group, GroupFigures(stakeholder_group=group))
            setattr(figures[group], attr, count)
    for group, ids in people.items():
        figures[group].participants = len(ids)
    return _finish(figures)


def _finish(figures: dict[str, GroupFigures]) -> list[GroupFigures]:
    rows = [figures[group] for group in sorted(figures)]
    for row in rows:
        row.themes.sort(key=lambda pair: (-pair[1], pair[0]))
        if row.is_suppressed:
            # Blank every figure, not only the display: a suppressed group's numbers never leave this module.
            row.participants = row.answers = row.comments = 0
            row.themes = []
    return rows


# The rounds of the series


@dataclass
class RoundResource:
    """A resource a round uses, and the version its participants read: the one chosen for the round, or the
    newest (`follows_newest`) when none was chosen."""

    resource: Resource
    version: int | None
    follows_newest: bool


def rounds() -> list[tuple[Consultation, list[RoundResource]]]:
    """Every consultation of the series as a round, oldest first, with the version of each resource it uses.
    Three queries."""
    links = ConsultationResource.objects.select_related("resource", "version").order_by("position")
    newest = dict(Resource.objects.annotate(n=Max("versions__number")).values_list("pk", "n"))
    return [
        (
            consultation,
            [
                RoundResource(
                    link.resource,
                    link.version.number if link.version_id else newest.get(link.resource_id),
                    link.version_id is None,
                )
                for link in consultation.resource_links.all()
            ],
        )
        for consultation in Consultation.objects.order_by("opens_at", "pk").prefetch_related(
            Prefetch("resource_links", queryset=links)
        )
    ]
