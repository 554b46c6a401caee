"""Storing an imported draft: a new resource, a new text for a version nobody has commented on yet, or a new
version of a resource whose comments are then placed again in the new text (organising/anchoring.py)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from feedback import audit
from feedback.models import (
    AuditEvent,
    Comment,
    CommentChange,
    CommentPlacement,
    Consultation,
    ConsultationResource,
    Resource,
    ResourceParagraph,
    ResourceSection,
    ResourceVersion,
    touch_resource_consultations,
)
from feedback.organising import anchoring
from feedback.organising.drafts import Draft

TITLE_MAX = Resource._meta.get_field("title").max_length
HEADING_MAX = ResourceSection._meta.get_field("heading").max_length


@dataclass
class Stored:
    """What an import stored, for the admin's message and the command's report."""

    resource: Resource
    version: ResourceVersion
    replaced: bool  # the text of a version without comments was replaced, not a new version made
    sections: int
    paragraphs: int
    # For a new version: how each comment of the previous one was placed in it ("exact", "approximate",
    # "orphaned"), by comment id.
    placements: dict[int, anchoring.Placement] = field(default_factory=dict)

    def placement_counts(self) -> dict[str, int]:
        counts = {"exact": 0, "approximate": 0, "orphaned": 0}
        for placement in self.placements.values():
            counts[placement.status] += 1
        return counts


@transaction.atomic
def import_new_resource(
    *, consultation: Consultation, draft: Draft, title: str = "", source_name: str, by: Any
) -> Stored:
    """A new resource from the draft, under consultation, as its version 1."""
    title = (title or draft.title).strip()[:TITLE_MAX]
    if Resource.objects.filter(title_en=title, version_label="").exists():
        raise ValidationError(
            _(
                "A resource titled “%(title)s” exists already: give the new one another title, or import the file as a new version of it."
            )
            % {"title": title},
            code="duplicate_title",
        )
    resource = Resource.objects.create(title=title, title_en=title, category=Resource.Category.PRIMARY)
    position = consultation.resource_links.aggregate(last=Max("position"))["last"] or 0
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=position + 1)
    version = ResourceVersion.objects.create(
        resource=resource, number=1, source_name=source_name, imported_by=by
    )
    sections, paragraphs = _store_text(version, draft)
    _record(by, consultation, version, source_name, replaced=False, paragraphs=paragraphs)
    return Stored(resource, version, replaced=False, sections=sections, paragraphs=paragraphs)


@transaction.atomic
def import_version(*, resource: Resource, draft: Draft, source_name: str, by: Any) -> Stored:
    """The draft as the resource's newest text: it replaces the newest version's text while nobody has
    commented on it or linked a comment to it, and becomes a new version otherwise (comments never lose the
    words they were about). The comments on every earlier version are placed in the new text."""
    # Lock the resource: two imports at once must not both make version n+1.
    Resource.objects.select_for_update().filter(pk=resource.pk).exists()
    latest = resource.versions.order_by("-number").first()
    if latest is not None and is_replaceable(latest):
        # The old text goes, and where earlier comments were placed in it: they are placed again below.
        latest.placements.all().delete()
        latest.sections.all().delete()
        latest.source_name, latest.imported_by = source_name, by
        latest.save(update_fields=["source_name", "imported_by"])
        sections, paragraphs = _store_text(latest, draft)
        previous = resource.versions.filter(number__lt=latest.number).order_by("-number").first()
        placements = place_earlier_comments(previous, paragraphs_of(latest)) if previous else {}
        _store_placements(latest, placements)
        stored = Stored(resource, latest, True, sections, paragraphs, placements)
        placed = stored.placement_counts() if previous else None
        _record(by, None, latest, source_name, replaced=True, paragraphs=paragraphs, placed=placed)
        return stored
    number = latest.number + 1 if latest else 1
    version = ResourceVersion.objects.create(
        resource=resource, number=number, source_name=source_name, imported_by=by
    )
    sections, paragraphs = _store_text(version, draft)
    placements = place_earlier_comments(latest, paragraphs_of(version)) if latest else {}
    _store_placements(version, placements)
    stored = Stored(resource, version, False, sections, paragraphs, placements)
    _record(
        by,
        None,
        version,
        source_name,
        replaced=False,
        paragraphs=paragraphs,
        placed=stored.placement_counts(),
    )
    return stored


def is_replaceable(version: ResourceVersion) -> bool:
    """Whether a new text may replace the version's: nobody commented on it and no comment is linked to it."""
    return (
        not version.comments.exists()
        and not CommentChange.objects.filter(paragraph__section__version=version).exists()
    )


