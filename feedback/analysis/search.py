"""Searching answers, comments and the meeting's record for the staff analysis pages: ranked full-text search on PostgreSQL, every
word somewhere on SQLite; always in what staff see (redacted text where there is one)."""

from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    FloatField,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)

from feedback.models import (
    Answer,
    Comment,
    Consultation,
    LivePoint,
    Moderated,
    RapporteurNote,
    Theme,
)

# Search
#
# Answers and comments are searched in what staff see (the redacted text where there is one), so a redacted
# passage can never be found by its words. PostgreSQL ranks with its full-text search ('simple' configuration:
# no stemming, so every language works the same); SQLite needs every word somewhere in the text.

SEARCH_PAGE_SIZE = 25


def shown_text() -> Case:
    return Case(
        When(~Q(redacted_text=""), then=F("redacted_text")), default=F("text"), output_field=TextField()
    )


def uses_postgres_search() -> bool:
    return connection.vendor == "postgresql"


def matching(queryset: QuerySet, q: str) -> QuerySet:
    """`queryset` narrowed to the items whose shown text matches `q`, with a `rank` (0 without ranking)."""
    queryset = queryset.annotate(shown=shown_text())
    if q and uses_postgres_search():
        query = SearchQuery(q, search_type="websearch", config="simple")
        vector = SearchVector("shown", config="simple")
        return (
            queryset.annotate(document=vector).filter(document=query).annotate(rank=SearchRank(vector, query))
        )
    for word in q.split():
        queryset = queryset.filter(shown__icontains=word.strip('"'))
    return queryset.annotate(rank=Value(0.0, output_field=FloatField()))


# Where each kind of item keeps what the filters ask about: its author, its question and its resource (None: the
# kind has none, so a filter on it finds none of that kind). "live" and "spoken" are the meeting's live points and
# rapporteur notes, named as the long export's item_type names them.
FILTER_PATHS: dict[str, tuple[str, str | None, str | None]] = {
    "answer": ("response__participant", "question", "question__resource"),
    "comment": ("response__participant", None, "resource"),
    "live": ("participant", "agenda_item__question", None),
    "spoken": ("participant", "agenda_item__question", None),
}


def searched(consultation: Consultation) -> dict[str, QuerySet]:
    """What search reads, by kind: submitted answers and comments, the meeting's record (rehearsals left out)."""
    return {
        "answer": Answer.objects.filter(question__consultation=consultation).submitted(),
        "comment": Comment.objects.filter(response__participant__consultation=consultation).submitted(),
        "live": LivePoint.objects.filter(agenda_item__consultation=consultation).in_record(),
        "spoken": RapporteurNote.objects.filter(agenda_item__consultation=consultation).in_record(),
    }


def narrowed(items: QuerySet, kind: str, filters: dict[str, Any], *, see_hidden: bool) -> QuerySet:
    """`items` of one kind without erased participants' (a note naming nobody stays), hidden ones unless
    `see_hidden`, and narrowed by the filters that are set."""
    participant, question, resource = FILTER_PATHS[kind]
    items = items.exclude(**{f"{participant}__is_erased": True})
    if not see_hidden:
        items = items.exclude(status=Moderated.Status.HIDDEN)
    if filters.get("status"):
        items = items.filter(status=filters["status"])
    for name, path in (("question", question), ("resource", resource)):
        if filters.get(name):
            items = items.filter(**{path: filters[name]}) if path else items.none()
    if filters.get("theme"):
        items = items.filter(themes=filters["theme"])
    for name in ("organisation_type", "country"):
        if filters.get(name):
            items = items.filter(**{f"{participant}__{name}": filters[name]})
    return items


def search(consultation: Consultation, *, q: str, filters: dict[str, Any], see_hidden: bool) -> QuerySet:
    """Ids of the matching answers, comments, live points and rapporteur notes, best first, as
    (pk, kind, rank, updated_at) rows; `search_items` turns a page of them into objects."""
    columns = ("pk", "item_kind", "rank", "updated_at")
    parts = [
        matching(narrowed(items, kind, filters, see_hidden=see_hidden).order_by(), q)
        .annotate(item_kind=Value(kind, output_field=CharField()))
        .values_list(*columns)
        for kind, items in searched(consultation).items()
    ]
    return parts[0].union(*parts[1:], all=True).order_by("-rank", "-updated_at", "item_kind", "pk")


def search_items(rows: list[tuple]) -> list[Answer | Comment | LivePoint | RapporteurNote]:
    """The items of one page of `search` rows, in the same order, each with `item_kind` (as in `search`) and
    `said_by` (the participant it is attributed to, None for a note naming nobody). Two queries per kind found."""
    themes = Prefetch("themes", queryset=Theme.objects.order_by("code"))
    loaders = {
        "answer": Answer.objects.select_related("question__resource", "response__participant"),
        "comment": Comment.objects.select_related(
            "resource", "section", "version", "paragraph__section", "response__participant"
        ),
        "live": LivePoint.objects.select_related("agenda_item__question", "participant"),
        "spoken": RapporteurNote.objects.select_related("agenda_item__question", "participant"),
    }
    found: dict[tuple[str, int], Any] = {}
    for kind, loader in loaders.items():
        ids = [pk for pk, row_kind, *_rest in rows if row_kind == kind]
        if not ids:
            continue
        for item in loader.prefetch_related(themes).filter(pk__in=ids):
            item.item_kind = kind
            item.said_by = item.response.participant if kind in ("answer", "comment") else item.participant
            found[(kind, item.pk)] = item
    return [found[(kind, pk)] for pk, kind, *_rest in rows if (kind, pk) in found]
