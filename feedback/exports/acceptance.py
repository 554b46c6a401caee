"""Acceptance: what became of the comments on a consultation's resources, per stakeholder group and per round of
the series (each consultation that used the resource is a round): comments accepted, partly accepted, not
accepted or noted, linked to a change, and the participants' satisfied / not satisfied. Groups and rounds with
fewer than MIN_GROUP_SIZE participants are suppressed (docs/EXPORTS.md)."""

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from feedback.exports.columns import MIN_GROUP_SIZE, is_small_group
from feedback.models import Comment, Consultation, ConsultationResource, Resource

# Comments are counted per round, i.e. per consultation; rounds are then grouped by the English name of their
# stakeholder group, as the comparison across the series groups them.
ROUND = "response__participant__consultation"


@dataclass
class Figures:
    """Counted comments (CommentQuerySet.counted) of one group or round on one resource."""

    participants: int = 0  # who made at least one of the comments
    comments: int = 0
    accepted: int = 0
    partly_accepted: int = 0
    not_accepted: int = 0
    noted: int = 0
    linked: int = 0  # linked to a paragraph of a later version that addresses them
    satisfied: int = 0
    not_satisfied: int = 0
    is_suppressed: bool = False

    COUNTS = ("participants", "comments", *Comment.Disposition.values, "linked", "satisfied", "not_satisfied")

    @property
    def undecided(self) -> int:
        """Comments with no disposition recorded yet."""
        return self.comments - self.accepted - self.partly_accepted - self.not_accepted - self.noted

    @property
    def in_order(self) -> list[int]:
        """The counts in the order the tables and the export's columns show them."""
        return [
            self.participants,
            self.comments,
            self.accepted,
            self.partly_accepted,
            self.not_accepted,
            self.noted,
            self.undecided,
            self.linked,
            self.satisfied,
            self.not_satisfied,
        ]

    def add(self, other: "Figures") -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def suppress(self) -> None:
        # Every figure blanked, not only the display: a suppressed group's numbers never leave this module.
        for item in fields(self):
            setattr(self, item.name, item.default)
        self.is_suppressed = True


@dataclass
class Round:
    """One consultation of the series that used the resource, and the version(s) its participants commented on."""

    consultation: Consultation
    versions: list[int]
    figures: Figures = field(default_factory=Figures)


@dataclass
class GroupAcceptance:
    stakeholder_group: str
    rounds: list[Round] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)


@dataclass
class ResourceAcceptance:
    resource: Resource
    groups: list[GroupAcceptance] = field(default_factory=list)


def _counts() -> dict[str, Count]:
    # Distinct counts: the join to the linked changes may repeat a comment.
    counts = {
        "participants": Count("response__participant", distinct=True),
        "comments": Count("pk", distinct=True),
        "linked": Count("pk", filter=Q(changes__isnull=False), distinct=True),
    }
    for value in Comment.Disposition.values:
        counts[value] = Count("pk", filter=Q(disposition=value), distinct=True)
    for value in Comment.Satisfaction.values:
        counts[value] = Count("pk", filter=Q(satisfaction=value), distinct=True)
    return counts


def acceptance(
    consultation: Consultation,
    *,
    suppress: bool = True,
    resource: Resource | None = None,
    narrow: Callable[[QuerySet[Comment]], QuerySet[Comment]] | None = None,
) -> list[ResourceAcceptance]:
    """The figures of each resource of the consultation (or only `resource`), in the consultation's order."""
    links = ConsultationResource.objects.filter(consultation=consultation).select_related("resource")
    if resource is not None:
        links = links.filter(resource=resource)
    resources = [link.resource for link in links.order_by("position")]
    return acceptance_of(resources, suppress=suppress, narrow=narrow)


