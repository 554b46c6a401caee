"""Writes that span several models: invitations, saving answers, submitting, moderation."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import CharField, Count, Max, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from feedback import audit, i18n
from feedback.invitees import Invitee
from feedback.models import (
    COMMENT_MAX_LENGTH,
    Answer,
    AuditEvent,
    Comment,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    ResourceSection,
    Response,
    Revision,
    Theme,
)


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
        before={"invited_at": _iso(invited_before)},
        after={"invited_at": _iso(participant.invited_at)},
    )
    context = {"participant": participant, "consultation": participant.consultation, "url": url}
    with translation.override(participant.language or settings.LANGUAGE_CODE):
        body = render_to_string("feedback/email/invitation.txt", context)
        subject = _("Invitation: %(title)s") % {"title": participant.consultation.title}
    transaction.on_commit(lambda: send_mail(subject, body, None, [participant.email]))


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


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


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


REDACTION_FIELDS = ("redacted_text", "redaction_reason", "redacted_by", "redacted_at")


def _drop_redaction(item: Answer | Comment) -> None:
    item.redacted_text, item.redaction_reason = "", ""
    item.redacted_by, item.redacted_at = None, None


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
    language = i18n.answer_language(response.participant)
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
            # An edited answer goes back to the moderation queue, as if nobody had moderated it yet.
            answer.status = Answer.Status.PENDING
            answer.moderated_by, answer.moderated_at = None, None
            # A redaction was of words that are gone now; the moderator redacts the new text if need be.
            _drop_redaction(answer)
            answer.save(
                update_fields=[
                    "text",
                    "selected",
                    "language",
                    "status",
                    "moderated_by",
                    "moderated_at",
                    *REDACTION_FIELDS,
                    "updated_at",
                ]
            )
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
    *, response: Response, resource: Resource, section: ResourceSection | None, text: str
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
                    **place, text=text, language=i18n.answer_language(response.participant)
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
    comment.language = i18n.answer_language(response.participant)
    # An edited comment goes back to the moderation queue, as if nobody had moderated it yet.
    comment.status = Comment.Status.PENDING
    comment.moderated_by, comment.moderated_at = None, None
    _drop_redaction(comment)
    comment.save(
        update_fields=[
            "text",
            "language",
            "status",
            "moderated_by",
            "moderated_at",
            *REDACTION_FIELDS,
            "updated_at",
        ]
    )
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


def save_answer(*, response: Response, question: Question, value: Any) -> bool:
    """Store one answer as it is now (autosave); returns whether it changed."""
    if question.consultation_id != response.participant.consultation_id:
        raise ValueError("question of another consultation")
    return bool(save_answers(response=response, values={question: value}))


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


def moderate_answers(*, answers: QuerySet[Answer] | Iterable[Answer], status: str, by: Any) -> int:
    """Set the moderation status of many answers at once; returns how many rows changed."""
    if status not in Answer.Status.values:
        raise ValueError(status)
    if not isinstance(answers, QuerySet):
        answers = Answer.objects.filter(pk__in=[a.pk for a in answers])
    # str(answer) names the question number, and the trail files each event under its consultation.
    return _moderate(answers.select_related("question", "response__participant"), status=status, by=by)


def moderate_comments(*, comments: QuerySet[Comment] | Iterable[Comment], status: str, by: Any) -> int:
    """Set the moderation status of many comments at once; returns how many rows changed."""
    if status not in Comment.Status.values:
        raise ValueError(status)
    if not isinstance(comments, QuerySet):
        comments = Comment.objects.filter(pk__in=[c.pk for c in comments])
    return _moderate(comments.select_related("response__participant"), status=status, by=by)


@transaction.atomic
def _moderate(items: QuerySet[Answer] | QuerySet[Comment], *, status: str, by: Any) -> int:
    """Update the items' status and record one MODERATE event per item: three queries whatever the number."""
    chosen = list(items)
    updated = items.model.objects.filter(pk__in=[item.pk for item in chosen]).update(
        status=status, moderated_by=by, moderated_at=timezone.now()
    )
    audit.record_each(
        actor=by,
        action=AuditEvent.Action.MODERATE,
        changes=((item, {"status": item.status}, {"status": status}) for item in chosen),
        consultation_of=lambda item: item.response.participant.consultation_id,
    )
    return updated


REDACTED = "[redacted]"


def _locked(item: Answer | Comment) -> Answer | Comment:
    # of=self: the default orderings join other tables, and PostgreSQL cannot lock the nullable side of a join.
    return (
        type(item)
        .objects.select_for_update(of=("self",))
        .select_related("response__participant__consultation")
        .get(pk=item.pk)
    )


