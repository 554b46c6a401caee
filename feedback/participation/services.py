"""The participant's writes: opening an invitation, profile and consent, answers, comments, submitting and
the receipt."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from feedback.models import (
    COMMENT_MAX_LENGTH,
    Answer,
    Comment,
    Participant,
    Question,
    Resource,
    ResourceSection,
    Response,
    Revision,
)


class ConsultationClosed(Exception):
    """The feedback window is not open, so participant input cannot change."""


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


def recorded_language(participant: Participant, language: str) -> str:
    """The language recorded with an answer or comment: the caller's, else the one the participant writes in."""
    return language or participant.answer_language or settings.LANGUAGE_CODE


@transaction.atomic
def save_answers(*, response: Response, values: Mapping[Question, Any], language: str = "") -> int:
    """Store the given answers as they are now; returns how many changed. Empty fields clear earlier text.
    `language` is the one they are written in (the view knows the page's); else the participant's own."""
    if not response.participant.consultation.is_open():
        raise ConsultationClosed
    # Lock the response first: an autosave and a form post for the same participant then take turns, so the
    # second sees the answer the first created instead of inserting it again (unique per question). Every
    # writer of a response's answers takes this lock before any answer's, so they cannot deadlock each other.
    # No ORDER BY: one row, and the default ordering would only cost compiling it.
    list(Response.objects.select_for_update().filter(pk=response.pk).order_by().values_list("pk", flat=True))
    # Only the answers being saved (an autosave saves one): the others are neither read nor locked, so a
    # moderator working on them does not wait for this save. Ordered by the answers' own key, never the default
    # ordering: that joins questions, and locking those rows too would make every autosave wait for (and
    # deadlock with) other participants' inserts, whose foreign-key checks take a share lock on them (of=self
    # keeps it so); and a fixed order keeps two lockers of the same answers (a bulk moderation) from deadlocking.
    existing = {
        answer.question_id: answer
        for answer in response.answers.select_for_update(of=("self",))
        .filter(question__in=[question.pk for question in values])
        .order_by("pk")
    }
    changed = 0
    revisions = []
    language = recorded_language(response.participant, language)
    for question, value in values.items():
        fields = _answer_fields(question, value)
        # The forms refuse this with a message; the check here guards every other way in.
        if len(fields["text"]) > question.max_length:
            raise ValidationError("answer too long", code="max_length")
        answer = existing.get(question.pk)
        if answer is None:
            if not fields["text"].strip() and not fields["selected"]:
                continue
            answer = Answer.objects.create(response=response, question=question, language=language, **fields)
            if response.is_submitted:
                revisions.append(Revision(answer=answer))
            changed += 1
        elif answer.text != fields["text"] or answer.selected != fields["selected"]:
            if response.is_submitted:
                # Edits after submitting are allowed until the deadline, and each one is kept on record.
                revisions.append(
                    Revision(answer=answer, previous_text=answer.text, previous_selected=answer.selected)
                )
            answer.text, answer.selected = fields["text"], fields["selected"]
            answer.language = language
            reset = answer.back_to_pending()
            answer.save(update_fields=["text", "selected", "language", *reset, "updated_at"])
            changed += 1
    if revisions:
        Revision.objects.bulk_create(revisions)
    if changed:
        response.last_edited_at = timezone.now()
        response.save(update_fields=["last_edited_at"])
    return changed


def check_comment_place(*, response: Response, resource: Resource, section: ResourceSection | None) -> None:
    """Refuse a resource outside the participant's consultation, or a section of another resource."""
    if section is not None and section.resource_id != resource.pk:
        raise ValueError("section of another resource")
    if not resource.consultation_links.filter(consultation_id=response.participant.consultation_id).exists():
        raise ValueError("resource of another consultation")


@transaction.atomic
def save_comment(
    *, response: Response, resource: Resource, section: ResourceSection | None, text: str, language: str = ""
) -> Comment | None:
    """Store the participant's comment on the resource (or one section of it) as it is now.

    Empty text clears an earlier comment but keeps its row (and its history); returns the comment, or None
    when there was none and the text is empty.
    """
    if not response.participant.consultation.is_open():
        raise ConsultationClosed
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError("comment too long", code="max_length")
    check_comment_place(response=response, resource=resource, section=section)
    place = {"response": response, "resource": resource, "section": section}
    # of=self: the default ordering joins sections, and PostgreSQL cannot lock the nullable side of a join.
    comment = Comment.objects.select_for_update(of=("self",)).filter(**place).first()
    if comment is None:
        if not text.strip():
            return None
        try:
            # A savepoint, so a concurrent first save (two tabs) turns into an update instead of an error.
            with transaction.atomic():
                comment = Comment.objects.create(
                    **place, text=text, language=recorded_language(response.participant, language)
                )
        except IntegrityError:
            comment = Comment.objects.select_for_update(of=("self",)).get(**place)
        else:
            if response.is_submitted:
                Revision.objects.create(comment=comment)
            _touch(response)
            return comment
    if comment.text == text:
        return comment
    if response.is_submitted:
        Revision.objects.create(comment=comment, previous_text=comment.text)
    comment.text = text
    comment.language = recorded_language(response.participant, language)
    # An edited comment goes back to the moderation queue, as if nobody had moderated it yet.
    reset = comment.back_to_pending()
    comment.save(update_fields=["text", "language", *reset, "updated_at"])
    _touch(response)
    return comment


def _touch(response: Response) -> None:
    response.last_edited_at = timezone.now()
    response.save(update_fields=["last_edited_at"])


def comments_of(response: Response) -> QuerySet[Comment]:
    """The participant's own non-empty comments, grouped by resource in reading order."""
    return response.comments.non_empty().select_related("resource", "section").in_reading_order()


def revision_summary(response: Response) -> dict[str, Any]:
    """How many changes the participant made after submitting, and the time of the last one."""
    return Revision.objects.filter(Q(answer__response=response) | Q(comment__response=response)).aggregate(
        count=Count("pk"), last_at=Max("edited_at")
    )


def save_answer(*, response: Response, question: Question, value: Any, language: str = "") -> bool:
    """Store one answer as it is now (autosave); returns whether it changed."""
    if question.consultation_id != response.participant.consultation_id:
        raise ValueError("question of another consultation")
    return bool(save_answers(response=response, values={question: value}, language=language))


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
        "comments": list(comments_of(response)),
    }
    with translation.override(participant.language or settings.LANGUAGE_CODE):
        body = render_to_string("feedback/email/receipt.txt", context)
        subject = _("Receipt: your feedback on %(title)s") % {"title": participant.consultation.title}
    send_mail(subject, body, None, [participant.email])
