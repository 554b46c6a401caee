"""What the meeting pages read: the agenda with its planned times, the "now" the participants' pages poll
(cached, so a poll costs no query while nothing changes), and the console's figures."""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from feedback.meeting.services import now_cache_key, recent_now
from feedback.models import (
    AgendaItem,
    Answer,
    Attendance,
    Consultation,
    LivePoint,
    MeetingState,
    RapporteurNote,
)

# How long a poll answer is kept; a console action drops it at once, this only bounds a stale copy in a cache
# that is not shared between processes (no Redis).
NOW_CACHE_SECONDS = 2
# How long a process answers polls from the copy it read last, without asking the shared cache: 100 followers
# polling every 2 s are 50 polls a second, so most polls are then answered without a Redis round trip (a third of
# a poll's cost), and "next" reaches every page at most this much later (well inside the 5 s it has).
RECENT_SECONDS = 0.5


def now_payload(slug: str, language: str) -> tuple[str, bytes]:
    """(ETag, JSON body) of what the participants' meeting pages show now: one query when not cached."""
    key = now_cache_key(slug, language)
    recent = recent_now.get(key)
    if recent is not None and recent[0] > time.monotonic():
        return recent[1]
    hit = cache.get(key)
    if hit is not None:
        recent_now[key] = (time.monotonic() + RECENT_SECONDS, hit)
        return hit
    state = (
        MeetingState.objects.select_related("current_item__question")
        .filter(consultation__slug=slug)
        .order_by()
        .first()
    )
    data: dict[str, object] = {"state": "waiting", "rehearsal": False, "item": None}
    if state is not None and state.started_at is not None:
        data["state"] = "ended" if state.ended_at else "live"
        data["rehearsal"] = state.is_rehearsal
        item = state.current_item
        if item is not None and state.ended_at is None:
            question = item.question
            data["item"] = {
                "id": item.pk,
                "position": item.position,
                "title": item.title,
                "minutes": item.planned_minutes + item.extra_minutes,
                "question_no": question.number if question else None,
                "question": question.text if question else "",
                "since": state.item_started_at.isoformat() if state.item_started_at else None,
            }
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    cache.set(key, (etag, body), NOW_CACHE_SECONDS)
    return etag, body


@dataclass
class ScheduledItem:
    item: AgendaItem
    starts_at: datetime | None
    ends_at: datetime | None


def schedule(consultation: Consultation) -> list[ScheduledItem]:
    """The agenda with each item's planned start and end, counted from the meeting's start."""
    items = list(consultation.agenda_items.select_related("question").order_by("position"))
    moment = consultation.meeting_starts_at
    rows = []
    for item in items:
        ends = moment + timedelta(minutes=item.planned_minutes) if moment else None
        rows.append(ScheduledItem(item=item, starts_at=moment, ends_at=ends))
        moment = ends
    return rows


@dataclass
class ConsoleItem:
    item: AgendaItem
    is_current: bool
    elapsed_seconds: int
    planned_seconds: int
    live_points: int
    notes: int

    @property
    def is_over(self) -> bool:
        return self.elapsed_seconds > self.planned_seconds


def console_items(consultation: Consultation, state: MeetingState) -> list[ConsoleItem]:
    """Each agenda item with the time spent against the time planned and how much input it has (of this run:
    a rehearsal counts the rehearsal's)."""
    rehearsal = state.is_rehearsal
    items = (
        consultation.agenda_items.order_by("position")
        .select_related("question")
        .annotate(
            point_count=Count(
                "live_points",
                filter=Q(live_points__is_rehearsal=rehearsal) & ~Q(live_points__text=""),
                distinct=True,
            ),
            note_count=Count("spoken_notes", filter=Q(spoken_notes__is_rehearsal=rehearsal), distinct=True),
        )
    )
    now = timezone.now()
    rows = []
    for item in items:
        elapsed = item.elapsed_seconds
        current = item.pk == state.current_item_id and state.is_live
        if current and state.item_started_at:
            elapsed += int((now - state.item_started_at).total_seconds())
        rows.append(
            ConsoleItem(
                item=item,
                is_current=current,
                elapsed_seconds=elapsed,
                planned_seconds=(item.planned_minutes + item.extra_minutes) * 60,
                live_points=item.point_count,
                notes=item.note_count,
            )
        )
    return rows


def attendance(consultation: Consultation, *, rehearsal: bool = False) -> dict[str, object]:
    """Who is present: the count and the organisations (the record's, or a rehearsal's)."""
    present = list(
        Attendance.objects.filter(
            participant__consultation=consultation, is_rehearsal=rehearsal, is_present=True
        ).values_list("participant__organisation", flat=True)
    )
    organisations = sorted({name for name in present if name}, key=str.casefold)
    return {"count": len(present), "organisations": organisations}


def attendance_rows(consultation: Consultation) -> list[tuple[object, Attendance | None]]:
    """Every invited participant with their attendance record of the meeting (None: not seen)."""
    records = {
        a.participant_id: a
        for a in Attendance.objects.filter(participant__consultation=consultation, is_rehearsal=False)
    }
    participants = consultation.participants.filter(is_revoked=False, is_erased=False).order_by("name")
    return [(participant, records.get(participant.pk)) for participant in participants]


def meeting_record(consultation: Consultation) -> list[dict[str, object]]:
    """Per guiding question: its written answers, live points and rapporteur notes side by side, with the
    organisers' summary; items of the agenda without a question come last, under their title."""
    questions = list(consultation.questions.order_by("number").select_related("summary"))
    answers = (
        Answer.objects.filter(question__consultation=consultation)
        .counted()
        .select_related("response__participant")
        .order_by("question__number", "id")
    )
    points = (
        LivePoint.objects.filter(agenda_item__consultation=consultation)
        .counted()
        .select_related("participant", "agenda_item")
        .order_by("agenda_item__position", "id")
    )
    notes = (
        RapporteurNote.objects.filter(agenda_item__consultation=consultation)
        .counted()
        .select_related("participant", "agenda_item")
        .order_by("agenda_item__position", "id")
    )
    by_question: dict[int | None, dict[str, list]] = {}
    for question in questions:
        by_question[question.pk] = {"answers": [], "points": [], "notes": []}
    by_question[None] = {"answers": [], "points": [], "notes": []}
    items = {item.pk: item for item in consultation.agenda_items.all()}
    for answer in answers:
        by_question[answer.question_id]["answers"].append(answer)
    for point in points:
        by_question.setdefault(items[point.agenda_item_id].question_id, by_question[None])["points"].append(
            point
        )
    for note in notes:
        by_question.setdefault(items[note.agenda_item_id].question_id, by_question[None])["notes"].append(
            note
        )
    rows = []
    for question in questions:
        summary = getattr(question, "summary", None)
        rows.append(
            {"question": question, "summary": summary.text if summary else "", **by_question[question.pk]}
        )
    rest = by_question[None]
    if rest["points"] or rest["notes"]:
        rows.append({"question": None, "summary": "", **rest})
    return rows
