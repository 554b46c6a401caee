"""The participants' meeting: the agenda and join link, the calendar file, the live page that follows the
moderator (polled), and live points saved as they are typed."""

import json
import re
import time

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from feedback import i18n, session
from feedback.limits import rate_limited
from feedback.meeting import live, services
from feedback.meeting.forms import live_point_field
from feedback.models import LIVE_POINT_MAX_LENGTH, MeetingState
from feedback.organising import calendar
from feedback.participation.access import page_context, participant_for

# How often the live page asks what is on now (milliseconds); the page reads it from a data attribute.
POLL_INTERVAL_MS = 2000
# A participant's right to poll is checked against the database this often at most (seconds).
POLL_CHECK_SECONDS = 60
# How long a poll remembers that its participant's attendance is recorded: longer than any meeting.
ATTENDED_SECONDS = 24 * 60 * 60


@require_GET
def meeting(request: HttpRequest, slug: str) -> HttpResponse:
    """The meeting page: before the meeting the agenda and its times, during it the current item and a field
    for a short point; opening it while the meeting is on records the participant as present."""
    participant = participant_for(request, slug)
    consultation = participant.consultation
    state = MeetingState.objects.filter(consultation=consultation).select_related("current_item").first()
    services.record_attendance(participant=participant, state=state)
    rows = live.schedule(consultation)
    points = {
        p.agenda_item_id: p
        for p in participant.live_points.filter(is_rehearsal=bool(state and state.is_rehearsal))
    }
    blocks = [
        {"item": row.item, "name": f"live{row.item.pk}", "point": points.get(row.item.pk)} for row in rows
    ]
    saved_times = json.dumps(
        {f"live{item_id}": point.updated_at.isoformat() for item_id, point in points.items()}
    )
    etag, body = live.now_payload(slug, get_language())
    context = page_context(
        participant,
        schedule=rows,
        blocks=blocks,
        state=state,
        now=json.loads(body),
        etag=etag,
        accepts_input=services.accepts_live_input(state),
        poll_interval=POLL_INTERVAL_MS,
        max_length=LIVE_POINT_MAX_LENGTH,
        saved_times=saved_times,
        tz_name=consultation.time_zone,
    )
    return render(request, "feedback/meeting.html", context)


class Flags:
    """What a poll has already checked for a participant (may they poll, is their attendance recorded), kept in
    this process until it expires. Not in the shared cache: each was a Redis round trip on every poll, half of the
    poll's cost, and each process checking once for itself is as right (a revoked participant still stops within
    POLL_CHECK_SECONDS; recording attendance twice records it once)."""

    LIMIT = 100_000  # past it (some thousands of participants polling), start again rather than grow

    def __init__(self) -> None:
        self._until: dict[tuple, float] = {}

    def __contains__(self, key: tuple) -> bool:
        until = self._until.get(key)
        return until is not None and until > time.monotonic()

    def set(self, key: tuple, seconds: float) -> None:
        if len(self._until) >= self.LIMIT:
            self._until.clear()
        self._until[key] = time.monotonic() + seconds

    def clear(self) -> None:
        self._until.clear()


flags = Flags()


def _may_poll(request: HttpRequest, slug: str) -> bool:
    """Whether this browser speaks for a participant of `slug`: from the session, with the database asked at
    most once a minute per participant and process (a revoked participant stops within that minute)."""
    participant_id = session.bound_participant_id(request, slug)
    if participant_id is None:
        return False
    key = ("may-poll", slug, participant_id)
    if key in flags:
        return True
    participant_for(request, slug)  # 404 when no longer valid
    flags.set(key, POLL_CHECK_SECONDS)
    return True


def _note_attendance(request: HttpRequest, slug: str, body: bytes) -> None:
    """Record the polling participant as present, as opening the page does: once per participant and meeting
    (or rehearsal) in each process, so later polls cost no query. Outside the meeting the check against its
    planned window runs at most once a minute per participant and process."""
    participant_id = session.bound_participant_id(request, slug)
    now = json.loads(body)
    running = now["state"] == "live"
    done_key = ("attended", slug, participant_id, running and now["rehearsal"])
    quiet_key = ("not-attending", slug, participant_id)
    if done_key in flags or (not running and quiet_key in flags):
        return
    participant = participant_for(request, slug)
    state = MeetingState.objects.filter(consultation=participant.consultation).first()
    if services.record_attendance(participant=participant, state=state) is None:
        flags.set(quiet_key, POLL_CHECK_SECONDS)
    else:
        flags.set(done_key, ATTENDED_SECONDS)


@never_cache
@require_GET
def meeting_now(request: HttpRequest, slug: str) -> HttpResponse:
    """What is on now, as JSON, for the live page's poll; 304 when it has not changed since the caller's copy
    (If-None-Match). No template, and no query while the answer is cached."""
    if not _may_poll(request, slug):
        raise Http404
    etag, body = live.now_payload(slug, get_language())
    _note_attendance(request, slug, body)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    return response


@require_GET
def meeting_ics(request: HttpRequest, slug: str) -> HttpResponse:
    """The meeting as a calendar file, for the consultation's participants only."""
    participant = participant_for(request, slug)
    consultation = participant.consultation
    if not calendar.has_meeting(consultation):
        raise Http404
    response = HttpResponse(calendar.meeting_ics(consultation), content_type=calendar.ICS_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{consultation.slug}-meeting.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_POST
@rate_limited("autosave", as_json=True)
def live_autosave(request: HttpRequest, slug: str) -> JsonResponse:
    """Save the participant's live point on one agenda item while they type: `field` ("live<item id>") and its
    text, as the guiding questions' autosave does."""
    participant = participant_for(request, slug)
    if not participant.has_confirmed_profile:
        return _error(_("Please confirm your profile and how you may be quoted first."), 409)
    name = request.POST.get("field", "")
    match = re.fullmatch(r"live([0-9]{1,9})", name)
    item = (
        participant.consultation.agenda_items.filter(pk=int(match[1])).order_by().first() if match else None
    )
    if item is None:
        return _error(_("This is not an item of this meeting's agenda."), 400)
    field = live_point_field()
    try:
        text = field.clean(request.POST.get(name, ""))
    except ValidationError as error:
        return _error(" ".join(error.messages), 400)
    try:
        services.save_live_point(
            participant=participant, agenda_item=item, text=text, language=i18n.answer_language(participant)
        )
    except services.MeetingNotLive:
        return _error(_("The meeting is not running: points can only be written while it runs."), 409)
    now = timezone.now()
    with timezone.override(participant.consultation.tz):
        saved_at = date_format(timezone.localtime(now), "TIME_FORMAT")
    return JsonResponse({"saved_at": saved_at, "saved_at_iso": now.isoformat()})
