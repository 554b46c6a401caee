"""The resource page's reading of a draft: its sections and numbered paragraphs in order, each paragraph with the
participant's own comments on it and their quoted passages marked in its text (never anyone else's)."""

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import router

from feedback.models import Comment, ResourceParagraph, ResourceSection, ResourceVersion
from feedback.participation.rows import Columns

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


@dataclass(slots=True)
class OwnComment:
    """What the resource page shows of one of the participant's comments: the columns above, and where document()
    places it. Not a model instance: fifty of those, and the descriptors that set their section and paragraph,
    were a tenth of the page's time."""

    id: int
    response_id: int
    resource_id: int
    version_id: int | None
    section_id: int | None
    paragraph_id: int | None
    kind: str
    quote: str
    quote_start: int | None
    text: str
    proposed_change: str
    updated_at: object
    section: ResourceSection | None = None
    paragraph: ResourceParagraph | None = None
    mark_number: int | None = None

    @property
    def pk(self) -> int:
        return self.id


COMMENT_COLUMNS = Columns(Comment, "c", COMMENT_FIELDS)
TEXT = COMMENT_FIELDS.index("text")


def own_comments(response: object, resource: object) -> list[OwnComment]:
    """The participant's comments on the resource with some text in them (as Comment.is_empty: a deleted one
    keeps its row with no text), oldest first. A SELECT written once (participation/rows.py): the ORM compiled
    this query anew on every page, for about a third of its cost."""
    rows = COMMENT_COLUMNS.values_where(
        router.db_for_read(Comment), "id", response=response.pk, resource=resource.pk
    )
    return [OwnComment(*row) for row in rows if row[TEXT].strip()]


@dataclass
class Segment:
    """A run of a paragraph's text; `comment` is the first of the participant's comments quoting it, if any."""

    text: str
    comment: OwnComment | None = None
    # The first run of that comment's passage: the mark that comment links back to.
    is_start: bool = False
    # The last run: where the link to the comment follows the mark.
    is_end: bool = False


@dataclass
class Paragraph:
    paragraph: ResourceParagraph
    segments: list[Segment]
    comments: list[OwnComment] = field(default_factory=list)


@dataclass
class Section:
    section: ResourceSection
    paragraphs: list[Paragraph]
    comments: list[OwnComment] = field(default_factory=list)
    # What its new-comment form shows (the view's: defaults, or what was typed in a refused one).
    values: dict[str, object] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        return f"section-{self.section.position}"


def marked_segments(text: str, comments: list[OwnComment]) -> list[Segment]:
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


@dataclass
class Layout:
    """A version's sections and their numbered paragraphs in order, as read once per process. Shared by the
    process's threads: read it, never change it."""

    sections: list[ResourceSection]
    paragraphs: dict[int, list[ResourceParagraph]]
    # Markup built once from these rows, per language (templatetags/drafts.py); dropped with them.
    memo: dict = field(default_factory=dict)
    # Each paragraph as the page shows it with none of the participant's comments on it (most of them).
    plain: dict[int, "Paragraph"] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for paragraphs in self.paragraphs.values():
            for paragraph in paragraphs:
                self.plain[paragraph.pk] = Paragraph(paragraph, [Segment(paragraph.text)])


# By (consultation, version): the consultation's content version says when they are out of date. A draft's text
# changes rarely (an import, an edit in the admin) and each change raises the content version of every
# consultation using it (models.touch_resource_consultations), which each participant request reads anyway; so a
# change made through any process or instance is seen by the next request everywhere, as with snapshot.py.
_layouts: dict[tuple[int, int], tuple[int, Layout]] = {}
_lock = threading.Lock()
# Enough for every resource of every open consultation; past it, start again rather than grow.
MAX_LAYOUTS = 256


def read_layout(version: ResourceVersion) -> Layout:
    sections = list(version.sections.order_by("position"))
    by_section: dict[int, list[ResourceParagraph]] = defaultdict(list)
    section_of = {section.pk: section for section in sections}
    paragraphs = ResourceParagraph.objects.filter(section__version=version).order_by("section_id", "number")
    for paragraph in paragraphs.only("id", "section_id", "number", "kind", "level", "text"):
        # The label ("3.2 ¶4") reads the section: give it the one loaded here instead of a query each.
        paragraph.section = section_of[paragraph.section_id]
        by_section[paragraph.section_id].append(paragraph)
    return Layout(sections, dict(by_section))


def layout(version: ResourceVersion, *, consultation_id: int, content_version: int) -> Layout:
    """The version's layout as of the consultation's `content_version` or later, read when this process has none."""
    key = (consultation_id, version.pk)
    found = _layouts.get(key)
    if found is not None and found[0] >= content_version:
        return found[1]
    # Read after the content version was: what is read is as new as it says, or newer.
    built = read_layout(version)
    with _lock:
        if len(_layouts) >= MAX_LAYOUTS:
            _layouts.clear()
        kept = _layouts.get(key)
        if kept is None or kept[0] < content_version:
            _layouts[key] = (content_version, built)
    return built


def forget() -> None:
    """Drop every layout of this process (tests: a new test's rows may reuse ids)."""
    _layouts.clear()


def document(shape: Layout, comments: list[OwnComment]) -> tuple[list[Section], list[OwnComment]]:
    """The layout's sections with their paragraphs and the given comments placed on them, and the comments that
    are on none of them: on the whole resource, or on another version."""
    sections = shape.sections
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
        for paragraph in shape.paragraphs.get(section.pk, ()):
            own = on_paragraph.get(paragraph.pk)
            for comment in own or ():
                comment.paragraph, comment.section = paragraph, section
            if own:
                items.append(Paragraph(paragraph, marked_segments(paragraph.text, own), own))
            else:
                items.append(shape.plain[paragraph.pk])
        own_section = on_section.get(section.pk, [])
        for comment in own_section:
            comment.section = section
        blocks.append(Section(section, items, own_section))
    # Each marked passage and its comment share a number, so that the link after the mark names its comment.
    number = 0
    for block in blocks:
        for item in block.paragraphs:
            if not item.comments:
                continue
            for segment in item.segments:
                if segment.is_start and segment.comment is not None:
                    number += 1
                    segment.comment.mark_number = number
    return blocks, elsewhere