def preview_version(*, resource: Resource, draft: Draft) -> dict[str, Any]:
    """What import_version would do with the draft, stored nothing: whether it replaces the newest text or makes
    a new version, and then how many of the comments on the earlier versions it would find again, and how."""
    latest = resource.versions.order_by("-number").first()
    if latest is None or is_replaceable(latest):
        return {"replaces": latest is not None, "version_number": latest.number if latest else 1}
    paragraphs = [
        anchoring.Paragraph(key=(position, number), section=section.number, number=number, text=block.text)
        for position, section in enumerate(draft.sections)
        for number, block in enumerate(section.blocks, start=1)
    ]
    placements = place_earlier_comments(latest, paragraphs)
    counts = {"exact": 0, "approximate": 0, "orphaned": 0}
    for placement in placements.values():
        counts[placement.status] += 1
    return {
        "replaces": False,
        "version_number": latest.number + 1,
        "previous_number": latest.number,
        "placement_counts": counts,
        "whole_resource_comments": earlier_comments(latest).filter(section__isnull=True).count(),
    }


def _store_text(version: ResourceVersion, draft: Draft) -> tuple[int, int]:
    sections = ResourceSection.objects.bulk_create(
        ResourceSection(
            resource_id=version.resource_id,
            version=version,
            position=position,
            number=section.number,
            level=section.level,
            heading=section.heading[:HEADING_MAX],
            heading_en=section.heading[:HEADING_MAX],
        )
        for position, section in enumerate(draft.sections, start=1)
    )
    paragraphs = ResourceParagraph.objects.bulk_create(
        (
            ResourceParagraph(
                section=stored, number=number, kind=block.kind, level=block.level, text=block.text
            )
            for stored, section in zip(sections, draft.sections, strict=True)
            for number, block in enumerate(section.blocks, start=1)
        ),
        batch_size=1000,
    )
    # bulk_create sends no signal, and the text it replaced went in a delete that sends none either.
    touch_resource_consultations([version.resource_id])
    return len(sections), len(paragraphs)


def paragraphs_of(version: ResourceVersion) -> list[anchoring.Paragraph]:
    return [
        anchoring.Paragraph(key=p.pk, section=p.section.label, number=p.number, text=p.text)
        for p in ResourceParagraph.objects.filter(section__version=version)
        .select_related("section")
        .order_by("section__position", "number")
    ]


def anchor_of(comment: Comment) -> anchoring.Anchor | None:
    """Where a comment pointed, for re-anchoring; None for a comment on the whole resource."""
    if comment.section_id is None:
        return None
    paragraph = comment.paragraph
    return anchoring.Anchor(
        section=comment.section.label,
        number=paragraph.number if paragraph else None,
        paragraph_text=paragraph.text if paragraph else "",
        quote=comment.quote,
        prefix=comment.quote_prefix,
        suffix=comment.quote_suffix,
    )


def earlier_comments(previous: ResourceVersion) -> QuerySet[Comment]:
    """The comments on `previous` and on every version before it: all are placed in the version that follows."""
    return Comment.objects.filter(resource_id=previous.resource_id, version__number__lte=previous.number)


def placed_anchor(placement: CommentPlacement) -> anchoring.Anchor:
    """Where an earlier placement found a comment's words, as an anchor to look for them again."""
    paragraph = placement.paragraph
    if paragraph is None:
        return anchoring.Anchor(section=placement.section.label, number=None, paragraph_text="")
    if placement.start is None or placement.end is None:
        return anchoring.Anchor(placement.section.label, paragraph.number, paragraph.text)
    prefix, quote, suffix = anchoring.quote_context(paragraph.text, placement.start, placement.end)
    return anchoring.Anchor(placement.section.label, paragraph.number, paragraph.text, quote, prefix, suffix)


def _surer(first: anchoring.Placement, second: anchoring.Placement | None) -> anchoring.Placement:
    if second is None:
        return first
    rank = {anchoring.EXACT: 2, anchoring.APPROXIMATE: 1, anchoring.ORPHANED: 0}
    return second if (rank[second.status], second.score) > (rank[first.status], first.score) else first


