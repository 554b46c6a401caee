"""A consultation's life after set-up: duplication for the next group, erasure and retention of participant
data, publishing the insights report back to participants."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from feedback import audit
from feedback.models import (
    Answer,
    AuditEvent,
    Comment,
    Consultation,
    ConsultationResource,
    LivePoint,
    Participant,
    Question,
    RapporteurNote,
    ResourceVersion,
    Response,
    Revision,
    touch_consultations,
)

# What erasure leaves in place of a participant's words and name.
ERASED = "[erased]"
ERASED_NAME = "Erased participant"


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
    # The next round reads the newest version of each resource, whichever version this one used.
    newest = (
        ResourceVersion.objects.filter(resource=OuterRef("resource_id")).order_by("-number").values("pk")[:1]
    )
    ConsultationResource.objects.bulk_create(
        ConsultationResource(
            consultation=copy, resource_id=link.resource_id, position=link.position, version_id=link.newest
        )
        for link in ConsultationResource.objects.filter(consultation_id=original_pk).annotate(
            newest=Subquery(newest)
        )
    )
    questions = list(Question.objects.filter(consultation_id=original_pk).order_by("number"))
    originals = [question.pk for question in questions]
    for question in questions:
        question.pk = None
        question._state.adding = True
        question.consultation = copy
    Question.objects.bulk_create(questions)
    # bulk_create() sends no signal: the copy's questions and resources are new to its participant pages.
    touch_consultations([copy.pk])
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
        previous_text="", previous_selected=[], previous_proposed_change=""
    )
    Answer.themes.through.objects.filter(answer__in=answers).delete()
    Comment.themes.through.objects.filter(comment__in=comments).delete()
    answers.update(text="", selected=[], **no_words)
    comments.update(
        text="",
        proposed_change="",
        redacted_proposed_change="",
        quote="",
        quote_prefix="",
        quote_suffix="",
        organiser_reply="",
        satisfaction_note="",
        **no_words,
    )
    # What they said in the meeting: their live points, and the rapporteurs' notes of what they said.
    live_points = LivePoint.objects.filter(participant__in=targets)
    notes = RapporteurNote.objects.filter(participant__in=targets)
    LivePoint.themes.through.objects.filter(livepoint__in=live_points).delete()
    RapporteurNote.themes.through.objects.filter(rapporteurnote__in=notes).delete()
    live_points.update(text="", **no_words)
    notes.update(text="", **no_words)
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


# Publishing the insights report back to the participants


@transaction.atomic
def publish_insights(*, consultation: Consultation, actor: Any) -> None:
    _set_published(consultation=consultation, actor=actor, value=timezone.now())


@transaction.atomic
def withdraw_insights(*, consultation: Consultation, actor: Any) -> None:
    _set_published(consultation=consultation, actor=actor, value=None)


def _set_published(*, consultation: Consultation, actor: Any, value: Any) -> None:
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    before = consultation.insights_published_at
    consultation.insights_published_at = value
    consultation.save(update_fields=["insights_published_at"])
    audit.record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        consultation=consultation,
        obj=consultation,
        before={"insights_published_at": before.isoformat() if before else None},
        after={"insights_published_at": value.isoformat() if value else None},
        details={"what": "insights report published" if value else "insights report withdrawn"},
    )
