"""Binding a browser to a participant: after the invitation is confirmed, the session remembers which
participant it speaks for in each consultation (by slug), and nothing else about them."""

from django.http import HttpRequest

from feedback.models import Participant

# The session key under which the participants this browser is bound to are kept, per consultation slug.
PARTICIPANT_SESSION_KEY = "feedback_participants"


def bind(request: HttpRequest, participant: Participant) -> None:
    """Bind this browser to the participant, in a new session key: a session id known before the invitation
    was confirmed (fixation) never speaks for anyone."""
    request.session.cycle_key()
    bound = request.session.get(PARTICIPANT_SESSION_KEY, {})
    bound[participant.consultation.slug] = participant.pk
    request.session[PARTICIPANT_SESSION_KEY] = bound


def bound_participant_id(request: HttpRequest, slug: str | None) -> int | None:
    """The id of the participant this browser speaks for in consultation `slug`, if any."""
    if slug is None or not hasattr(request, "session"):
        return None
    return request.session.get(PARTICIPANT_SESSION_KEY, {}).get(slug)


def bound_participant_ids(request: HttpRequest) -> list[int]:
    """Every participant this browser speaks for, in any consultation."""
    return list(request.session.get(PARTICIPANT_SESSION_KEY, {}).values())


def unbind(request: HttpRequest) -> None:
    """Leave on this browser: the whole session goes, and the invitation link is the way back."""
    request.session.flush()
