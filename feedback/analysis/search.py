"""Searching answers and comments for the staff analysis pages: ranked full-text search on PostgreSQL, every
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
    Moderated,
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


def search(consultation: Consultation, *, q: str, filters: dict[str, Any], see_hidden: bool) -> QuerySet:
    """Ids of the matching answers and comments of submitted responses, best first, as
    (pk, kind, rank, updated_at) rows; `search_items` turns a page of them into objects."""
    answers = Answer.objects.filter(question__consultation=consultation).submitted()
    comments = Comment.objects.filter(response__participant__consultation=consultation).submitted()
    if not see_hidden:
        answers = answers.exclude(status=Moderated.Status.HIDDEN)
        comments = comments.exclude(status=Moderated.Status.HIDDEN)
    if filters.get("status"):
        answers = answers.filter(status=filters["status"])
        comments = comments.filter(status=filters["status"])
    if filters.get("question"):
        answers = answers.filter(question=filters["question"])
        comments = comments.none()
    if filters.get("resource"):
        answers = answers.filter(question__resource=filters["resource"])
        comments = comments.filter(resource=filters["resource"])
    if filters.get("theme"):
        answers = answers.filter(themes=filters["theme"])
        comments = comments.filter(themes=filters["theme"])
    if filters.get("organisation_type"):
        answers = answers.filter(response__participant__organisation_type=filters["organisation_type"])
        comments = comments.filter(response__participant__organisation_type=filters["organisation_type"])
    if filters.get("country"):
        answers = answers.filter(response__participant__country=filters["country"])
        comments = comments.filter(response__participant__country=filters["country"])
    answers = matching(answers.order_by(), q).annotate(item_kind=Value("answer", output_field=CharField()))
    comments = matching(comments.order_by(), q).annotate(item_kind=Value("comment", output_field=CharField()))
    columns = ("pk", "item_kind", "rank", "updated_at")
    return (
        answers.values_list(*columns)
        .union(comments.values_list(*columns), all=True)
        .order_by("-rank", "-updated_at", "item_kind", "pk")
    )


def search_items(rows: list[tuple]) -> list[Answer | Comment]:
    """The answers and comments of one page of `search` rows, in the same order. Four queries."""
    answer_ids = [pk for pk, kind, *_rest in rows if kind == "answer"]
    comment_ids = [pk for pk, kind, *_rest in rows if kind == "comment"]
    themes = Prefetch("themes", queryset=Theme.objects.order_by("code"))
    answers = Answer.objects.select_related("question__resource", "response__participant").prefetch_related(
        themes
    )
    comments = Comment.objects.select_related(
        "resource", "section", "version", "paragraph__section", "response__participant"
    ).prefetch_related(themes)
    found: dict[tuple[str, int], Answer | Comment] = {}
    if answer_ids:
        found.update((("answer", a.pk), a) for a in answers.filter(pk__in=answer_ids))
    if comment_ids:
        found.update((("comment", c.pk), c) for c in comments.filter(pk__in=comment_ids))
    return [found[(kind, pk)] for pk, kind, *_rest in rows if (kind, pk) in found]