def place_earlier_comments(
    previous: ResourceVersion, paragraphs: Sequence[anchoring.Paragraph]
) -> dict[int, anchoring.Placement]:
    """Where each comment on `previous` or an earlier version lands in the version that follows it.

    A comment's own words are looked for first. For a comment on an older version that was not found exactly,
    the words where `previous` placed it are looked for too, and the surer of the two wins: a passage reworded
    a little in each version is found through the chain when the original words are too far from the newest.
    """
    comments = earlier_comments(previous).select_related("section", "paragraph")
    anchors = {comment.pk: anchor for comment in comments if (anchor := anchor_of(comment)) is not None}
    if not anchors:
        return {}
    placements = anchoring.reanchor_all(anchors, paragraphs)
    chained = (
        CommentPlacement.objects.filter(comment_id__in=list(anchors), version=previous)
        .exclude(status=CommentPlacement.Status.ORPHANED)
        .select_related("section", "paragraph")
    )
    unsure = {
        placement.comment_id: placed_anchor(placement)
        for placement in chained
        if placements[placement.comment_id].status != anchoring.EXACT
    }
    for comment_id, placement in anchoring.reanchor_all(unsure, paragraphs).items():
        placements[comment_id] = _surer(placements[comment_id], placement)
    return placements


def _store_placements(version: ResourceVersion, placements: dict[int, anchoring.Placement]) -> None:
    """Keep where each comment landed in the new version; the comments' own anchors stay as they were."""
    sections = {section.label: section.pk for section in version.sections.only("pk", "number", "position")}
    CommentPlacement.objects.bulk_create(
        (
            CommentPlacement(
                comment_id=comment_id,
                version=version,
                section_id=sections.get(placement.section)
                if placement.status != anchoring.ORPHANED
                else None,
                paragraph_id=placement.paragraph.key if placement.paragraph is not None else None,
                status=placement.status,
                score=placement.score,
                start=placement.start,
                end=placement.end,
            )
            for comment_id, placement in placements.items()
        ),
        batch_size=1000,
    )


def _record(
    by: Any,
    consultation: Consultation | None,
    version: ResourceVersion,
    source: str,
    *,
    replaced: bool,
    paragraphs: int,
    placed: dict[str, int] | None = None,
) -> None:
    details: dict[str, Any] = {"file": source, "version": version.number, "replaced": replaced}
    if placed is not None:
        # How the comments of earlier versions were found in this one: exact, approximate, orphaned.
        details["placements"] = placed
    audit.record(
        actor=by,
        action=AuditEvent.Action.DRAFT,
        consultation=consultation,
        obj=version,
        count=paragraphs,
        details=details,
    )


# The redline between two versions, for the organisers' comparison page and for linking comments to changes


@dataclass
class SectionRedline:
    """One section of the comparison, under its number in the newer version."""

    label: str
    heading: str
    changes: list[anchoring.Change]

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind)

    @property
    def has_changes(self) -> bool:
        return any(change.kind != "same" for change in self.changes)


def compare_versions(old: ResourceVersion, new: ResourceVersion) -> list[SectionRedline]:
    """Every section's added, removed, changed, moved and unchanged paragraphs, in the newer version's order."""
    headings = {section.label: section.heading for section in old.sections.all()}
    headings.update((section.label, section.heading) for section in new.sections.all())
    groups = anchoring.redline_by_section(paragraphs_of(old), paragraphs_of(new))
    return [SectionRedline(label, headings.get(label, ""), changes) for label, changes in groups.items()]


def changes_by_paragraph(old: ResourceVersion, new: ResourceVersion) -> dict[int, anchoring.Change]:
    """The redline of each paragraph of `new` (by id) from `old`."""
    return {
        change.new.key: change
        for change in anchoring.redline(paragraphs_of(old), paragraphs_of(new))
        if change.new is not None
    }


def redline_html(ops: Iterable[Sequence[str]]) -> SafeString:
    """Word-level ops as HTML: deletions in <del> and insertions in <ins> (struck through and underlined by the
    style sheets, not only coloured), each announced to screen readers ("[deleted: …]", "[inserted: …]")."""
    marks = {"delete": ("del", _("deleted:")), "insert": ("ins", _("inserted:"))}
    parts = []
    for op, text in ops:
        if op in marks:
            tag, spoken = marks[op]
            parts.append(
                format_html(
                    '<{}><span class="visually-hidden">[{} </span>{}<span class="visually-hidden">]</span></{}>',
                    tag,
                    spoken,
                    text,
                    tag,
                )
            )
        else:
            parts.append(format_html("{}", text))
    return format_html_join("", "{}", ((part,) for part in parts))
