"""Moderation and coding of answers and comments: status, redaction with reason, theme tags; every change
in the audit trail."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback import audit
from feedback.models import (
    Answer,
    AuditEvent,
    Comment,
    Theme,
)

REDACTED = "[redacted]"


def moderate_answers(*, answers: QuerySet[Answer] | Iterable[Answer], status: str, by: Any) -> int:
    """Set the moderation status of many answers at once; returns how many rows changed."""
    if status not in Answer.Status.values:
        raise ValueError(status)
    if not isinstance(answers, QuerySet):
        answers = Answer.objects.filter(pk__in=[a.pk for a in answers])
    # str(answer) names the question number, and the trail files each event under its consultation.
    return _moderate(answers.select_related("question", "response__participant"), status=status, by=by)


def moderate_comments(*, comments: QuerySet[Comment] | Iterable[Comment], status: str, by: Any) -> int:
    """Set the moderation status of many comments at once; returns how many rows changed."""
    if status not in Comment.Status.values:
        raise ValueError(status)
    if not isinstance(comments, QuerySet):
        comments = Comment.objects.filter(pk__in=[c.pk for c in comments])
    return _moderate(comments.select_related("response__participant"), status=status, by=by)


@transaction.atomic
def _moderate(items: QuerySet[Answer] | QuerySet[Comment], *, status: str, by: Any) -> int:
    """Update the items' status and record one MODERATE event per item: three queries whatever the number."""
    chosen = list(items)
    updated = items.model.objects.filter(pk__in=[item.pk for item in chosen]).update(
        status=status, moderated_by=by, moderated_at=timezone.now()
    )
    audit.record_each(
        actor=by,
        action=AuditEvent.Action.MODERATE,
        changes=((item, {"status": item.status}, {"status": status}) for item in chosen),
        consultation_of=lambda item: item.response.participant.consultation_id,
    )
    return updated


def _locked(item: Answer | Comment) -> Answer | Comment:
    # of=self: the default orderings join other tables, and PostgreSQL cannot lock the nullable side of a join.
    return (
        type(item)
        .objects.select_for_update(of=("self",))
        .select_related("response__participant__consultation")
        .get(pk=item.pk)
    )


def _copy_redaction(source: Answer | Comment, target: Answer | Comment) -> None:
    for name in source.redaction_fields:
        setattr(target, name, getattr(source, name))


@transaction.atomic
def redact(*, item: Answer | Comment, passage: str, reason: str, by: Any) -> None:
    """Replace every occurrence of the passage in what the item shows with [redacted], keeping the original;
    for a comment, in its proposed change too (not in its quoted passage: the draft's words, not personal data).

    The participant's own words stay in `text` and `proposed_change` (the audit trail and the participant still
    see them); the redacted texts are what the queues, reports and every export show instead.
    """
    if not passage.strip():
        raise ValidationError(_("Give the passage to redact."), code="passage_required")
    if not reason.strip():
        raise ValidationError(_("Give a reason for the redaction."), code="reason_required")
    current = _locked(item)
    before = _shown_texts(current)
    if not current.redact_passage(passage, REDACTED):
        raise ValidationError(
            _("The passage does not occur in the text as it is shown now."), code="passage_not_found"
        )
    reason = reason.strip()
    current.redaction_reason = f"{current.redaction_reason}\n{reason}" if current.redaction_reason else reason
    current.redacted_by, current.redacted_at = by, timezone.now()
    current.save(update_fields=list(current.redaction_fields))
    _copy_redaction(current, item)
    audit.record(
        actor=by,
        action=AuditEvent.Action.REDACT,
        consultation=current.response.participant.consultation,
        obj=current,
        before=before,
        after=_shown_texts(current),
        details={"reason": reason},
    )


def _shown_texts(item: Answer | Comment) -> dict[str, str]:
    """What the item shows, as the trail records a redaction: the text, and a comment's proposed change."""
    texts = {"text": item.shown_value()}
    if isinstance(item, Comment) and item.proposed_change:
        texts["proposed_change"] = item.shown_proposed_change()
    return texts


