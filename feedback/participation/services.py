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
    QUOTE_MAX_LENGTH,
    Answer,
    Comment,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    ResourceParagraph,
    ResourceSection,
    ResourceVersion,
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


PROFILE_TEXT_FIELDS = ("name", "organisation", "role", "conflict_of_interest")


def save_profile_text(*, participant: Participant, field: str, value: str) -> bool:
    """Store one free-text field of a confirmed profile as it is now (autosave); returns whether it changed.
    The rest of the profile, and the consent, change only through confirm_profile."""
    if field not in PROFILE_TEXT_FIELDS:
        raise ValueError("not a free-text field of the profile")
    if not participant.consultation.is_open():
        raise ConsultationClosed
    if not participant.has_confirmed_profile:
        raise ValueError("profile not confirmed yet")
    if getattr(participant, field) == value:
        return False
    setattr(participant, field, value)
    participant.clean_fields(
        exclude=[name for name in (f.name for f in Participant._meta.fields) if name != field]
    )
    participant.save(update_fields=[field])
    return True


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


QUOTE_CONTEXT = 32  # characters kept before and after a quoted passage, to find it again in a later version


def consultation_version(*, consultation: Consultation, resource: Resource) -> ResourceVersion:
    """The version of the resource that the consultation's participants read: the one chosen for it, else the
    newest."""
    link = ConsultationResource.objects.select_related("version").get(
        consultation=consultation, resource=resource
    )
    return link.version or resource.latest_version()


def check_comment_place(
    *,
    response: Response,
    resource: Resource,
    version: ResourceVersion,
    section: ResourceSection | None,
    paragraph: ResourceParagraph | None,
) -> None:
    """Refuse a place the participant cannot comment on: a resource outside their consultation, a version other
    than the one the consultation uses, a section of another version, a paragraph of another section."""
    consultation = response.participant.consultation
    if version.resource_id != resource.pk:
        raise ValueError("version of another resource")
    if section is not None and (section.resource_id != resource.pk or section.version_id != version.pk):
        raise ValueError("section of another resource or version")
    if paragraph is not None and (section is None or paragraph.section_id != section.pk):
        raise ValueError("paragraph of another section")
    if not resource.consultation_links.filter(consultation_id=consultation.pk).exists():
        raise ValueError("resource of another consultation")
    if consultation_version(consultation=consultation, resource=resource).pk != version.pk:
        raise ValueError("not the version under consultation")


def _check_comment_fields(*, kind: str, text: str, proposed_change: str) -> None:
    # The forms refuse these with a message; the checks here guard every other way in.
    if kind not in Comment.Kind.values:
        raise ValidationError(_("Choose a type of comment."), code="kind")
    if len(text) > COMMENT_MAX_LENGTH or len(proposed_change) > COMMENT_MAX_LENGTH:
        raise ValidationError(_("A comment or proposed change is too long."), code="max_length")
    if not text.strip() and proposed_change.strip():
        raise ValidationError(
            _("Please write your comment as well; the proposed change is saved with it."),
            code="text_required",
        )


def anchored_quote(
    *,
    paragraph: ResourceParagraph | None,
    quote: str,
    quote_prefix: str,
    quote_suffix: str,
    quote_start: int | None,
) -> dict[str, Any]:
    """The quoted passage as stored: checked against the paragraph's text at `quote_start`, with the text around
    it taken from the paragraph (given context must agree with it)."""
    if not quote:
        return {"quote": "", "quote_prefix": "", "quote_suffix": "", "quote_start": None}
    if paragraph is None:
        raise ValidationError(_("A quoted passage must be in a paragraph."), code="quote_paragraph")
    if len(quote) > QUOTE_MAX_LENGTH:
        raise ValidationError(
            _("The quoted passage is too long: quote at most %(max)s characters.")
            % {"max": QUOTE_MAX_LENGTH},
            code="quote_length",
        )
    text = paragraph.text
    if quote_start is None or quote_start < 0 or text[quote_start : quote_start + len(quote)] != quote:
        raise ValidationError(
            _("The quoted passage is not in %(place)s as it reads now: select the words again in the text.")
            % {"place": paragraph.label},
            code="quote_not_found",
        )
    prefix = text[max(0, quote_start - QUOTE_CONTEXT) : quote_start]
    suffix = text[quote_start + len(quote) : quote_start + len(quote) + QUOTE_CONTEXT]
    if not prefix.endswith(quote_prefix) or not suffix.startswith(quote_suffix):
        raise ValidationError(
            _(
                "The text around the quoted passage does not match %(place)s: select the words again in the text."
            )
            % {"place": paragraph.label},
            code="quote_context",
        )
    return {"quote": quote, "quote_prefix": prefix, "quote_suffix": suffix, "quote_start": quote_start}


