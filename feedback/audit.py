"""The audit trail: one record per organiser action that reads participant data in bulk or changes it."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from feedback.models import AuditEvent, Consultation


def actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_name": "system"}
    return {"actor": actor, "actor_name": actor.get_username()}


def record(
    *,
    actor: Any,
    action: str,
    consultation: Consultation | None = None,
    obj: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    count: int = 1,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Record one action; `obj` names what it acted on, `before`/`after` the values it changed."""
    return AuditEvent.objects.create(
        **actor_fields(actor),
        action=action,
        consultation=consultation,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=dict(before or {}),
        after=dict(after or {}),
        count=count,
        details=dict(details or {}),
    )


def record_export(
    *,
    actor: Any,
    consultation: Consultation | None,
    count: int,
    details: Mapping[str, Any],
    obj: models.Model | None = None,
) -> AuditEvent:
    """Record an export or report download: who, of which consultation, how many rows, and in `details` the
    profile, shape, format, filters and file as the caller knows them."""
    return record(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        consultation=consultation,
        obj=obj,
        count=count,
        details=details,
    )


def record_each(
    *,
    actor: Any,
    action: str,
    changes: Iterable[tuple[models.Model, Mapping[str, Any], Mapping[str, Any]]],
    consultation_of: Any = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Record a bulk action as one event per object, in one INSERT; `changes` yields (obj, before, after).

    `consultation_of(obj)` gives each object's consultation id, when it has one.
    """
    who = actor_fields(actor)
    events = [
        AuditEvent(
            **who,
            action=action,
            consultation_id=consultation_of(obj) if consultation_of else None,
            object_type=obj._meta.model_name,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            before=dict(before),
            after=dict(after),
            details=dict(details or {}),
        )
        for obj, before, after in changes
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)


def iso(moment: Any) -> str | None:
    """A datetime as the trail stores it (ISO 8601), or None."""
    return moment.isoformat() if moment is not None else None
