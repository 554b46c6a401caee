"""Who may see what, as the organising team's permissions say: identities, and participants' answers."""

from django.http import HttpRequest


def sees_identities(request: HttpRequest) -> bool:
    """Moderators and analysts work on pseudonyms: only those who may view participants see their names."""
    return request.user.has_perm("feedback.view_participant")


def reads_answers(request: HttpRequest, perm: str = "feedback.view_answer") -> bool:
    """Staff who may read participants' answers (organisers, moderators, analysts), or hold `perm` where an
    action needs more."""
    return request.user.is_staff and request.user.has_perm(perm)