@transaction.atomic
def add_comment(
    *,
    response: Response,
    resource: Resource,
    version: ResourceVersion,
    section: ResourceSection | None = None,
    paragraph: ResourceParagraph | None = None,
    quote: str = "",
    quote_prefix: str = "",
    quote_suffix: str = "",
    quote_start: int | None = None,
    kind: str,
    text: str,
    proposed_change: str = "",
    language: str = "",
    draft_key: str = "",
) -> Comment:
    """A new comment of the participant on the resource, a section, a paragraph or a passage in it. Several may
    be made at the same place. `draft_key` names the form it comes from: a second add from the same form (its
    autosave and its post crossing) edits the comment the first one made."""
    if not response.participant.consultation.is_open():
        raise ConsultationClosed
    _check_comment_fields(kind=kind, text=text, proposed_change=proposed_change)
    if not text.strip():
        raise ValidationError(_("Please write your comment."), code="text_required")
    check_comment_place(
        response=response, resource=resource, version=version, section=section, paragraph=paragraph
    )
    anchor = anchored_quote(
        paragraph=paragraph,
        quote=quote,
        quote_prefix=quote_prefix,
        quote_suffix=quote_suffix,
        quote_start=quote_start,
    )
    if draft_key:
        made = response.comments.filter(draft_key=draft_key).first()
        if made is not None:
            return edit_comment(
                comment=made, text=text, kind=kind, proposed_change=proposed_change, language=language
            )
    try:
        # A savepoint: a concurrent add from the same form (the unique draft key) becomes an edit, not an error.
        with transaction.atomic():
            comment = Comment.objects.create(
                response=response,
                resource=resource,
                version=version,
                section=section,
                paragraph=paragraph,
                **anchor,
                kind=kind,
                text=text,
                proposed_change=proposed_change,
                language=recorded_language(response.participant, language),
                draft_key=draft_key,
            )
    except IntegrityError:
        made = response.comments.get(draft_key=draft_key)
        return edit_comment(
            comment=made, text=text, kind=kind, proposed_change=proposed_change, language=language
        )
    if response.is_submitted:
        # Made after submitting: on record like any later change.
        Revision.objects.create(comment=comment)
    _touch(response)
    return comment


@transaction.atomic
def edit_comment(
    *, comment: Comment, text: str, kind: str, proposed_change: str, language: str = ""
) -> Comment:
    """The participant's comment as it is now; empty text and proposed change clear it (delete_comment). An
    edited comment goes back to the moderation queue."""
    response = comment.response
    if not response.participant.consultation.is_open():
        raise ConsultationClosed
    _check_comment_fields(kind=kind, text=text, proposed_change=proposed_change)
    # of=self and no ordering: the default ordering joins sections and paragraphs, which PostgreSQL cannot lock
    # on the nullable side of a join. Two tabs saving the same comment take turns.
    current = Comment.objects.select_for_update(of=("self",)).order_by().get(pk=comment.pk)
    if (current.text, current.kind, current.proposed_change) == (text, kind, proposed_change):
        return current
    if response.is_submitted:
        # Edits after submitting are allowed until the deadline, and each one is kept on record.
        Revision.objects.create(
            comment=current,
            previous_text=current.text,
            previous_kind=current.kind,
            previous_proposed_change=current.proposed_change,
        )
    current.text, current.kind, current.proposed_change = text, kind, proposed_change
    current.language = recorded_language(response.participant, language)
    reset = current.back_to_pending()
    current.save(update_fields=["text", "kind", "proposed_change", "language", *reset, "updated_at"])
    _touch(response)
    return current


def delete_comment(*, comment: Comment) -> Comment:
    """Take the comment back: its text and proposed change are cleared, the row and its history are kept."""
    return edit_comment(
        comment=comment, text="", kind=comment.kind, proposed_change="", language=comment.language
    )


def _touch(response: Response) -> None:
    response.last_edited_at = timezone.now()
    response.save(update_fields=["last_edited_at"])


def comments_of(response: Response) -> QuerySet[Comment]:
    """The participant's own non-empty comments, grouped by resource in reading order."""
    return (
        response.comments.non_empty()
        .select_related("resource", "section", "paragraph__section", "version")
        .in_reading_order()
    )


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
