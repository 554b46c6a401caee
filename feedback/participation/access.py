"""Who is asking: the participant a browser is bound to for a consultation (anything else is a 404), their
response, and what every participant page shows about the feedback window."""

from django.db import connections, router
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
from feedback.participation.rows import Columns
from feedback.participation.snapshot import Snapshot, snapshot

# Access helpers: anything the caller may not see is a 404, never a 403 that confirms it exists.


PARTICIPANT = Columns(Participant, "p")
RESPONSE = Columns(Response, "r")
CONSULTATION = Columns(Consultation, "c", ["content_version"])


def lookup_sql(using: str) -> str:
    """The participant, their response if they have one, and their consultation's id and content version, for a
    participant id and slug: only a participant of that published consultation, neither revoked nor expired
    (revocation and expiry end a session already bound, not only the link)."""
    p, c = PARTICIPANT.column, CONSULTATION.column
    # Table and column names from the models, quoted by the database's rules; every value is a parameter.
    return (
        f"SELECT {PARTICIPANT.sql(using)}, {RESPONSE.sql(using)}, {CONSULTATION.sql(using)} "  # noqa: S608  # nosec B608
        f"FROM {PARTICIPANT.table(using)} "
        f"INNER JOIN {CONSULTATION.table(using)} ON {c('id', using)} = {p('consultation', using)} "
        f"LEFT OUTER JOIN {RESPONSE.table(using)} ON {RESPONSE.column('participant', using)} = {p('id', using)} "
        f"WHERE {p('id', using)} = %s AND {c('slug', using)} = %s AND {c('is_published', using)} "
        f"AND NOT {p('is_revoked', using)} "
        f"AND ({p('invite_expires_at', using)} IS NULL OR {p('invite_expires_at', using)} > %s)"
    )


_lookup_sql: dict[str, str] = {}


def find_participant(participant_id: int, slug: str) -> tuple[Participant, Snapshot] | None:
    """One query (the ORM's select_related would compile the same join anew on every request); the consultation
    comes from the process's snapshot of it, read again only when its content version has risen."""
    using = router.db_for_read(Participant)
    connection = connections[using]
    sql = _lookup_sql.get(using) or _lookup_sql.setdefault(using, lookup_sql(using))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [participant_id, slug, now])
        row = cursor.fetchone()
    if row is None:
        return None
    split, end = len(PARTICIPANT), len(PARTICIPANT) + len(RESPONSE)
    participant = PARTICIPANT.build(row[:split], using)
    if row[split] is None:
        response = None
    else:
        response = RESPONSE.build(row[split:end], using)
        Response.participant.field.set_cached_value(response, participant)
    # As select_related leaves it: participant.response is this one, or raises DoesNotExist without a query.
    Participant.response.related.set_cached_value(participant, response)
    found = snapshot(participant.consultation_id, row[end + 1])
    Participant.consultation.field.set_cached_value(participant, found.consultation())
    return participant, found


def participant_for(request: HttpRequest, slug: str) -> Participant:
    """The participant this browser session was bound to for consultation `slug`, or 404. Looked up once per
    request: later calls get the same participant (request.participant_snapshot is its consultation's snapshot)."""
    participant_id = session.bound_participant_id(request, slug)
    if participant_id is None:
        raise Http404
    cached = getattr(request, "_participant", None)
    if cached is not None and cached[0] == (participant_id, slug):
        return cached[1]
    found = find_participant(participant_id, slug)
    if found is None:
        raise Http404
    participant, request.participant_snapshot = found
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
