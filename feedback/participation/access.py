"""Who is asking: the participant a browser is bound to for a consultation (anything else is a 404), their
response, and what every participant page shows about the feedback window."""

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from feedback import i18n, session
from feedback.models import (
    Consultation,
    Participant,
    Response,
)
from feedback.participation import services
from feedback.participation.snapshot import Snapshot, snapshot

# Access helpers: anything the caller may not see is a 404, never a 403 that confirms it exists.


def participant_for(request: HttpRequest, slug: str) -> Participant:
    """The participant this browser session was bound to for consultation `slug`, or 404. Looked up once per
    request: later calls get the same participant (request.participant_snapshot is its consultation's snapshot)."""
    participant_id = session.bound_participant_id(request, slug)
    if participant_id is None:
        raise Http404
    cached = getattr(request, "_participant", None)
    if cached is not None and cached[0] == (participant_id, slug):
        return cached[1]
    participant = (
        Participant.objects.select_related("consultation", "response")
        .filter(pk=participant_id, consultation__slug=slug, consultation__is_published=True, is_revoked=False)
        # Revocation and expiry end a session already bound, not only the link.
        .exclude(invite_expires_at__lte=timezone.now())
        # By primary key: the default ordering (by consultation, then name) would sort one row through a join.
        .order_by("pk")
        .first()
    )
    if participant is None:
        raise Http404
    request.participant_snapshot = snapshot(
        participant.consultation_id, participant.consultation.content_version
    )
    request._participant = ((participant_id, slug), participant)
    i18n.use_participant_language(request, participant)
    return participant


def snapshot_of(request: HttpRequest) -> Snapshot:
    """The snapshot of the consultation of the participant participant_for found for this request."""
    return request.participant_snapshot


def response_for(participant: Participant) -> Response:
    try:
        return participant.response
    except Response.DoesNotExist:
        return services.open_invitation(participant=participant)


def closed_message(consultation: Consultation) -> str | None:
    """Why the participant's input cannot change now, or None while the feedback window is open."""
    if consultation.is_open():
        return None
    with timezone.override(consultation.tz):
        if timezone.now() < consultation.opens_at:
            when = date_format(timezone.localtime(consultation.opens_at), "DATETIME_FORMAT")
            return _("The feedback window opens on %(when)s. Until then these pages are read-only.") % {
                "when": when
            }
        when = date_format(timezone.localtime(consultation.closes_at), "DATETIME_FORMAT")
    return _(
        "The feedback window closed on %(when)s. Your input is kept as you last saved it and can no longer be changed."
    ) % {"when": when}


def page_context(participant: Participant, **extra: object) -> dict[str, object]:
    consultation = participant.consultation
    return {
        "participant": participant,
        "consultation": consultation,
        "closed_message": closed_message(consultation),
        # For the navigation: whether the responses to comments are published (kept in the snapshot).
        "has_responses": lambda: has_published_responses(consultation),
        **extra,
    }


def has_published_responses(consultation: Consultation) -> bool:
    return snapshot(consultation.pk, consultation.content_version).has_published_responses
