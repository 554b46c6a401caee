"""Deny by default: every URL pattern of the project, walked as each persona, against an explicit table of who may
open what. A URL pattern without an entry here fails the suite, so no page is added unguarded by accident."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from feedback.models import (
    AgendaItem,
    AuditEvent,
    Codebook,
    Comment,
    ConsultationResource,
    LivePoint,
    Participant,
    RapporteurNote,
    Resource,
    Response,
    Theme,
)
from tests.conftest import answer, make_participant

PERSONAS = ["anonymous", "alice", "carol", "olga", "mona", "ann", "sam"]
PARTICIPANTS = {"alice", "carol"}
STAFF = {"olga", "mona", "ann", "sam"}
READERS = {"olga", "mona", "ann"}  # staff who read answers (feedback.view_answer)

# How an answer is checked: a status code, or "login" (a redirect to the admin sign-in page).
LOGIN = "login"
# Participants are anonymous to Django: admin and analysis pages send them to sign in, like anyone else.
SIGNED_OUT = {"anonymous": LOGIN, "alice": LOGIN, "carol": LOGIN}


def expect(default: int | str, **persona_codes: int | str) -> dict[str, int | str]:
    table = dict.fromkeys(PERSONAS, default)
    table.update(persona_codes)
    return table


def for_readers(code: int, *, others_signed_in: int = 404) -> dict[str, int | str]:
    """Analysis pages: anonymous visitors (participants are anonymous to Django) are sent to sign in, staff who
    may not read answers get 404, the rest `code`."""
    return expect(LOGIN, sam=others_signed_in, **dict.fromkeys(READERS, code))


# Participant and analysis pages: (URL name, arguments, method, expected answer per persona). Arguments name
# objects of the `world` fixture: "own" is alice's consultation, "other" carol's; "resource" is used by alice's
# consultation only, "other_resource" by carol's only.
SITE_CASES = [
    ("healthz", {}, "get", expect(200)),
    ("readyz", {}, "get", expect(200)),
    # The language switcher: anyone may choose a language; it only sets a cookie (and a participant's choice).
    ("set_language", {}, "get", expect(405)),
    ("set_language", {}, "post", expect(302)),
    ("feedback:home", {}, "get", expect(200)),
    # Whoever holds a valid link sees its confirmation page; a GET binds nothing.
    ("feedback:invite", {"token": "alice"}, "get", expect(200)),
    ("feedback:invite", {"token": "revoked"}, "get", expect(404)),
    ("feedback:invite", {"token": "expired"}, "get", expect(404)),
    ("feedback:invite", {"token": "guessed"}, "get", expect(404)),
    ("feedback:invite", {"token": "revoked"}, "post", expect(404)),
    ("feedback:invite", {"token": "expired"}, "post", expect(404)),
    ("feedback:consultation", {"slug": "own"}, "get", expect(404, alice=200)),
    ("feedback:consultation", {"slug": "other"}, "get", expect(404, carol=200)),
    ("feedback:profile", {"slug": "own"}, "get", expect(404, alice=200)),
    ("feedback:profile", {"slug": "other"}, "get", expect(404, carol=200)),
    ("feedback:profile", {"slug": "own"}, "post", expect(404, alice=200)),
    ("feedback:profile-autosave", {"slug": "own"}, "get", expect(405)),
    ("feedback:profile-autosave", {"slug": "own"}, "post", expect(404, alice=200)),
    # carol has not confirmed her profile yet: her browser keeps the draft.
    ("feedback:profile-autosave", {"slug": "other"}, "post", expect(404, carol=409)),
    ("feedback:questions", {"slug": "own"}, "get", expect(404, alice=200)),
    # carol has not confirmed her profile yet: sent there first.
    ("feedback:questions", {"slug": "other"}, "get", expect(404, carol=302)),
    ("feedback:questions", {"slug": "own"}, "post", expect(404, alice=302)),
    ("feedback:autosave", {"slug": "own"}, "get", expect(405)),
    ("feedback:autosave", {"slug": "own"}, "post", expect(404, alice=200)),
    ("feedback:autosave", {"slug": "other"}, "post", expect(404, carol=409)),
    ("feedback:resource", {"slug": "own", "resource_id": "resource"}, "get", expect(404, alice=200)),
    ("feedback:resource", {"slug": "own", "resource_id": "other_resource"}, "get", expect(404)),
    ("feedback:resource", {"slug": "other", "resource_id": "resource"}, "get", expect(404)),
    ("feedback:resource", {"slug": "other", "resource_id": "other_resource"}, "get", expect(404, carol=200)),
    ("feedback:comment", {"slug": "own", "resource_id": "resource"}, "get", expect(405)),
    ("feedback:comment", {"slug": "own", "resource_id": "resource"}, "post", expect(404, alice=302)),
    ("feedback:comment", {"slug": "own", "resource_id": "other_resource"}, "post", expect(404)),
    ("feedback:comment-autosave", {"slug": "own", "resource_id": "resource"}, "get", expect(405)),
    ("feedback:comment-autosave", {"slug": "own", "resource_id": "resource"}, "post", expect(404, alice=200)),
    ("feedback:comment-autosave", {"slug": "own", "resource_id": "other_resource"}, "post", expect(404)),
    # carol has not confirmed her profile yet.
    (
        "feedback:comment-autosave",
        {"slug": "other", "resource_id": "other_resource"},
        "post",
        expect(404, carol=409),
    ),
    # A comment is its author's alone: anyone else, carol in her own consultation included, gets 404.
    ("feedback:comment-edit", {"slug": "own", "comment_id": "comment"}, "get", expect(405)),
    ("feedback:comment-edit", {"slug": "own", "comment_id": "comment"}, "post", expect(404, alice=302)),
    ("feedback:comment-edit", {"slug": "other", "comment_id": "comment"}, "post", expect(404)),
    (
        "feedback:comment-edit-autosave",
        {"slug": "own", "comment_id": "comment"},
        "post",
        expect(404, alice=200),
    ),
    ("feedback:comment-edit-autosave", {"slug": "other", "comment_id": "comment"}, "post", expect(404)),
    ("feedback:comment-delete", {"slug": "own", "comment_id": "comment"}, "get", expect(405)),
    ("feedback:comment-delete", {"slug": "other", "comment_id": "comment"}, "post", expect(404)),
    ("feedback:comment-delete", {"slug": "own", "comment_id": "comment"}, "post", expect(404, alice=302)),
    ("feedback:resource-file", {"slug": "own", "resource_id": "resource"}, "get", expect(404, alice=200)),
    ("feedback:resource-file", {"slug": "own", "resource_id": "other_resource"}, "get", expect(404)),
    ("feedback:resource-file", {"slug": "other", "resource_id": "resource"}, "get", expect(404)),
    # The comment sheet upload: alice's own page; carol must confirm her profile first; a bad confirmation is 400.
    ("feedback:comment-sheet", {"slug": "own"}, "get", expect(404, alice=200)),
    ("feedback:comment-sheet", {"slug": "other"}, "get", expect(404, carol=302)),
    ("feedback:comment-sheet", {"slug": "own"}, "post", expect(404, alice=200)),
    # The blank sheet: any participant of the consultation, before their profile too (it holds only the draft).
    ("feedback:comment-sheet-blank-xlsx", {"slug": "own"}, "get", expect(404, alice=200)),
    ("feedback:comment-sheet-blank-csv", {"slug": "own"}, "get", expect(404, alice=200)),
    ("feedback:comment-sheet-blank-csv", {"slug": "other"}, "get", expect(404, carol=200)),
    ("feedback:comment-sheet-blank-xlsx", {"slug": "own"}, "post", expect(405, alice=405)),
    ("feedback:comment-sheet-confirm", {"slug": "own"}, "get", expect(405)),
    ("feedback:comment-sheet-confirm", {"slug": "own"}, "post", expect(404, alice=400)),
    ("feedback:comment-sheet-confirm", {"slug": "other"}, "post", expect(404, carol=302)),
    ("feedback:review", {"slug": "own"}, "get", expect(404, alice=200)),
    ("feedback:review", {"slug": "other"}, "get", expect(404, carol=200)),
    # Not submitted yet: sent to the review page.
    ("feedback:receipt", {"slug": "own"}, "get", expect(404, alice=302)),
    ("feedback:submit", {"slug": "own"}, "get", expect(405)),
    ("feedback:submit", {"slug": "own"}, "post", expect(404, alice=302)),
    ("feedback:sign-out", {"slug": "own"}, "get", expect(405)),
    ("feedback:sign-out", {"slug": "own"}, "post", expect(404, alice=302)),
    ("feedback:participant-insights", {"slug": "own"}, "get", expect(404, alice=200)),
    # Not published for carol's consultation.
    ("feedback:participant-insights", {"slug": "other"}, "get", expect(404)),
    # The responses to comments: published for alice's consultation only; one's own comments only (alice has
    # submitted by then, earlier in the walk).
    ("feedback:responses", {"slug": "own"}, "get", expect(404, alice=200)),
    ("feedback:responses", {"slug": "other"}, "get", expect(404)),
    ("feedback:response-satisfied", {"slug": "own", "comment_id": "comment"}, "get", expect(405)),
    ("feedback:response-satisfied", {"slug": "own", "comment_id": "comment"}, "post", expect(404, alice=302)),
    ("feedback:response-not-satisfied", {"slug": "own", "comment_id": "comment"}, "get", expect(405)),
    ("feedback:response-not-satisfied", {"slug": "other", "comment_id": "comment"}, "post", expect(404)),
    ("feedback:analysis", {}, "get", for_readers(200)),
    ("feedback:compare", {}, "get", for_readers(200)),
    ("feedback:analysis-dashboard", {"slug": "own"}, "get", for_readers(200)),
    ("feedback:analysis-dashboard", {"slug": "missing"}, "get", for_readers(404)),
    ("feedback:analysis-search", {"slug": "own"}, "get", for_readers(200)),
    ("feedback:insights-report", {"slug": "own"}, "get", for_readers(200)),
    ("feedback:insights-csv", {"slug": "own"}, "get", for_readers(200)),
    ("feedback:insights-publish", {"slug": "own"}, "get", expect(405, **SIGNED_OUT)),
    (
        "feedback:insights-publish",
        {"slug": "own"},
        "post",
        expect(LOGIN, sam=404, mona=404, ann=404, olga=302),
    ),
    ("feedback:insights-withdraw", {"slug": "own"}, "get", expect(405, **SIGNED_OUT)),
    (
        "feedback:insights-withdraw",
        {"slug": "own"},
        "post",
        expect(LOGIN, sam=404, mona=404, ann=404, olga=302),
    ),
    ("feedback:resolution-report", {"slug": "own", "resource_id": "resource"}, "get", for_readers(200)),
    ("feedback:resolution-report", {"slug": "own", "resource_id": "other_resource"}, "get", for_readers(404)),
    ("feedback:resolution-csv", {"slug": "own", "resource_id": "resource"}, "get", for_readers(200)),
    ("feedback:resolution-csv", {"slug": "own", "resource_id": "other_resource"}, "get", for_readers(404)),
    ("feedback:acceptance-csv", {"slug": "own", "resource_id": "resource"}, "get", for_readers(200)),
    ("feedback:acceptance-csv", {"slug": "own", "resource_id": "other_resource"}, "get", for_readers(404)),
    # The meeting: participants' pages (the world's meeting has not started, so a live point is refused).
    ("feedback:meeting", {"slug": "own"}, "get", expect(404, alice=200)),
    ("feedback:meeting", {"slug": "other"}, "get", expect(404, carol=200)),
    ("feedback:meeting-now", {"slug": "own"}, "get", expect(404, alice=200)),
    ("feedback:meeting-now", {"slug": "other"}, "get", expect(404, carol=200)),
    ("feedback:meeting-autosave", {"slug": "own"}, "get", expect(405)),
    # Nothing posted: no agenda item named.
    ("feedback:meeting-autosave", {"slug": "own"}, "post", expect(404, alice=400)),
    ("feedback:meeting-ics", {"slug": "own"}, "get", expect(404, alice=200)),
    # carol's consultation has no meeting date.
    ("feedback:meeting-ics", {"slug": "other"}, "get", expect(404)),
    # The console: organisers and moderators.
    ("feedback:meeting-console", {"slug": "own"}, "get", expect(LOGIN, sam=404, ann=404, olga=200, mona=200)),
    (
        "feedback:meeting-console",
        {"slug": "missing"},
        "get",
        expect(LOGIN, sam=404, ann=404, olga=404, mona=404),
    ),
    *(
        (name, {"slug": "own"}, method, expected)
        for name in (
            "feedback:meeting-start",
            "feedback:meeting-rehearse",
            "feedback:meeting-next",
            "feedback:meeting-previous",
            "feedback:meeting-extend",
            "feedback:meeting-end",
        )
        for method, expected in (
            ("get", expect(405, **SIGNED_OUT)),
            ("post", expect(LOGIN, sam=404, ann=404, olga=302, mona=302)),
        )
    ),
    ("feedback:meeting-keep-rehearsal", {"slug": "own"}, "get", expect(405, **SIGNED_OUT)),
    (
        "feedback:meeting-keep-rehearsal",
        {"slug": "own"},
        "post",
        expect(LOGIN, sam=404, ann=404, mona=404, olga=302),
    ),
    (
        "feedback:meeting-attendance",
        {"slug": "own", "participant_id": "bob"},
        "get",
        expect(405, **SIGNED_OUT),
    ),
    (
        "feedback:meeting-attendance",
        {"slug": "own", "participant_id": "bob"},
        "post",
        expect(LOGIN, sam=404, ann=404, mona=404, olga=302),
    ),
    (
        "feedback:meeting-attendance",
        {"slug": "own", "participant_id": "carol"},
        "post",
        expect(LOGIN, sam=404, ann=404, mona=404, olga=404),
    ),
    # Rapporteurs (and organisers) write notes; a refused note (nothing posted) shows the form again.
    ("feedback:meeting-notes", {"slug": "own"}, "get", expect(LOGIN, sam=404, ann=404, mona=404, olga=200)),
    ("feedback:meeting-notes", {"slug": "own"}, "post", expect(LOGIN, sam=404, ann=404, mona=404, olga=200)),
    ("feedback:meeting-record", {"slug": "own"}, "get", for_readers(200)),
    ("feedback:meeting-summary", {"slug": "own", "number": "one"}, "get", expect(405, **SIGNED_OUT)),
    (
        "feedback:meeting-summary",
        {"slug": "own", "number": "one"},
        "post",
        expect(LOGIN, sam=404, ann=404, mona=404, olga=302),
    ),
]

# The admin. Per model: what each organiser role may do there ("" none, "view", "change": view and change,
# "all": add, change, delete). Participants are anonymous to Django and are sent to sign in everywhere.
ADMIN_MODELS = {
    "feedback.consultation": {"olga": "all", "mona": "view", "ann": "view"},
    "feedback.resource": {"olga": "all", "mona": "view", "ann": "view"},
    "feedback.question": {"olga": "all", "mona": "view", "ann": "view"},
    "feedback.participant": {"olga": "all"},
    # Participant input is never added or deleted by hand in the admin (PROTECT, erasure is its own flow).
    "feedback.response": {"olga": "change"},
    "feedback.answer": {"olga": "change", "mona": "change", "ann": "view"},
    "feedback.comment": {"olga": "change", "mona": "change", "ann": "view"},
    "feedback.codebook": {"olga": "all", "mona": "view", "ann": "view"},
    "feedback.theme": {"olga": "all", "mona": "view", "ann": "view"},
    # The audit trail is written by the app only: nobody adds, changes or deletes an event.
    "feedback.auditevent": {"olga": "view"},
    # Meeting input is moderated like answers, never added or deleted by hand.
    "feedback.livepoint": {"olga": "change", "mona": "change", "ann": "view"},
    "feedback.rapporteurnote": {"olga": "change", "mona": "change", "ann": "view"},
    # Accounts, second factors and sign-in records: superusers only, no organiser role.
    "auth.user": {},
    "auth.group": {},
    "otp_totp.totpdevice": {},
    "otp_static.staticdevice": {},
    "axes.accessattempt": {},
    "axes.accesslog": {},
    "axes.accessfailurelog": {},
}
# What each admin page needs, per level above.
ADMIN_PAGE_LEVELS = {
    "changelist": {"view", "change", "all"},
    "history": {"view", "change", "all"},
    "change": {"view", "change", "all"},
    "add": {"all"},
    "delete": {"all"},
}
# Admin pages outside the standard five per model: (URL name, arguments, expected answer per persona).
ADMIN_CUSTOM = [
    ("admin:index", {}, expect(200, **SIGNED_OUT)),
    ("admin:login", {}, expect(302, anonymous=200, alice=200, carol=200)),
    ("admin:logout", {}, expect(405, anonymous=302, alice=302, carol=302)),
    ("admin:password_change", {}, expect(200, **SIGNED_OUT)),
    ("admin:password_change_done", {}, expect(200, **SIGNED_OUT)),
    # Without its query parameters the autocomplete refuses the request.
    ("admin:autocomplete", {}, expect(403, **SIGNED_OUT)),
    ("admin:jsi18n", {}, expect(200, **SIGNED_OUT)),
    ("admin:app_list", {"app_label": "feedback"}, expect(200, **SIGNED_OUT, sam=404)),
    (
        "admin:view_on_site",
        {"content_type_id": "consultation_type", "object_id": "consultation"},
        expect(404, **SIGNED_OUT),
    ),
    (
        "admin:feedback_consultation_export",
        {"object_id": "consultation"},
        expect(403, **SIGNED_OUT, olga=200, ann=200),
    ),
    # Importing drafts needs add_resource (a new resource) or change_resource (a new text): organisers only.
    (
        "admin:feedback_consultation_import_draft",
        {"object_id": "consultation"},
        expect(403, **SIGNED_OUT, olga=200),
    ),
    (
        "admin:feedback_consultation_import_draft_confirm",
        {"object_id": "consultation"},
        expect(403, **SIGNED_OUT, olga=302),
    ),
    ("admin:feedback_resource_import_draft", {"object_id": "resource"}, expect(403, **SIGNED_OUT, olga=200)),
    (
        "admin:feedback_resource_import_draft_confirm",
        {"object_id": "resource"},
        expect(403, **SIGNED_OUT, olga=302),
    ),
    # Entering a participant's comment sheet needs add_comment: organisers only.
    (
        "admin:feedback_consultation_comment_sheet",
        {"object_id": "consultation"},
        expect(403, **SIGNED_OUT, olga=200),
    ),
    (
        "admin:feedback_consultation_comment_sheet_confirm",
        {"object_id": "consultation"},
        expect(403, **SIGNED_OUT, olga=302),
    ),
    (
        "admin:feedback_consultation_comment_sheet_blank",
        {"object_id": "consultation", "file_format": "xlsx"},
        expect(403, **SIGNED_OUT, olga=200),
    ),
    # The redline between versions: whoever may view resources; publishing responses needs dispose_comment.
    (
        "admin:feedback_resource_compare",
        {"object_id": "resource"},
        expect(404, **SIGNED_OUT, olga=200, mona=200, ann=200),
    ),
    (
        "admin:feedback_consultation_publish_responses",
        {"object_id": "consultation"},
        expect(403, **SIGNED_OUT, olga=200),
    ),
    ("admin:feedback_participant_import", {}, expect(403, **SIGNED_OUT, olga=200)),
    ("admin:feedback_participant_import_confirm", {}, expect(403, **SIGNED_OUT, olga=302)),
    ("admin:feedback_answer_redact", {"object_id": "answer"}, expect(403, **SIGNED_OUT, olga=200, mona=200)),
    ("admin:feedback_answer_clear_redaction", {"object_id": "answer"}, expect(405, **SIGNED_OUT)),
    (
        "admin:feedback_comment_redact",
        {"object_id": "comment"},
        expect(403, **SIGNED_OUT, olga=200, mona=200),
    ),
    ("admin:feedback_comment_clear_redaction", {"object_id": "comment"}, expect(405, **SIGNED_OUT)),
    ("admin:auth_user_password_change", {"id": "user"}, expect(403, **SIGNED_OUT)),
    ("admin:otp_totp_totpdevice_config", {"pk": "totpdevice"}, expect(403, **SIGNED_OUT)),
    ("admin:otp_totp_totpdevice_qrcode", {"pk": "totpdevice"}, expect(403, **SIGNED_OUT)),
]


# The walk over the URL configuration


def url_patterns() -> list[tuple[str, str | None]]:
    """(route, namespaced name) of every URL pattern, nested includes and the admin's included."""

    def walk(patterns: list, prefix: str, namespace: str | None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if pattern.namespace and namespace:
                    inner = f"{namespace}:{pattern.namespace}"
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                yield prefix + str(pattern.pattern), name

    return list(walk(get_resolver().url_patterns, "", None))


STANDARD_ADMIN = re.compile(
    r"^admin:(?P<app>[a-z_]+?)_(?P<model>[a-z]+)_(?P<page>changelist|add|history|delete|change)$"
)


def admin_model_names() -> set[str]:
    return {f"{app}.{model}" for app, model in registered_models()}


def registered_models() -> list[tuple[str, str]]:
    from django.contrib import admin

    return [(m._meta.app_label, m._meta.model_name) for m in admin.site._registry]


def test_every_url_pattern_has_an_expectation():
    covered = {name for name, *_rest in SITE_CASES} | {name for name, *_rest in ADMIN_CUSTOM}
    models = admin_model_names()
    missing = []
    for route, name in url_patterns():
        if name is None:
            # The admin's unnamed patterns: "<object_id>/" redirects to the change page, and the catch-all.
            if route.startswith("admin/"):
                continue
            missing.append(route)
            continue
        match = STANDARD_ADMIN.match(name)
        if match:
            label = f"{match['app']}.{match['model']}"
            if label in models and label in ADMIN_MODELS:
                continue
        if name not in covered:
            missing.append(f"{route} ({name})")
    assert not missing, "URL patterns with no expectation in tests/test_url_walk.py: " + ", ".join(missing)


def test_every_admin_model_has_an_expectation():
    assert admin_model_names() <= set(ADMIN_MODELS), admin_model_names() - set(ADMIN_MODELS)


# The world the personas live in


@pytest.fixture
def world(consultation, other_consultation, resource, questions, alice, bob, carol, olga, mona, ann):
    """Everyone and everything the walk needs, and the values that fill the URL patterns' arguments."""
    resource.file = SimpleUploadedFile("principles.pdf", b"%PDF-1.7", content_type="application/pdf")
    resource.save()
    other_resource = Resource.objects.create(
        title="Academic reading list", category=Resource.Category.SUPPORTING
    )
    ConsultationResource.objects.create(consultation=other_consultation, resource=other_resource, position=1)
    consultation.insights_published_at = timezone.now()
    consultation.save()
    ConsultationResource.objects.filter(consultation=consultation).update(
        responses_published_at=timezone.now()
    )
    alice_answer = answer(alice, questions[0], "Alice's answer")
    answer(bob, questions[0], "Bob's answer")
    comment = Comment.objects.create(response=alice.response, resource=resource, text="Alice's comment")
    Response.objects.get_or_create(participant=carol)
    codebook = Codebook.objects.create(name="Walk code book")
    theme = Theme.objects.create(codebook=codebook, code="9.9", name="Walk theme")
    revoked = make_participant(consultation, "Rex Revoked", "rex@example.org", is_revoked=True)
    expired = make_participant(
        consultation,
        "Ed Expired",
        "ed@example.org",
        invite_expires_at=timezone.now() - timezone.timedelta(hours=1),
    )
    item = AgendaItem.objects.create(
        consultation=consultation, position=1, title="Walk item", question=questions[0]
    )
    point = LivePoint.objects.create(participant=alice, agenda_item=item, text="Alice's live point")
    note = RapporteurNote.objects.create(
        agenda_item=item, speaker="participant", participant=bob, text="Bob said so"
    )
    sam = User.objects.create_user("sam", "sam@example.org", "sam-password", is_staff=True)
    event = AuditEvent.objects.create(actor=olga, action=AuditEvent.Action.EXPORT, object_repr="walk")
    from django.contrib.contenttypes.models import ContentType
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    totp = TOTPDevice.objects.create(user=olga, name="phone", confirmed=True)
    static = StaticDevice.objects.create(user=olga, name="backup")
    users = {"olga": olga, "mona": mona, "ann": ann, "sam": sam}
    values = {
        "own": consultation.slug,
        "other": other_consultation.slug,
        "missing": "no-such-consultation",
        "resource": resource.pk,
        "other_resource": other_resource.pk,
        "alice": alice.token,
        "revoked": revoked.token,
        "expired": expired.token,
        "guessed": "x" * 43,
        "consultation": consultation.pk,
        "feedback": "feedback",
        "consultation_type": ContentType.objects.get_for_model(consultation).pk,
        "answer": alice_answer.pk,
        "comment": comment.pk,
        "user": olga.pk,
        "totpdevice": totp.pk,
        "bob": bob.pk,
        "carol": carol.pk,
        "one": 1,
        "xlsx": "xlsx",
    }
    objects = {
        "feedback.consultation": consultation.pk,
        "feedback.resource": resource.pk,
        "feedback.question": questions[0].pk,
        "feedback.participant": alice.pk,
        "feedback.response": alice.response.pk,
        "feedback.answer": alice_answer.pk,
        "feedback.comment": comment.pk,
        "feedback.codebook": codebook.pk,
        "feedback.theme": theme.pk,
        "feedback.auditevent": event.pk,
        "auth.user": olga.pk,
        "auth.group": Group.objects.get(name="Organiser").pk,
        "otp_totp.totpdevice": totp.pk,
        "otp_static.staticdevice": static.pk,
        "feedback.livepoint": point.pk,
        "feedback.rapporteurnote": note.pk,
    }
    return {
        "values": values,
        "objects": objects,
        "users": users,
        "participants": {"alice": alice, "carol": carol},
    }


def client_as(world: dict, persona: str) -> Client:
    client = Client()
    if persona in world["participants"]:
        participant = world["participants"][persona]
        assert client.post(f"/i/{participant.token}/").status_code == 302
    elif persona in world["users"]:
        client.force_login(world["users"][persona])
    return client


def outcome(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
        return LOGIN
    return response.status_code


POST_DATA = {
    "feedback:autosave": {"field": "q1", "q1": "Walked"},
    "feedback:profile": {"name": ""},
    "feedback:questions": {"q1": "Walked"},
    "feedback:comment": {"text": "Walked"},
    "feedback:profile-autosave": {"field": "role", "role": "Walker"},
    "feedback:comment-autosave": {"field": "text", "text": "Walked", "kind": "general"},
    "feedback:comment-edit": {"text": "Walked again", "kind": "general"},
    "feedback:comment-edit-autosave": {"field": "text", "text": "Walked on", "kind": "general"},
}


def request(client: Client, method: str, url: str, name: str):
    if method == "get":
        return client.get(url)
    return client.post(url, POST_DATA.get(name, {}))


@pytest.mark.parametrize("persona", PERSONAS)
def test_participant_and_analysis_pages_answer_each_persona_as_the_table_says(world, persona):
    client = client_as(world, persona)
    wrong = []
    for name, arguments, method, expected in SITE_CASES:
        kwargs = {key: world["values"][value] for key, value in arguments.items()}
        url = reverse(name, kwargs=kwargs)
        got = outcome(request(client, method, url, name))
        if got != expected[persona]:
            wrong.append(f"{method.upper()} {url}: {got}, expected {expected[persona]}")
        if name == "feedback:sign-out" and persona in world["participants"]:
            client = client_as(world, persona)
    assert not wrong, "\n".join(wrong)


def admin_expected(persona: str, label: str, page: str) -> int | str:
    if persona not in STAFF:
        return LOGIN
    level = ADMIN_MODELS[label].get(persona, "")
    return 200 if level in ADMIN_PAGE_LEVELS[page] else 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_admin_page_answers_each_persona_as_the_table_says(world, persona):
    client = client_as(world, persona)
    wrong = []
    for _route, name in url_patterns():
        match = STANDARD_ADMIN.match(name or "")
        if not match:
            continue
        label = f"{match['app']}.{match['model']}"
        page = match["page"]
        if page in ("history", "delete", "change"):
            if label not in world["objects"]:
                continue  # axes' records: their list pages are walked, their objects are made by sign-in failures
            url = reverse(name, args=[world["objects"][label]])
        else:
            url = reverse(name)
        got = outcome(client.get(url))
        expected = admin_expected(persona, label, page)
        if got != expected:
            wrong.append(f"GET {url}: {got}, expected {expected}")
    for name, arguments, expected in ADMIN_CUSTOM:
        url = reverse(name, kwargs={key: world["values"][value] for key, value in arguments.items()})
        got = outcome(client.get(url))
        if got != expected[persona]:
            wrong.append(f"GET {url}: {got}, expected {expected[persona]}")
    unknown = outcome(client.get("/admin/no-such-page/"))
    if unknown != (404 if persona in STAFF else LOGIN):
        wrong.append(f"GET /admin/no-such-page/: {unknown}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("persona", ["mona", "ann", "sam"])
def test_staff_cannot_post_identified_exports_or_changes_they_may_not_make(world, persona):
    client = client_as(world, persona)
    consultation = world["objects"]["feedback.consultation"]

    export = client.post(
        "/admin/feedback/consultation/",
        {"action": "export_answers_csv", "index": 0, ACTION_CHECKBOX_NAME: [consultation]},
    )
    participant = client.post(
        f"/admin/feedback/participant/{world['objects']['feedback.participant']}/change/", {"name": "Changed"}
    )

    assert export.status_code in (200, 302, 403) and "text/csv" not in export.get("Content-Type", "")
    assert participant.status_code == 403
    assert Participant.objects.get(pk=world["objects"]["feedback.participant"]).name == "Alice Martin"