def _copy_redaction(source: Answer | Comment, target: Answer | Comment) -> None:
    for name in REDACTION_FIELDS:
        setattr(target, name, getattr(source, name))


@transaction.atomic
def redact(*, item: Answer | Comment, passage: str, reason: str, by: Any) -> None:
    """Replace every occurrence of the passage in what the item shows with [redacted], keeping the original.

    The participant's own words stay in `text` (the audit trail and the participant still see them); the
    redacted text is what the queues and every export show instead.
    """
    if not passage.strip():
        raise ValidationError(_("Give the passage to redact."), code="passage_required")
    if not reason.strip():
        raise ValidationError(_("Give a reason for the redaction."), code="reason_required")
    current = _locked(item)
    shown = current.shown_value()
    if passage not in shown:
        raise ValidationError(
            _("The passage does not occur in the text as it is shown now."), code="passage_not_found"
        )
    current.redacted_text = shown.replace(passage, REDACTED)
    reason = reason.strip()
    current.redaction_reason = f"{current.redaction_reason}\n{reason}" if current.redaction_reason else reason
    current.redacted_by, current.redacted_at = by, timezone.now()
    current.save(update_fields=list(REDACTION_FIELDS))
    _copy_redaction(current, item)
    audit.record(
        actor=by,
        action=AuditEvent.Action.REDACT,
        consultation=current.response.participant.consultation,
        obj=current,
        before={"text": shown},
        after={"text": current.redacted_text},
        details={"reason": reason},
    )


@transaction.atomic
def clear_redaction(*, item: Answer | Comment, by: Any) -> None:
    """Show the participant's original words again; the trail keeps what was redacted and why."""
    current = _locked(item)
    if not current.is_redacted:
        return
    shown = current.shown_value()
    reasons = current.redaction_reason
    _drop_redaction(current)
    current.save(update_fields=list(REDACTION_FIELDS))
    _copy_redaction(current, item)
    audit.record(
        actor=by,
        action=AuditEvent.Action.REDACT,
        consultation=current.response.participant.consultation,
        obj=current,
        before={"text": shown},
        after={"text": current.display_value()},
        details={"cleared": True, "reasons": reasons},
    )


def _theme_codes(themes: Iterable[Theme]) -> list[str]:
    return sorted(theme.code for theme in themes)


@transaction.atomic
def tag(
    *,
    items: QuerySet[Answer] | QuerySet[Comment] | Iterable[Answer | Comment],
    themes: Iterable[Theme],
    by: Any,
    remove: bool = False,
) -> int:
    """Add the themes to (or remove them from) many answers or comments; returns how many items changed.

    A theme is only ever added to an item whose consultation codes with the theme's code book. Five queries
    whatever the number of items: the items, their current themes, one write, one audit INSERT.
    """
    themes = list(themes)
    if not isinstance(items, QuerySet):
        items = list(items)
        if not items:
            return 0
        items = type(items[0]).objects.filter(pk__in=[item.pk for item in items])
    model = items.model
    through = model.themes.through
    item_field = f"{model._meta.model_name}_id"
    # str(answer) names its question; the consultation gives the code book and files the audit events.
    related = ["question"] if model is Answer else []
    chosen = list(items.select_related(*related, "response__participant__consultation").order_by())
    by_pk = {item.pk: item for item in chosen}
    before: dict[int, set[str]] = {pk: set() for pk in by_pk}
    current: set[tuple[int, int]] = set()
    links = through.objects.filter(**{f"{item_field}__in": list(by_pk)}).select_related("theme")
    for link in links:
        before[getattr(link, item_field)].add(link.theme.code)
        current.add((getattr(link, item_field), link.theme_id))
    if remove:
        pairs = {(pk, theme.pk) for pk in by_pk for theme in themes} & current
        theme_pks = [theme.pk for theme in themes]
        if pairs:
            through.objects.filter(**{f"{item_field}__in": list(by_pk), "theme_id__in": theme_pks}).delete()
    else:
        pairs = {
            (item.pk, theme.pk)
            for item in chosen
            for theme in themes
            if theme.codebook_id == item.response.participant.consultation.codebook_id
        } - current
        through.objects.bulk_create(
            [through(**{item_field: pk, "theme_id": theme_pk}) for pk, theme_pk in pairs],
            ignore_conflicts=True,
        )
    code_of = {theme.pk: theme.code for theme in themes}
    after = {pk: set(codes) for pk, codes in before.items()}
    for pk, theme_pk in pairs:
        if remove:
            after[pk].discard(code_of[theme_pk])
        else:
            after[pk].add(code_of[theme_pk])
    changed = [pk for pk in by_pk if after[pk] != before[pk]]
    audit.record_each(
        actor=by,
        action=AuditEvent.Action.TAG,
        changes=(
            (by_pk[pk], {"themes": sorted(before[pk])}, {"themes": sorted(after[pk])}) for pk in changed
        ),
        consultation_of=lambda item: item.response.participant.consultation_id,
        details={"remove": remove},
    )
    return len(changed)


