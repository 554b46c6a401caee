"""Input: size limits on every participant text field and on requests, fields a participant may not set are
ignored, and stored script attempts are shown as text on every page, the admin included."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.html import escape

from feedback.models import (
    Answer,
    AuditEvent,
    Codebook,
    Comment,
    Participant,
    Question,
    Response,
    Theme,
)
from feedback.participation import services
from tests.conftest import answer, submit

PROFILE = {
    "name": "Alice Martin",
    "organisation": "Sentinel Analytics",
    "role": "Head of product",
    "organisation_type": "provider_le_only",
    "country": "FR",
    "attribution": "unattributed",
    "conflict_of_interest": "None",
    "consent": "on",
}


# Size limits on each text field


@pytest.mark.parametrize(
    ("field", "limit"), [("name", 200), ("organisation", 200), ("role", 200), ("conflict_of_interest", 2000)]
)
def test_an_overlong_profile_field_is_refused_and_nothing_saved(alice_client, alice, field, limit):
    response = alice_client.post("/c/tech-providers/profile/", {**PROFILE, field: "x" * (limit + 1)})

    page = response.content.decode()
    assert response.status_code == 200
    assert f"at most {limit} characters" in page
    assert "Nothing was saved yet" in page
    alice.refresh_from_db()
    assert getattr(alice, field) != "x" * (limit + 1)
    assert alice.attribution == Participant.Attribution.ORGANISATION


@pytest.mark.parametrize(
    ("kind", "limit"), [(Question.Kind.LONG_TEXT, 5000), (Question.Kind.SHORT_TEXT, 300)]
)
def test_an_overlong_answer_is_refused_by_the_form_and_by_autosave(
    alice_client, alice, consultation, kind, limit
):
    Question.objects.create(consultation=consultation, number=1, text="Thoughts?", kind=kind)

    page = alice_client.post("/c/tech-providers/questions/", {"q1": "x" * (limit + 1)}).content.decode()
    autosaved = alice_client.post("/c/tech-providers/autosave/", {"field": "q1", "q1": "x" * (limit + 1)})

    assert f"at most {limit} characters" in page
    assert autosaved.status_code == 400
    assert f"at most {limit} characters" in autosaved.json()["error"]
    assert not Answer.objects.exists()


def test_the_answer_service_refuses_text_over_the_question_limit(alice, questions):
    response = Response.objects.create(participant=alice)

    with pytest.raises(ValidationError):
        services.save_answer(response=response, question=questions[0], value="x" * 5001)
    assert not Answer.objects.exists()


def test_an_overlong_comment_is_refused_and_nothing_saved(alice_client, alice, resource):
    response = alice_client.post(f"/c/tech-providers/resources/{resource.pk}/comment/", {"text": "x" * 5001})

    assert "at most 5000 characters" in response.content.decode()
    assert not Comment.objects.exists()


# Size limits on requests


def test_a_request_body_over_the_limit_gets_a_clear_400_page(alice_client, alice, questions):
    response = alice_client.post("/c/tech-providers/questions/", {"q1": "x" * (2 * 1024 * 1024 + 1)})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Request not accepted" in page
    assert "shorten very long text" in page
    assert not Answer.objects.exists()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=50)
def test_a_request_with_too_many_fields_gets_400(alice_client, alice, questions):
    data = {f"f{number}": "x" for number in range(60)}

    assert alice_client.post("/c/tech-providers/questions/", data).status_code == 400


# Fields a participant may not set


FORGED = {
    "status": "submitted",
    "participant": "999",
    "response": "999",
    "submitted_at": "2020-01-01T00:00:00Z",
    "last_edited_at": "2020-01-01T00:00:00Z",
    "pseudonym": "P-FORGED00",
    "token_hash": "0" * 64,
    "is_revoked": "on",
    "email": "evil@example.org",
    "consultation": "999",
    "moderation_status": "approved",
    "disposition": "accepted",
}


def test_extra_post_fields_change_nothing_on_any_participant_form(
    alice_client, alice, bob, questions, resource
):
    before = Participant.objects.values().get(pk=alice.pk)
    alice_client.post("/c/tech-providers/profile/", {**PROFILE, **FORGED})
    alice_client.post("/c/tech-providers/questions/", {"q1": "Mine", **FORGED})
    alice_client.post("/c/tech-providers/autosave/", {"field": "q2", "q2": "Autosaved", **FORGED})
    alice_client.post(f"/c/tech-providers/resources/{resource.pk}/comment/", {"text": "Note", **FORGED})

    after = Participant.objects.values().get(pk=alice.pk)
    changed = {key for key in before if before[key] != after[key]}
    # Only what the profile form offers (and the consent time it records) may change.
    assert changed <= {"name", "organisation", "role", "attribution", "conflict_of_interest", "consented_at"}
    response = Response.objects.get(participant=alice)
    assert response.status == Response.Status.DRAFT
    assert response.submitted_at is None
    assert {a.response_id for a in Answer.objects.all()} == {response.pk}
    assert Answer.objects.filter(status=Answer.Status.PENDING).count() == 2
    comment = Comment.objects.get()
    assert (comment.response_id, comment.disposition) == (response.pk, "")
    assert not Response.objects.filter(participant=bob).exists()


def test_a_section_of_another_resource_is_not_found(alice_client, alice, resource, other_consultation):
    from feedback.models import Resource

    elsewhere = Resource.objects.create(title="Elsewhere", category=Resource.Category.SUPPORTING)
    section = elsewhere.sections.create(position=1, heading="Other")

    response = alice_client.post(
        f"/c/tech-providers/resources/{resource.pk}/comment/", {"text": "Note", "section": section.pk}
    )

    assert response.status_code == 404
    assert not Comment.objects.exists()


# Stored script attempts, shown as text everywhere

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    '"><svg onload=alert(1)>',
]


def assert_inert(page: str, where: str) -> None:
    lowered = page.lower()
    assert "<script>alert(1)" not in lowered, where
    assert "<img src=x onerror" not in lowered, where
    assert "<svg onload" not in lowered, where
    for attribute in ("href", "src", "action", "formaction"):
        assert f'{attribute}="javascript:' not in lowered, where
        assert f"{attribute}='javascript:" not in lowered, where
        assert f"{attribute}=javascript:" not in lowered, where


@pytest.fixture
def stored(request, consultation, resource, questions, alice, olga):
    """The payload stored in every place a participant or organiser can type text into that others see."""
    payload = request.param
    Participant.objects.filter(pk=alice.pk).update(name=f"Alice {payload}", organisation=payload)
    alice.refresh_from_db()
    resource.title = f"Resource {payload}"
    resource.file = SimpleUploadedFile(f"{payload}.pdf", b"%PDF-1.7", content_type="application/pdf")
    resource.save()
    section = resource.sections.get()
    section.heading = payload
    section.save()
    codebook = Codebook.objects.create(name=f"Book {payload}")
    consultation.codebook = codebook
    consultation.insights_published_at = timezone.now()
    consultation.save()
    theme = Theme.objects.create(codebook=codebook, code="1.1", name=payload)
    stored_answer = answer(alice, questions[0], payload, status=Answer.Status.APPROVED)
    stored_answer.themes.add(theme)
    comment = Comment.objects.create(
        response=alice.response,
        resource=resource,
        section=section,
        text=payload,
        organiser_reply=payload,
        disposition=Comment.Disposition.ACCEPTED,
        status=Comment.Status.APPROVED,
    )
    comment.themes.add(theme)
    submit(alice)
    event = AuditEvent.objects.create(
        actor=olga,
        action=AuditEvent.Action.CHANGE,
        object_repr=payload[:200],
        before={"name": payload},
        after={"name": payload},
        details={"note": payload},
    )
    return {
        "payload": payload,
        "answer": stored_answer,
        "comment": comment,
        "theme": theme,
        "resource": resource,
        "question": questions[0],
        "event": event,
        "codebook": codebook,
    }


@pytest.mark.parametrize("stored", PAYLOADS, indirect=True)
def test_stored_payloads_are_shown_as_text_on_every_participant_page(alice_client, alice, stored):
    resource = stored["resource"]
    pages = [
        "/c/tech-providers/",
        "/c/tech-providers/profile/",
        "/c/tech-providers/questions/",
        f"/c/tech-providers/resources/{resource.pk}/",
        "/c/tech-providers/review/",
        "/c/tech-providers/receipt/",
        "/c/tech-providers/insights/",
    ]
    for path in pages:
        response = alice_client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.content.decode(), path)
    # The stored file name keeps only safe characters, so the download header carries no markup either.
    download = alice_client.get(f"/c/tech-providers/resources/{resource.pk}/file/")
    assert download["Content-Disposition"].startswith("attachment;")
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9_.-]+\.pdf"', download["Content-Disposition"])
    # Shown, as text: escaped, not dropped.
    assert escape(stored["payload"]) in alice_client.get("/c/tech-providers/review/").content.decode()
    page = alice_client.get(f"/c/tech-providers/resources/{resource.pk}/").content.decode()
    assert escape(stored["payload"]) in page


@pytest.mark.parametrize("stored", PAYLOADS, indirect=True)
def test_stored_payloads_are_shown_as_text_on_the_analysis_pages_and_reports(olga_client, stored):
    resource = stored["resource"]
    pages = [
        "/analysis/",
        "/analysis/tech-providers/",
        "/analysis/tech-providers/search/?q=alert",
        "/analysis/tech-providers/insights/",
        f"/analysis/tech-providers/resources/{resource.pk}/resolution/",
        f"/analysis/compare/?question={stored['question'].pk}",
        f"/analysis/compare/?theme={stored['theme'].code}",
    ]
    for path in pages:
        response = olga_client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.content.decode(), path)


@pytest.mark.parametrize("stored", PAYLOADS, indirect=True)
def test_stored_payloads_are_shown_as_text_in_the_admin(olga_client, alice, stored):
    pages = [
        "/admin/feedback/answer/?status__exact=approved",
        f"/admin/feedback/answer/{stored['answer'].pk}/change/",
        "/admin/feedback/comment/?status__exact=approved",
        f"/admin/feedback/comment/{stored['comment'].pk}/change/",
        "/admin/feedback/participant/",
        f"/admin/feedback/participant/{alice.pk}/change/",
        "/admin/feedback/response/",
        f"/admin/feedback/response/{alice.response.pk}/change/",
        "/admin/feedback/resource/",
        f"/admin/feedback/resource/{stored['resource'].pk}/change/",
        "/admin/feedback/theme/",
        f"/admin/feedback/theme/{stored['theme'].pk}/change/",
        f"/admin/feedback/codebook/{stored['codebook'].pk}/change/",
        "/admin/feedback/auditevent/",
        f"/admin/feedback/auditevent/{stored['event'].pk}/change/",
        f"/admin/feedback/answer/{stored['answer'].pk}/redact/",
        "/admin/feedback/consultation/",
    ]
    for path in pages:
        response = olga_client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert_inert(page, path)
    # Shown, as text: escaped, not dropped.
    assert escape(stored["payload"]) in olga_client.get(pages[1]).content.decode()


@pytest.mark.parametrize("stored", PAYLOADS[:1], indirect=True)
def test_a_moderator_sees_the_payload_as_text_too(stored, mona):
    client = Client()
    client.force_login(mona)
    for path in (
        "/admin/feedback/answer/?status__exact=approved",
        "/admin/feedback/comment/?status__exact=approved",
    ):
        assert_inert(client.get(path).content.decode(), path)
