"""The meeting's writes: the console (start, rehearse, next, previous, extend, end, keep a rehearsal),
attendance, live points, rapporteur notes and the organisers' summaries. Each console action is audited and
tells the participants' poll that something changed."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from feedback import audit
from feedback.models import (
    AgendaItem,
    Attendance,
    AuditEvent,
    Consultation,
    LivePoint,
    MeetingState,
    Participant,
    Question,
    QuestionSummary,
    RapporteurNote,
)

# Live points may still be finished this long after the moderator ends the meeting.
GRACE_AFTER_END = timezone.timedelta(minutes=15)


class MeetingNotLive(Exception):
    """The meeting has not started, or ended too long ago, for live input."""


def now_cache_key(slug: str, language: str) -> str:
    return f"meeting:now:{slug}:{language}"


# The poll's answers this process read from the cache in the last moments (live.now_payload), by cache key.
recent_now: dict[str, tuple[float, tuple[str, bytes]]] = {}


def forget_now(consultation: Consultation) -> None:
    """Drop the poll's cached answers for every language (other processes drop their recent copies within
    live.RECENT_SECONDS)."""
    keys = [now_cache_key(consultation.slug, code) for code, _name in settings.LANGUAGES]

    def drop() -> None:
        cache.delete_many(keys)
        for key in keys:
            recent_now.pop(key, None)

    # Now, and again after the commit: a poll between the two may have cached the state before this change.
    drop()
    transaction.on_commit(drop)


def state_of(consultation: Consultation, *, lock: bool = False) -> MeetingState:
    state, _created = MeetingState.objects.get_or_create(consultation=consultation)
    if lock:
        # of=self: PostgreSQL cannot lock the nullable side of the join to the current item.
        state = (
            MeetingState.objects.select_for_update(of=("self",))
            .select_related("current_item")
            .get(pk=state.pk)
        )
    return state


def _snapshot(state: MeetingState) -> dict[str, Any]:
    return {
        "current_item": state.current_item_id,
        "started_at": audit.iso(state.started_at),
        "ended_at": audit.iso(state.ended_at),
        "is_rehearsal": state.is_rehearsal,
    }


def _leave_current(state: MeetingState, now: datetime) -> None:
    """Add the time spent on the current item to its total."""
    if state.current_item_id is not None and state.item_started_at is not None and state.ended_at is None:
        spent = max(0, int((now - state.item_started_at).total_seconds()))
        AgendaItem.objects.filter(pk=state.current_item_id).update(
            elapsed_seconds=F("elapsed_seconds") + spent
        )


def _save(state: MeetingState, *, by: Any, step: str, before: dict[str, Any], **details: Any) -> MeetingState:
    state.version += 1
    state.save()
    audit.record(
        actor=by,
        action=AuditEvent.Action.MEETING,
        consultation=state.consultation,
        obj=state,
        before=before,
        after=_snapshot(state),
        details={"step": step, **details},
    )
    forget_now(state.consultation)
    return state


@transaction.atomic
def start(*, consultation: Consultation, by: Any, rehearsal: bool = False) -> MeetingState:
    """Start the meeting (or a rehearsal of it) at the first agenda item; times spent start from zero."""
    state = state_of(consultation, lock=True)
    before = _snapshot(state)
    now = timezone.now()
    items = consultation.agenda_items.order_by("position")
    items.update(elapsed_seconds=0, extra_minutes=0)
    if rehearsal:
        # A new rehearsal counts who is there afresh; its earlier input stays out of the record as it was.
        Attendance.objects.filter(participant__consultation=consultation, is_rehearsal=True).delete()
    state.current_item = items.first()
    state.item_started_at = now
    state.started_at, state.ended_at = now, None
    state.is_rehearsal = rehearsal
    return _save(state, by=by, step="rehearse" if rehearsal else "start", before=before)


@transaction.atomic
def move(*, consultation: Consultation, by: Any, step: int) -> MeetingState:
    """Make the next (step 1) or previous (step -1) agenda item the current one; nothing beyond either end."""
    state = state_of(consultation, lock=True)
    if not state.is_live or state.current_item is None:
        raise MeetingNotLive
    items = consultation.agenda_items.order_by("position" if step > 0 else "-position")
    position = state.current_item.position
    target = items.filter(position__gt=position) if step > 0 else items.filter(position__lt=position)
    target = target.first()
    if target is None:
        return state
    before = _snapshot(state)
    now = timezone.now()
    _leave_current(state, now)
    state.current_item, state.item_started_at = target, now
    return _save(state, by=by, step="next" if step > 0 else "previous", before=before)


@transaction.atomic
def extend(*, consultation: Consultation, by: Any, minutes: int = 5) -> MeetingState:
    """Give the current item `minutes` more."""
    state = state_of(consultation, lock=True)
    if not state.is_live or state.current_item is None:
        raise MeetingNotLive
    AgendaItem.objects.filter(pk=state.current_item_id).update(extra_minutes=F("extra_minutes") + minutes)
    return _save(state, by=by, step="extend", before=_snapshot(state), minutes=minutes)


@transaction.atomic
def end(*, consultation: Consultation, by: Any) -> MeetingState:
    state = state_of(consultation, lock=True)
    if not state.is_live:
        raise MeetingNotLive
    before = _snapshot(state)
    now = timezone.now()
    _leave_current(state, now)
    state.ended_at = now
    return _save(state, by=by, step="end", before=before)


@transaction.atomic
def keep_rehearsal(*, consultation: Consultation, by: Any) -> int:
    """Take a rehearsal's live points, notes and attendance into the record (e.g. when the "rehearsal" was the
    real meeting). A participant's rehearsal point on an item that already has a real one stays out. Returns
    how many items were kept."""
    points = LivePoint.objects.filter(participant__consultation=consultation, is_rehearsal=True)
    taken = LivePoint.objects.filter(participant__consultation=consultation, is_rehearsal=False).values_list(
        "participant_id", "agenda_item_id"
    )
    clash = set(taken)
    kept_points = [p.pk for p in points if (p.participant_id, p.agenda_item_id) not in clash]
    count = LivePoint.objects.filter(pk__in=kept_points).update(is_rehearsal=False)
    count += RapporteurNote.objects.filter(agenda_item__consultation=consultation, is_rehearsal=True).update(
        is_rehearsal=False
    )
    present = Attendance.objects.filter(participant__consultation=consultation, is_rehearsal=False)
    Attendance.objects.filter(participant__consultation=consultation, is_rehearsal=True).exclude(
        participant__in=present.values("participant")
    ).update(is_rehearsal=False)
    state = state_of(consultation, lock=True)
    state.is_rehearsal = False
    _save(state, by=by, step="keep_rehearsal", before={"is_rehearsal": True}, kept=count)
    return count


def accepts_live_input(state: MeetingState | None, now: datetime | None = None) -> bool:
    if state is None or state.started_at is None:
        return False
    return state.ended_at is None or (now or timezone.now()) <= state.ended_at + GRACE_AFTER_END


def record_attendance(*, participant: Participant, state: MeetingState | None) -> Attendance | None:
    """Note that the participant opened the meeting page, when the meeting (or a rehearsal) is on or its planned
    window is now; an organiser's tick or untick is never overridden."""
    consultation = participant.consultation
    live = state is not None and state.is_live
    if not live and not consultation.is_in_meeting_window():
        return None
    rehearsal = bool(live and state.is_rehearsal)
    try:
        with transaction.atomic():
            attendance, _created = Attendance.objects.get_or_create(
                participant=participant, is_rehearsal=rehearsal
            )
    except IntegrityError:  # two tabs at once: the other one recorded it
        attendance = Attendance.objects.get(participant=participant, is_rehearsal=rehearsal)
    return attendance


