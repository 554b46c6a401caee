"""The resource page's reading of a draft: its sections and numbered paragraphs in order, each paragraph with the
participant's own comments on it and their quoted passages marked in its text (never anyone else's)."""

from collections import defaultdict
from dataclasses import dataclass, field

from feedback.models import Comment, ResourceParagraph, ResourceSection, ResourceVersion

# What the resource page reads of a comment.
COMMENT_FIELDS = (
    "id",
    "response_id",
    "resource_id",
    "version_id",
    "section_id",
    "paragraph_id",
    "kind",
    "quote",
    "quote_start",
    "text",
    "proposed_change",
    "updated_at",
)


@dataclass
class Segment:
    """A run of a paragraph's text; `comment` is the first of the participant's comments quoting it, if any."""

    text: str
    comment: Comment | None = None
    # The first run of that comment's passage: the mark that comment links back to.
    is_start: bool = False
    # The last run: where the link to the comment follows the mark.
    is_end: bool = False


@dataclass
class Paragraph:
    paragraph: ResourceParagraph
    segments: list[Segment]
    comments: list[Comment] = field(default_factory=list)


@dataclass
class Section:
    section: ResourceSection
    paragraphs: list[Paragraph]
    comments: list[Comment] = field(default_factory=list)
    # What its new-comment form shows (the view's: defaults, or what was typed in a refused one).
    values: dict[str, object] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        return f"section-{self.section.position}"


def marked_segments(text: str, comments: list[Comment]) -> list[Segment]:
    """The paragraph's text cut where the comments' passages begin and end. Runs quoted by several comments
    belong to the earliest one (passages may overlap); the text itself is never changed, so the runs joined
    are the paragraph's text again, and offsets a browser counts in it match the server's."""
    quoted = [
        c
        for c in comments
        if c.quote and c.quote_start is not None and text.startswith(c.quote, c.quote_start)
    ]
    if not quoted:
        return [Segment(text)]
    cuts = sorted(
        {0, len(text), *(c.quote_start for c in quoted), *(c.quote_start + len(c.quote) for c in quoted)}
    )
    segments = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [c for c in quoted if c.quote_start <= start and end <= c.quote_start + len(c.quote)]
        owner = min(covering, key=lambda c: c.pk) if covering else None
        segments.append(Segment(text[start:end], owner))
    seen: set[int] = set()
    for segment in segments:
        if segment.comment is not None and segment.comment.pk not in seen:
            seen.add(segment.comment.pk)
            segment.is_start = True
    seen.clear()
    for segment in reversed(segments):
        if segment.comment is not None and segment.comment.pk not in seen:
            seen.add(segment.comment.pk)
            segment.is_end = True
    return segments


def document(version: ResourceVersion, comments: list[Comment]) -> tuple[list[Section], list[Comment]]:
    """The version's sections with their paragraphs and the given comments placed on them (two queries), and the
    comments that are on none of them: on the whole resource, or on another version."""
    sections = list(version.sections.order_by("position"))
    by_section: dict[int, list[ResourceParagraph]] = defaultdict(list)
    paragraphs = ResourceParagraph.objects.filter(section__version=version).order_by("section_id", "number")
    for paragraph in paragraphs.only("id", "section_id", "number", "kind", "level", "text"):
        by_section[paragraph.section_id].append(paragraph)
    on_paragraph: dict[int, list[Comment]] = defaultdict(list)
    on_section: dict[int, list[Comment]] = defaultdict(list)
    elsewhere = []
    section_ids = {section.pk for section in sections}
    for comment in comments:
        if comment.section_id in section_ids and comment.paragraph_id is not None:
            on_paragraph[comment.paragraph_id].append(comment)
        elif comment.section_id in section_ids:
            on_section[comment.section_id].append(comment)
        else:
            elsewhere.append(comment)
    blocks = []
    for section in sections:
        items = []
        for paragraph in by_section[section.pk]:
            # The label ("3.2 ¶4") reads the section: give it the one loaded here instead of a query each.
            paragraph.section = section
            own = on_paragraph.get(paragraph.pk, [])
            for comment in own:
                comment.paragraph, comment.section = paragraph, section
            items.append(Paragraph(paragraph, marked_segments(paragraph.text, own), own))
        own_section = on_section.get(section.pk, [])
        for comment in own_section:
            comment.section = section
        blocks.append(Section(section, items, own_section))
    # Each marked passage and its comment share a number, so that the link after the mark names its comment.
    number = 0
    for block in blocks:
        for item in block.paragraphs:
            for segment in item.segments:
                if segment.is_start and segment.comment is not None:
                    number += 1
                    segment.comment.mark_number = number
    return blocks, elsewhere
