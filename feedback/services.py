"""Writes that span several models: invitations, saving answers, submitting, moderation."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import Answer, Participant, Question, Response


class ConsultationClosed(Exception):
    """The feedback window is not open, so participant input cannot change."""


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


def send_invitation(*, participant: Participant) -> None:
    url = issue_invite(participant=participant)
    context = {"participant": participant, "consultation": participant.consultation, "url": url}
    body = render_to_string("feedback/email/invitation.txt", context)
    subject = _("Invitation: %(title)s") % {"title": participant.consultation.title}
    transaction.on_commit(lambda: send_mail(subject, body, None, [participant.email]))


def open_invitation(*, participant: Participant) -> Response:
    """Record that the participant confirmed their invitation and make sure they have a response to fill."""
    with transaction.atomic():
        if participant.first_opened_at is None:
            Participant.objects.filter(pk=participant.pk, first_opened_at__isnull=True).update(
                first_opened_at=timezone.now()
            )
        response, _created = Response.objects.get_or_create(participant=participant)
    return response


def confirm_profile(*, participant: Participant, fields: Mapping[str, Any]) -> None:
    if not participant.consultation.is_open():
        raise ConsultationClosed
    for name, value in fields.items():
        setattr(participant, name, value)
    if participant.consented_at is None:
        participant.consented_at = timezone.now()
    participant.full_clean()
    participant.save()


def _answer_fields(question: Question, value: Any) -> dict[str, Any]:
    if question.kind == Question.Kind.MULTIPLE_CHOICE:
        return {"text": "", "selected": list(value or [])}
    if question.kind in (Question.Kind.SCALE, Question.Kind.SINGLE_CHOICE, Question.Kind.YES_NO):
        return {"text": "", "selected": [str(value)] if value not in (None, "") else []}
    return {"text": value or "", "selected": []}


@transaction.atomic
def save_answers(*, response: Response, values: Mapping[Question, Any]) -> int:
    """Store the given answers as they are now; returns how many changed. Empty fields clear earlier text."""
    if not response.participant.consultation.is_open():
        raise ConsultationClosed
    existing = {answer.question_id: answer for answer in response.answers.select_for_update()}
    changed = 0
    for question, value in values.items():
        fields = _answer_fields(question, value)
        answer = existing.get(question.pk)
        if answer is None:
            if not fields["text"].strip() and not fields["selected"]:
                continue
            Answer.objects.create(response=response, question=question, **fields)
            changed += 1
        elif answer.text != fields["text"] or answer.selected != fields["selected"]:
            answer.text, answer.selected = fields["text"], fields["selected"]
            # An edited answer goes back to the moderation queue, as if nobody had moderated it yet.
            answer.status = Answer.Status.PENDING
            answer.moderated_by, answer.moderated_at = None, None
            answer.save(
                update_fields=["text", "selected", "status", "moderated_by", "moderated_at", "updated_at"]
            )
            changed += 1
    if changed:
        response.last_edited_at = timezone.now()
        response.save(update_fields=["last_edited_at"])
    return changed


def missing_required(response: Response) -> list[Question]:
    answered = {a.question_id for a in response.answers.all() if not a.is_empty}
    questions = response.participant.consultation.questions.filter(is_required=True)
    return [q for q in questions if q.pk not in answered]


def submit_response(*, response: Response) -> bool:
    """Mark the response submitted and mail a receipt. Returns False when it already was (double clicks)."""
    participant = response.participant
    if not participant.consultation.is_open():
        raise ConsultationClosed
    now = timezone.now()
    with transaction.atomic():
        # A conditional UPDATE is atomic in the database, so concurrent submits record one submission.
        first = bool(
            Response.objects.filter(pk=response.pk, status=Response.Status.DRAFT).update(
                status=Response.Status.SUBMITTED, submitted_at=now, last_edited_at=now
            )
        )
        if first:
            response.refresh_from_db()
            transaction.on_commit(lambda: send_receipt(response=response))
    return first


def send_receipt(*, response: Response) -> None:
    participant = response.participant
    answers = response.answers.select_related("question").order_by("question__number")
    context = {
        "participant": participant,
        "consultation": participant.consultation,
        "response": response,
        "answers": [a for a in answers if not a.is_empty],
    }
    body = render_to_string("feedback/email/receipt.txt", context)
    subject = _("Receipt: your feedback on %(title)s") % {"title": participant.consultation.title}
    send_mail(subject, body, None, [participant.email])


def moderate_answers(*, answers: QuerySet[Answer] | Iterable[Answer], status: str, by: Any) -> int:
    """Set the moderation status of many answers at once; returns how many rows changed."""
    if status not in Answer.Status.values:
        raise ValueError(status)
    if not isinstance(answers, QuerySet):
        answers = Answer.objects.filter(pk__in=[a.pk for a in answers])
    return answers.update(status=status, moderated_by=by, moderated_at=timezone.now())