@transaction.atomic
def set_attendance(*, participant: Participant, is_present: bool, by: Any) -> Attendance:
    """An organiser ticks or unticks a participant as present at the meeting (not a rehearsal)."""
    attendance, created = Attendance.objects.select_for_update().get_or_create(
        participant=participant,
        is_rehearsal=False,
        defaults={"source": Attendance.Source.MANUAL, "is_present": is_present},
    )
    before = {"is_present": None if created else attendance.is_present}
    if not created and attendance.is_present != is_present:
        attendance.is_present, attendance.source = is_present, Attendance.Source.MANUAL
        attendance.save(update_fields=["is_present", "source"])
    audit.record(
        actor=by,
        action=AuditEvent.Action.ATTENDANCE,
        consultation=participant.consultation,
        obj=participant,
        before=before,
        after={"is_present": is_present},
    )
    return attendance


@transaction.atomic
def save_live_point(
    *, participant: Participant, agenda_item: AgendaItem, text: str, language: str
) -> LivePoint:
    """Keep the participant's point under the agenda item as typed so far; a changed point goes back to the
    moderation queue."""
    state = MeetingState.objects.filter(consultation_id=participant.consultation_id).first()
    if not accepts_live_input(state):
        raise MeetingNotLive
    point, created = LivePoint.objects.select_for_update().get_or_create(
        participant=participant,
        agenda_item=agenda_item,
        is_rehearsal=state.is_rehearsal,
        defaults={"text": text, "language": language},
    )
    if not created and (point.text != text or point.language != language):
        point.text, point.language = text, language
        fields = ["text", "language", "updated_at"]
        if point.status != LivePoint.Status.PENDING or point.is_redacted:
            fields += point.back_to_pending()
        point.save(update_fields=fields)
    return point


