"""Invitations: links (only their hash is stored), mail, revocation, expiry, invitee import and reminders."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from feedback import audit
from feedback.models import (
    AuditEvent,
    Consultation,
    Participant,
    Response,
)
from feedback.organising import calendar
from feedback.organising.invitees import Invitee


def invite_url(token: str) -> str:
    return settings.SITE_URL + reverse("feedback:invite", args=[token])


@transaction.atomic
def issue_invite(*, participant: Participant) -> str:
    """Give the participant a new invitation link (the old one stops working) and return its absolute URL."""
    token = participant.issue_token()
    if participant.invite_expires_at and participant.invite_expires_at <= timezone.now():
        # Re-inviting someone whose link expired must send a link that works.
        participant.invite_expires_at = None
    participant.save(update_fields=["token_hash", "invited_at", "invite_expires_at"])
    return invite_url(token)


@transaction.atomic
def send_invitation(*, participant: Participant, by: Any = None) -> None:
    """Mail the participant a fresh link and record the invitation (never the link) in the audit trail."""
    invited_before = participant.invited_at
    url = issue_invite(participant=participant)
    audit.record(
        actor=by,
        action=AuditEvent.Action.INVITE,
        consultation=participant.consultation,
        obj=participant,
        before={"invited_at": audit.iso(invited_before)},
        after={"invited_at": audit.iso(participant.invited_at)},
    )
    context = {"participant": participant, "consultation": participant.consultation, "url": url}
    with translation.override(participant.language or settings.LANGUAGE_CODE):
        body = render_to_string("feedback/email/invitation.txt", context)
        subject = _("Invitation: %(title)s") % {"title": participant.consultation.title}
    message = EmailMessage(subject, body, None, [participant.email])
    if calendar.has_meeting(participant.consultation):
        # The meeting in the invitee's calendar: the same entry (UID) as /c/<slug>/meeting.ics.
        message.attach(
            "meeting.ics", calendar.meeting_ics(participant.consultation), calendar.ICS_CONTENT_TYPE
        )
    transaction.on_commit(message.send)


@transaction.atomic
def revoke_invitations(*, participants: QuerySet[Participant], by: Any = None) -> int:
    """Make the participants' links stop working; one REVOKE event each, in constant queries."""
    chosen = list(participants)
    revoked = Participant.objects.filter(pk__in=[p.pk for p in chosen]).update(is_revoked=True)
    audit.record_each(
        actor=by,
        action=AuditEvent.Action.REVOKE,
        changes=((p, {"is_revoked": p.is_revoked}, {"is_revoked": True}) for p in chosen),
        consultation_of=lambda p: p.consultation_id,
    )
    return revoked


# Invitees, expiry, reminders and duplication (the organisers' invitation workspace)


@transaction.atomic
def import_invitees(
    *, consultation: Consultation, rows: Sequence[Invitee], by: Any, send: bool = False
) -> list[Participant]:
    """Add validated invitees to the consultation in one transaction; optionally mail their links now.

    Raises IntegrityError when someone with one of these emails was added since the rows were validated.
    """
    participants = Participant.objects.bulk_create(
        [Participant(consultation=consultation, **row.participant_fields()) for row in rows]
    )
    audit.record(
        actor=by,
        action=AuditEvent.Action.IMPORT,
        consultation=consultation,
        obj=consultation,
        count=len(participants),
        details={"participants": [p.pk for p in participants], "sent": send},
    )
    if send:
        for participant in participants:
            send_invitation(participant=participant, by=by)
    return participants


@transaction.atomic
def set_invite_expiry(*, participants: QuerySet[Participant], expires_at: Any, by: Any) -> int:
    """Set (or with None, clear) when the participants' links stop working; one CHANGE event each."""
    chosen = list(
        participants.select_related(None).only(
            "pk", "name", "organisation", "consultation", "invite_expires_at"
        )
    )
    Participant.objects.filter(pk__in=[p.pk for p in chosen]).update(invite_expires_at=expires_at)
    audit.record_each(
        actor=by,
        action=AuditEvent.Action.CHANGE,
        changes=(
            (
                p,
                {"invite_expires_at": audit.iso(p.invite_expires_at)},
                {"invite_expires_at": audit.iso(expires_at)},
            )
            for p in chosen
        ),
        consultation_of=lambda p: p.consultation_id,
    )
    return len(chosen)


def send_reminder(*, participant: Participant, now: datetime, min_interval: timedelta) -> bool:
    """Mail the participant a fresh link and a reminder of the deadline, unless someone else just did.

    Returns whether this call sent it: the conditional UPDATE claims the participant, so of two concurrent
    runs (two cron hosts, a manual run) only the one whose UPDATE matched sends.
    """
    with transaction.atomic():
        # The claim checks again what may have changed since the list was read: a submit, a revocation.
        claimed = (
            Participant.objects.filter(pk=participant.pk, is_revoked=False)
            .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - min_interval))
            .exclude(response__status=Response.Status.SUBMITTED)
            .update(reminded_at=now)
        )
        if not claimed:
            return False
        before = participant.reminded_at
        participant.reminded_at = now
        url = issue_invite(participant=participant)
        consultation = participant.consultation
        audit.record(
            actor=None,
            action=AuditEvent.Action.REMIND,
            consultation=consultation,
            obj=participant,
            before={"reminded_at": audit.iso(before)},
            after={"reminded_at": audit.iso(now)},
        )
        with translation.override(participant.language or settings.LANGUAGE_CODE):
            with timezone.override(consultation.tz):
                deadline = date_format(timezone.localtime(consultation.closes_at), "DATETIME_FORMAT")
            context = {
                "participant": participant,
                "consultation": consultation,
                "url": url,
                "deadline": deadline,
            }
            body = render_to_string("feedback/email/reminder.txt", context)
            subject = _("Reminder: %(title)s closes on %(deadline)s") % {
                "title": consultation.title,
                "deadline": deadline,
            }
        transaction.on_commit(lambda: send_mail(subject, body, None, [participant.email]))
    return True