def acceptance_of(
    resources: list[Resource],
    *,
    suppress: bool = True,
    narrow: Callable[[QuerySet[Comment]], QuerySet[Comment]] | None = None,
) -> list[ResourceAcceptance]:
    """Per resource, per stakeholder group and round of the series that used it.

    `narrow` filters the counted comments further (the export's filters). With `suppress`, a round with fewer
    than MIN_GROUP_SIZE participants is blanked, and so is a group that is small, or whose suppressed rounds
    together are small but not empty (its figures less its other rounds' would give them away). Four queries.
    """
    ids = [item.pk for item in resources]
    rounds = (
        ConsultationResource.objects.filter(resource_id__in=ids)
        .select_related("consultation", "version")
        .annotate(newest=Max("resource__versions__number"))
        .order_by("consultation__opens_at", "consultation_id")
    )
    comments = Comment.objects.filter(resource_id__in=ids).counted()
    if narrow is not None:
        comments = narrow(comments)
    figures = {
        (row.pop("resource_id"), row.pop(ROUND)): Figures(**row)
        for row in comments.order_by().values("resource_id", ROUND).annotate(**_counts())
    }
    commented: dict[tuple[int, int], set[int]] = defaultdict(set)
    for resource_id, consultation_id, number in (
        comments.order_by().values_list("resource_id", ROUND, "version__number").distinct()
    ):
        commented[resource_id, consultation_id].add(number)

    groups: dict[int, dict[str, GroupAcceptance]] = defaultdict(dict)
    for link in rounds:
        key = (link.resource_id, link.consultation_id)
        used = link.version.number if link.version_id else link.newest
        versions = sorted(commented[key]) or ([used] if used else [])
        item = Round(link.consultation, versions, figures.get(key, Figures()))
        name = link.consultation.stakeholder_group_en or link.consultation.stakeholder_group
        group = groups[link.resource_id].setdefault(name, GroupAcceptance(stakeholder_group=name))
        group.rounds.append(item)
        group.figures.add(item.figures)
    result = []
    for item in resources:
        rows = [groups[item.pk][name] for name in sorted(groups[item.pk])]
        if suppress:
            for group in rows:
                _suppress_small(group)
        result.append(ResourceAcceptance(item, rows))
    return result


def _suppress_small(group: GroupAcceptance) -> None:
    hidden = 0
    for item in group.rounds:
        if is_small_group(item.figures.participants):
            hidden += item.figures.participants
            item.figures.suppress()
    if is_small_group(group.figures.participants) or 0 < hidden < MIN_GROUP_SIZE:
        group.figures.suppress()


# The acceptance shape of the exports: a row per group and resource, then a row per round of that group.

ACCEPTANCE_COLUMNS = [
    "resource",
    "stakeholder_group",
    "round",
    "opens_at",
    "closes_at",
    "versions",
    "participants",
    "comments",
    "accepted",
    "partly_accepted",
    "not_accepted",
    "noted",
    "no_disposition",
    "linked_to_change",
    "satisfied",
    "not_satisfied",
    "suppressed",
]


def _date(moment: datetime) -> str:
    return timezone.localdate(moment).isoformat()


def _figure_cells(figures: Figures) -> list[str]:
    if figures.is_suppressed:
        return [""] * len(figures.in_order) + ["yes"]
    return [*(str(count) for count in figures.in_order), ""]


def acceptance_rows(results: list[ResourceAcceptance]) -> Iterator[list[str]]:
    """The figures as rows in ACCEPTANCE_COLUMNS order (no header): a group's row has an empty `round`."""
    for item in results:
        title = item.resource.title_en or item.resource.title
        for group in item.groups:
            yield [title, group.stakeholder_group, "", "", "", "", *_figure_cells(group.figures)]
            for one in group.rounds:
                consultation = one.consultation
                yield [
                    title,
                    group.stakeholder_group,
                    consultation.slug,
                    _date(consultation.opens_at),
                    _date(consultation.closes_at),
                    "; ".join(str(number) for number in one.versions),
                    *_figure_cells(one.figures),
                ]