@transaction.atomic
def add_note(
    *,
    agenda_item: AgendaItem,
    by: Any,
    kind: str,
    speaker: str,
    text: str,
    participant: Participant | None = None,
    language: str = "",
) -> RapporteurNote:
    """A rapporteur's note, always a row of its own, so that rapporteurs writing at once never overwrite each
    other. A rehearsal's notes are marked as such."""
    state = MeetingState.objects.filter(consultation_id=agenda_item.consultation_id).first()
    note = RapporteurNote(
        agenda_item=agenda_item,
        kind=kind,
        speaker=speaker,
        participant=participant if speaker == RapporteurNote.Speaker.PARTICIPANT else None,
        text=text,
        author=by,
        language=language,
        is_rehearsal=bool(state and state.is_live and state.is_rehearsal),
    )
    note.full_clean()
    note.save()
    return note


@transaction.atomic
def save_summary(*, question: Question, text: str, by: Any) -> QuestionSummary:
    summary, _created = QuestionSummary.objects.select_for_update().get_or_create(question=question)
    before = {"text": summary.text}
    summary.text, summary.updated_by = text, by
    summary.save()
    audit.record(
        actor=by,
        action=AuditEvent.Action.CHANGE,
        consultation=question.consultation,
        obj=summary,
        before=before,
        after={"text": text},
    )
    return summary


@transaction.atomic
def moderate_input(*, items: Any, status: str, by: Any) -> int:
    """Set the moderation status of live points or rapporteur notes; one MODERATE event per item."""
    if status not in LivePoint.Status.values:
        raise ValueError(status)
    chosen = list(items.select_related("agenda_item"))
    updated = items.model.objects.filter(pk__in=[item.pk for item in chosen]).update(
        status=status, moderated_by=by, moderated_at=timezone.now()
    )
    audit.record_each(
        actor=by,
        action=AuditEvent.Action.MODERATE,
        changes=((item, {"status": item.status}, {"status": status}) for item in chosen),
        consultation_of=lambda item: item.agenda_item.consultation_id,
    )
    return updated


@transaction.atomic
def set_input_themes(*, item: LivePoint | RapporteurNote, themes: Any, by: Any) -> bool:
    """Code a live point or note with exactly these themes; returns whether anything changed."""
    themes = list(themes)
    before = sorted(theme.code for theme in item.themes.all())
    item.themes.set(themes)
    after = sorted(theme.code for theme in themes)
    if before == after:
        return False
    audit.record(
        actor=by,
        action=AuditEvent.Action.TAG,
        consultation=item.agenda_item.consultation,
        obj=item,
        before={"themes": before},
        after={"themes": after},
    )
    return True


@transaction.atomic
def set_input_redaction(
    *, item: LivePoint | RapporteurNote, redacted_text: str, reason: str, by: Any
) -> None:
    """Show `redacted_text` instead of the item's words everywhere (empty: the original again); audited."""
    before = item.shown_value()
    if redacted_text:
        item.redacted_text, item.redaction_reason = redacted_text, reason
        item.redacted_by, item.redacted_at = by, timezone.now()
    else:
        item.drop_redaction()
    item.save(update_fields=["redacted_text", "redaction_reason", "redacted_by", "redacted_at"])
    audit.record(
        actor=by,
        action=AuditEvent.Action.REDACT,
        consultation=item.agenda_item.consultation,
        obj=item,
        before={"text": before},
        after={"text": item.shown_value()},
        details={"reason": reason},
    )