@transaction.atomic
def set_themes(*, item: Answer | Comment, themes: Iterable[Theme], by: Any) -> bool:
    """Tag one item with exactly these themes (the change form); returns whether anything changed."""
    themes = list(themes)
    before = _theme_codes(item.themes.all())
    item.themes.set(themes)
    after = _theme_codes(themes)
    if before == after:
        return False
    audit.record(
        actor=by,
        action=AuditEvent.Action.TAG,
        consultation=item.response.participant.consultation,
        obj=item,
        before={"themes": before},
        after={"themes": after},
    )
    return True


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
            (p, {"invite_expires_at": _iso(p.invite_expires_at)}, {"invite_expires_at": _iso(expires_at)})
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
            before={"reminded_at": _iso(before)},
            after={"reminded_at": _iso(now)},
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


def _free_copy_slug(slug: str) -> str:
    max_length = Consultation._meta.get_field("slug").max_length
    base = f"{slug[: max_length - len('-copy-999')]}-copy"
    taken = set(Consultation.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@transaction.atomic
def duplicate_consultation(*, consultation: Consultation, by: Any) -> Consultation:
    """Start the next consultation of a series: the same set-up, unpublished, without participants."""
    original_pk = consultation.pk
    copy = Consultation.objects.get(pk=original_pk)
    title_max = Consultation._meta.get_field("title").max_length
    # Every language the title is written in says "(copy)", each in its own words.
    for code, _name in settings.LANGUAGES:
        original = getattr(consultation, f"title_{code}", None)
        if not original:
            continue
        with translation.override(code):
            title = _("%(title)s (copy)") % {"title": original}
            if len(title) > title_max:
                title = _("%(title)s (copy)") % {"title": original[: title_max - len(title)]}
        setattr(copy, f"title_{code}", title)
    copy.is_published = False
    copy.pk = None
    copy._state.adding = True
    for _attempt in range(3):
        copy.slug = _free_copy_slug(consultation.slug)
        try:
            # A savepoint, so a concurrent duplicate taking the same slug makes this try the next one.
            with transaction.atomic():
                copy.save()
            break
        except IntegrityError:
            copy.pk = None
            copy._state.adding = True
    else:
        raise IntegrityError("no free slug for the copy")
    ConsultationResource.objects.bulk_create(
        ConsultationResource(consultation=copy, resource_id=link.resource_id, position=link.position)
        for link in ConsultationResource.objects.filter(consultation_id=original_pk)
    )
    questions = list(Question.objects.filter(consultation_id=original_pk).order_by("number"))
    originals = [question.pk for question in questions]
    for question in questions:
        question.pk = None
        question._state.adding = True
        question.consultation = copy
    Question.objects.bulk_create(questions)
    for field in Question._meta.many_to_many:
        # Any link a question gains later (e.g. to themes) follows it into the copy.
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        new_pk = {old: new.pk for old, new in zip(originals, questions, strict=True)}
        through.objects.bulk_create(
            through(**{f"{source}_id": new_pk[row[source]], f"{target}_id": row[target]})
            for row in through.objects.filter(**{f"{source}__in": originals}).values(source, target)
        )
    audit.record(
        actor=by,
        action=AuditEvent.Action.DUPLICATE,
        consultation=copy,
        obj=copy,
        details={"from": original_pk, "from_slug": consultation.slug},
    )
    return copy


# Retention and erasure

ERASED = "[erased]"
ERASED_NAME = "Erased participant"


def _scrubbed(values: Mapping[str, Any]) -> dict[str, Any]:
    # Keeps which fields an event touched, and its flags and counts; drops any text, which could quote them.
    return {
        key: value if value is None or isinstance(value, bool | int | float) else ERASED
        for key, value in values.items()
    }


def _erase(participants: QuerySet[Participant], *, now: datetime) -> int:
    """Anonymise the participants in place, their words and what the audit trail recorded about them.

    Rows stay (answers, comments and revisions point at them with PROTECT); what named them or quoted them
    goes. A constant number of queries, plus one per 500 audit events about them.
    """
    # Subqueries, not lists of ids: a consultation's answers can outnumber SQLite's limit on query parameters.
    # Everything is selected through `targets`, which stops matching once the participants are marked erased,
    # so the participants themselves are updated last.
    targets = Participant.objects.filter(pk__in=participants.filter(is_erased=False).values("pk"))
    if not targets.exists():
        return 0
    responses = Response.objects.filter(participant__in=targets)
    answers = Answer.objects.filter(response__in=responses)
    comments = Comment.objects.filter(response__in=responses)
    no_words = {"moderator_note": "", "redacted_text": "", "redaction_reason": ""}
    Revision.objects.filter(Q(answer__in=answers) | Q(comment__in=comments)).update(
        previous_text="", previous_selected=[]
    )
    Answer.themes.through.objects.filter(answer__in=answers).delete()
    Comment.themes.through.objects.filter(comment__in=comments).delete()
    answers.update(text="", selected=[], **no_words)
    comments.update(text="", organiser_reply="", **no_words)
    about = {"participant": targets, "response": responses, "answer": answers, "comment": comments}

    def keys(items: QuerySet) -> QuerySet:
        return items.order_by().annotate(key=Cast("pk", CharField())).values("key")

    about_them = Q()
    for object_type, items in about.items():
        about_them |= Q(object_type=object_type, object_id__in=keys(items))
    events = list(AuditEvent.objects.filter(about_them).only("object_repr", "before", "after", "details"))
    for event in events:
        event.object_repr = ERASED
        event.before, event.after = _scrubbed(event.before), _scrubbed(event.after)
        event.details = _scrubbed(event.details)
    AuditEvent.objects.bulk_update(events, ["object_repr", "before", "after", "details"], batch_size=500)
    # Django's own admin log names what an organiser edited, e.g. "Alice Martin (Sentinel Analytics)".
    about_them_in_log = Q()
    for items in about.values():
        content_type = ContentType.objects.get_for_model(items.model)
        about_them_in_log |= Q(content_type=content_type, object_id__in=keys(items))
    LogEntry.objects.filter(about_them_in_log).update(object_repr=ERASED)
    erased = targets.update(
        name=ERASED_NAME,
        email=Concat(Value("erased-"), Cast("pk", CharField()), Value("@invalid")),
        organisation="",
        role="",
        organisation_type="",
        country="",
        conflict_of_interest="",
        attribution="",
        consented_at=None,
        token_hash="",  # nosec B106  # clears the invite hash; no password
        is_revoked=True,
        is_erased=True,
        erased_at=now,
    )
    return erased


@transaction.atomic
def erase_participants(*, participants: QuerySet[Participant], by: Any, reason: str) -> int:
    """Erase the participants on request: one ERASE event each, naming them only by id."""
    chosen = list(
        participants.select_related(None)
        .filter(is_erased=False)
        # of=self: the default ordering joins consultations, whose rows every participant's write references.
        .select_for_update(of=("self",))
        .only("pk", "consultation_id")
    )
    erased = _erase(Participant.objects.filter(pk__in=[p.pk for p in chosen]), now=timezone.now())
    audit.record_each(
        actor=by,
        action=AuditEvent.Action.ERASE,
        changes=((p, {"is_erased": False}, {"is_erased": True}) for p in chosen),
        consultation_of=lambda p: p.consultation_id,
        details={"reason": reason},
    )
    return erased


def erase_participant(*, participant: Participant, by: Any, reason: str) -> bool:
    """Erase one participant on request; False when they were erased already."""
    erased = erase_participants(
        participants=Participant.objects.filter(pk=participant.pk), by=by, reason=reason
    )
    participant.refresh_from_db()
    return bool(erased)


def past_retention(*, now: datetime) -> list[tuple[Consultation, int]]:
    """Consultations whose retention period has ended, each with how many participants are still to erase."""
    # Few consultations, and "closes_at + retention_days days" has no portable SQL form: compared in Python.
    due = [
        consultation
        for consultation in Consultation.objects.filter(retention_days__isnull=False).order_by(
            "closes_at", "pk"
        )
        if consultation.retention_ends_at() < now
    ]
    counts = dict(
        Participant.objects.filter(consultation__in=due, is_erased=False)
        .values_list("consultation_id")
        .annotate(count=Count("pk"))
    )
    return [(consultation, counts.get(consultation.pk, 0)) for consultation in due]


def apply_retention(*, now: datetime) -> list[tuple[Consultation, int]]:
    """Erase every participant of the consultations past retention; one ERASE event per consultation."""
    done = []
    for consultation, _count in past_retention(now=now):
        with transaction.atomic():
            # Locked so that two runs from cron cannot both erase and record the same participants.
            participants = Participant.objects.filter(consultation=consultation, is_erased=False)
            list(participants.select_for_update(of=("self",)).values_list("pk", flat=True))
            erased = _erase(participants, now=now)
            if erased:
                audit.record(
                    actor=None,
                    action=AuditEvent.Action.ERASE,
                    consultation=consultation,
                    obj=consultation,
                    count=erased,
                    details={"retention_days": consultation.retention_days, "via": "apply_retention"},
                )
        done.append((consultation, erased))
    return done
