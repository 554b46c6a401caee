"""What became of the comments: organisers link a comment to the paragraphs of a later version that address it,
publish their responses for a resource, and each participant says whether a response satisfies them."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from feedback import audit
from feedback.models import (
    AuditEvent,
    Comment,
    CommentChange,
    ConsultationResource,
    Participant,
    ResourceParagraph,
    ResourceVersion,
)
from feedback.organising import anchoring
from feedback.organising.invitations import issue_invite
from feedback.organising.versions import changes_by_paragraph


def linkable_paragraphs(comment: Comment) -> QuerySet[ResourceParagraph]:
    """The paragraphs a comment may be linked to: those of later versions of its resource."""
    return (
        ResourceParagraph.objects.filter(
            section__version__resource_id=comment.resource_id,
            section__version__number__gt=comment.version.number,
        )
        .select_related("section__version")
        .order_by("-section__version__number", "section__position", "number")
    )


def _redline(change: anchoring.Change | None, paragraph: ResourceParagraph) -> tuple[str, list[list[str]]]:
    if change is None or change.kind == "added":
        return CommentChange.Kind.ADDED, [["insert", paragraph.text]]
    if change.kind == "same":
        return CommentChange.Kind.SAME, []
    if change.inline:
        return change.kind, [list(op) for op in change.inline]
    return change.kind, []


@transaction.atomic
def link_changes(
    *, comment: Comment, paragraphs: Iterable[ResourceParagraph], by: Any
) -> list[CommentChange]:
    """Make `paragraphs` the ones that address the comment, each with its redline from the version the comment
    is on; links no longer wanted go. One LINK event with the labels before and after."""
    wanted = {paragraph.pk: paragraph for paragraph in paragraphs}
    allowed = set(linkable_paragraphs(comment).filter(pk__in=wanted).values_list("pk", flat=True))
    if set(wanted) - allowed:
        raise ValidationError(
            _("A comment can only be addressed by paragraphs of a later version of the same resource."),
            code="not_later_version",
        )
    existing = list(comment.changes.select_related("paragraph__section__version"))
    before = [change.label for change in existing]
    comment.changes.exclude(paragraph_id__in=wanted).delete()
    have = {change.paragraph_id for change in existing}
    fresh = [paragraph for pk, paragraph in wanted.items() if pk not in have]
    versions = {paragraph.section.version_id for paragraph in fresh}
    redlines: dict[int, anchoring.Change] = {}
    for version in ResourceVersion.objects.filter(pk__in=versions):
        redlines.update(changes_by_paragraph(comment.version, version))
    created = []
    for paragraph in fresh:
        kind, ops = _redline(redlines.get(paragraph.pk), paragraph)
        created.append(
            CommentChange(comment=comment, paragraph=paragraph, kind=kind, redline=ops, linked_by=by)
        )
    CommentChange.objects.bulk_create(created)
    after = [
        change.label
        for change in comment.changes.select_related("paragraph__section__version").order_by(
            "paragraph__section__version__number", "paragraph__section__position", "paragraph__number"
        )
    ]
    if before != after:
        audit.record(
            actor=by,
            action=AuditEvent.Action.LINK,
            consultation=comment.response.participant.consultation,
            obj=comment,
            before={"addressed_in": before},
            after={"addressed_in": after},
        )
    return created


def participants_with_comments(link: ConsultationResource) -> QuerySet[Participant]:
    """Who commented on the resource in the consultation and may still be written to."""
    commented = Comment.objects.counted().filter(resource_id=link.resource_id).values("response__participant")
    return Participant.objects.filter(
        consultation_id=link.consultation_id, pk__in=commented, is_erased=False, is_revoked=False
    ).order_by("pk")


@transaction.atomic
def publish_responses(
    *, link: ConsultationResource, deadline: datetime | None, by: Any, now: datetime | None = None
) -> int:
    """Show each participant who commented on the resource what became of their comments, and take their view
    of each response until `deadline`. The first publication mails them; publishing again only moves the
    deadline. Returns how many participants were mailed."""
    now = now or timezone.now()
    if deadline is not None and deadline <= now:
        raise ValidationError(_("The deadline for feedback on responses must be in the future."), code="past")
    link = (
        ConsultationResource.objects.select_for_update()
        .select_related("consultation", "resource")
        .get(pk=link.pk)
    )
    first = link.responses_published_at is None
    before = {
        "responses_published_at": audit.iso(link.responses_published_at),
        "responses_deadline": audit.iso(link.responses_deadline),
    }
    if first:
        link.responses_published_at = now
    link.responses_deadline = deadline
    link.save(update_fields=["responses_published_at", "responses_deadline"])
    participants = list(participants_with_comments(link)) if first else []
    audit.record(
        actor=by,
        action=AuditEvent.Action.RESPONSES,
        consultation=link.consultation,
        obj=link.resource,
        before=before,
        after={
            "responses_published_at": audit.iso(link.responses_published_at),
            "responses_deadline": audit.iso(link.responses_deadline),
        },
        count=len(participants),
        details={"mailed": len(participants)},
    )
    for participant in participants:
        _mail_responses_ready(participant, link)
    return len(participants)


def _mail_responses_ready(participant: Participant, link: ConsultationResource) -> None:
    consultation = link.consultation
    url = issue_invite(participant=participant)
    with translation.override(participant.language or settings.LANGUAGE_CODE):
        deadline = ""
        if link.responses_deadline is not None:
            with timezone.override(consultation.tz):
                deadline = date_format(timezone.localtime(link.responses_deadline), "DATETIME_FORMAT")
        context = {
            "participant": participant,
            "consultation": consultation,
            "resource": link.resource,
            "url": url,
            "responses_url": settings.SITE_URL + reverse("feedback:responses", args=[consultation.slug]),
            "deadline": deadline,
        }
        body = render_to_string("feedback/email/responses_ready.txt", context)
        subject = _("What became of your comments: %(title)s") % {"title": link.resource.title}
    transaction.on_commit(lambda: send_mail(subject, body, None, [participant.email]))


@transaction.atomic
def record_satisfaction(
    *, comment: Comment, satisfaction: str, note: str = "", now: datetime | None = None
) -> None:
    """The participant's view of the organisers' response to their comment, while the responses for its
    resource are published and the deadline has not passed."""
    now = now or timezone.now()
    comment = Comment.objects.select_for_update().select_related("response__participant").get(pk=comment.pk)
    participant = comment.response.participant
    link = ConsultationResource.objects.filter(
        consultation_id=participant.consultation_id, resource_id=comment.resource_id
    ).first()
    if link is None or not link.takes_satisfaction(now):
        raise ValidationError(
            _("Views on the responses are no longer taken for this document."), code="closed"
        )
    if satisfaction not in Comment.Satisfaction.values:
        raise ValidationError(_("Choose satisfied or not satisfied."), code="invalid")
    note = note.strip()
    if len(note) > Comment._meta.get_field("satisfaction_note").max_length:
        raise ValidationError(_("The note is too long."), code="too_long")
    before = {"satisfaction": comment.satisfaction, "has_note": bool(comment.satisfaction_note)}
    comment.satisfaction, comment.satisfaction_note, comment.satisfaction_at = satisfaction, note, now
    comment.save(update_fields=["satisfaction", "satisfaction_note", "satisfaction_at"])
    audit.record(
        actor=None,
        action=AuditEvent.Action.SATISFACTION,
        consultation=participant.consultation,
        obj=comment,
        before=before,
        after={"satisfaction": satisfaction, "has_note": bool(note)},
        details={"by": "participant"},
    )