@transaction.atomic
def clear_redaction(*, item: Answer | Comment, by: Any) -> None:
    """Show the participant's original words again; the trail keeps what was redacted and why."""
    current = _locked(item)
    if not current.is_redacted:
        return
    before = _shown_texts(current)
    reasons = current.redaction_reason
    current.drop_redaction()
    current.save(update_fields=list(current.redaction_fields))
    _copy_redaction(current, item)
    audit.record(
        actor=by,
        action=AuditEvent.Action.REDACT,
        consultation=current.response.participant.consultation,
        obj=current,
        before=before,
        after=_shown_texts(current),
        details={"cleared": True, "reasons": reasons},
    )


def _theme_codes(themes: Iterable[Theme]) -> list[str]:
    return sorted(theme.code for theme in themes)


@transaction.atomic
def tag(
    *,
    items: QuerySet[Answer] | QuerySet[Comment] | Iterable[Answer | Comment],
    themes: Iterable[Theme],
    by: Any,
    remove: bool = False,
) -> int:
    """Add the themes to (or remove them from) many answers or comments; returns how many items changed.

    A theme is only ever added to an item whose consultation codes with the theme's code book. Five queries
    whatever the number of items: the items, their current themes, one write, one audit INSERT.
    """
    themes = list(themes)
    if not isinstance(items, QuerySet):
        items = list(items)
        if not items:
            return 0
        items = type(items[0]).objects.filter(pk__in=[item.pk for item in items])
    model = items.model
    through = model.themes.through
    item_field = f"{model._meta.model_name}_id"
    # str(answer) names its question; the consultation gives the code book and files the audit events.
    related = ["question"] if model is Answer else []
    chosen = list(items.select_related(*related, "response__participant__consultation").order_by())
    by_pk = {item.pk: item for item in chosen}
    before: dict[int, set[str]] = {pk: set() for pk in by_pk}
    current: set[tuple[int, int]] = set()
    links = through.objects.filter(**{f"{item_field}__in": list(by_pk)}).select_related("theme")
    for link in links:
        before[getattr(link, item_field)].add(link.theme.code)
        current.add((getattr(link, item_field), link.theme_id))
    if remove:
        pairs = {(pk, theme.pk) for pk in by_pk for theme in themes} & current
        theme_pks = [theme.pk for theme in themes]
        if pairs:
            through.objects.filter(**{f"{item_field}__in": list(by_pk), "theme_id__in": theme_pks}).delete()
    else:
        pairs = {
            (item.pk, theme.pk)
            for item in chosen
            for theme in themes
            if theme.codebook_id == item.response.participant.consultation.codebook_id
        } - current
        through.objects.bulk_create(
            [through(**{item_field: pk, "theme_id": theme_pk}) for pk, theme_pk in pairs],
            ignore_conflicts=True,
        )
    code_of = {theme.pk: theme.code for theme in themes}
    after = {pk: set(codes) for pk, codes in before.items()}
    for pk, theme_pk in pairs:
        if remove:
            after[pk].discard(code_of[theme_pk])
        else:
            after[pk].add(code_of[theme_pk])
    changed = [pk for pk in by_pk if after[pk] != before[pk]]
    audit.record_each(
        actor=by,
        action=AuditEvent.Action.TAG,
        changes=(
            (by_pk[pk], {"themes": sorted(before[pk])}, {"themes": sorted(after[pk])}) for pk in changed
        ),
        consultation_of=lambda item: item.response.participant.consultation_id,
        details={"remove": remove},
    )
    return len(changed)


@transaction.atomic
def set_themes(*, item: Answer | Comment, themes: Iterable[Theme], by: Any) -> bool:
    """Tag one item with exactly these themes (the change form); returns whether anything changed."""
    themes = list(themes)
    before = _theme_codes(item.themes.all())
    item.themes.set(themes)
    after = _theme_codes(themes)
    if before == after:
        return False
    audit.record(
        actor=by,
        action=AuditEvent.Action.TAG,
        consultation=item.response.participant.consultation,
        obj=item,
        before={"themes": before},
        after={"themes": after},
    )
    return True
