"""Erasure on request and after the retention period: the person and their words are gone, the rest stays."""

import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from feedback import audit
from feedback.models import Answer, AuditEvent, Comment, Consultation, Participant, Revision
from feedback.organising import lifecycle, moderation
from tests.conftest import answer, make_participant, submit

ALICE_WORDS = "Transparency about our proprietary face matcher"
ALICE_COMMENT = "Section one ignores vendor lock-in"
ALICE_EARLIER = "An earlier draft of my thoughts"
ALICE_REASON_QUOTE = "mentions a client agency by name"


@pytest.fixture
def given(consultation, alice, bob, questions, resource, olga):
    """alice and bob have submitted; alice's input has a revision, a redaction and audited moderation."""
    alice_answer = answer(alice, questions[0], ALICE_WORDS, moderator_note="Check with legal")
    answer(alice, questions[1], "", selected=["Option A"])
    alice_comment = Comment.objects.create(
        response=alice.response, resource=resource, text=ALICE_COMMENT, organiser_reply="Thanks, Alice"
    )
    Revision.objects.create(answer=alice_answer, previous_text=ALICE_EARLIER)
    answer(bob, questions[0], "Vendors need clearer procurement rules.")
    submit(alice)
    submit(bob)
    moderation.redact(item=alice_answer, passage="proprietary", reason=ALICE_REASON_QUOTE, by=olga)
    audit.record(
        actor=olga,
        action=AuditEvent.Action.CHANGE,
        consultation=consultation,
        obj=alice,
        before={"name": "Alice Martn"},
        after={"name": alice.name},
    )
    LogEntry.objects.log_actions(
        user_id=olga.pk, queryset=[alice], action_flag=CHANGE, change_message="[]", single_object=True
    )
    return {"answer": alice_answer, "comment": alice_comment}


def export_text(consultation: Consultation, profile: str, shape: str = "long") -> str:
    out = io.StringIO()
    call_command("export_feedback", consultation.slug, profile=profile, shape=shape, stdout=out)
    return out.getvalue()


def alice_secrets(alice: Participant) -> list[str]:
    return [
        "Alice",
        "Martin",
        alice.email,
        alice.organisation,
        alice.role,
        ALICE_WORDS,
        "proprietary",
        ALICE_COMMENT,
        ALICE_EARLIER,
        ALICE_REASON_QUOTE,
        "Check with legal",
        "Option A",
    ]


def all_text_of_rows() -> str:
    """Every stored row an erased participant's words could hide in, as one string."""
    parts = []
    for model in (Participant, Answer, Comment, Revision, AuditEvent, LogEntry):
        parts.extend(str(row) for row in model.objects.values())
    return "\n".join(parts)


def test_erasing_a_participant_leaves_neither_their_identity_nor_their_words_in_the_database(
    given, alice, bob, olga
):
    secrets = alice_secrets(alice)
    before = all_text_of_rows()
    assert all(secret in before for secret in ("Alice", ALICE_WORDS, ALICE_COMMENT, ALICE_EARLIER))

    assert lifecycle.erase_participant(participant=alice, by=olga, reason="Request #12 of 1 Dec") is True

    after = all_text_of_rows()
    for secret in secrets:
        assert secret not in after, secret
    alice.refresh_from_db()
    assert alice.name == "Erased participant"
    assert alice.email == f"erased-{alice.pk}@invalid"
    assert (alice.organisation, alice.role, alice.country, alice.attribution, alice.token_hash) == ("",) * 5
    assert alice.is_erased and alice.is_revoked and alice.erased_at is not None
    # The rows that PROTECT guards are still there, empty.
    assert Answer.objects.filter(response__participant=alice).count() == 2
    assert set(Answer.objects.filter(response__participant=alice).values_list("text", flat=True)) == {""}
    assert Comment.objects.get(pk=given["comment"].pk).text == ""


def test_erasure_leaves_other_participants_untouched(given, alice, bob, olga):
    bob_before = Participant.objects.filter(pk=bob.pk).values().get()
    bob_answers = list(Answer.objects.filter(response__participant=bob).values("text", "status"))

    lifecycle.erase_participant(participant=alice, by=olga, reason="Request")

    assert Participant.objects.filter(pk=bob.pk).values().get() == bob_before
    assert list(Answer.objects.filter(response__participant=bob).values("text", "status")) == bob_answers


def test_the_audit_trail_keeps_that_actions_happened_but_not_what_they_said(given, alice, olga):
    events_before = AuditEvent.objects.count()

    lifecycle.erase_participant(participant=alice, by=olga, reason="Request #12")

    assert AuditEvent.objects.count() == events_before + 1
    redaction = AuditEvent.objects.get(action=AuditEvent.Action.REDACT)
    assert redaction.object_id == str(given["answer"].pk)
    assert redaction.object_repr == "[erased]"
    assert redaction.details == {"reason": "[erased]"}
    erasure = AuditEvent.objects.get(action=AuditEvent.Action.ERASE)
    assert (erasure.actor, erasure.object_type, erasure.object_id) == (olga, "participant", str(alice.pk))
    assert erasure.consultation_id == alice.consultation_id
    assert erasure.details == {"reason": "Request #12"}
    assert "Alice" not in erasure.object_repr


@pytest.mark.parametrize("profile", ["identified", "pseudonymised"])
@pytest.mark.parametrize("shape", ["long", "wide"])
def test_exports_after_erasure_hold_no_row_and_no_word_of_the_participant(
    given, consultation, alice, bob, olga, profile, shape
):
    secrets = alice_secrets(alice)
    shown_as = "Alice Martin" if profile == "identified" else alice.pseudonym
    assert shown_as in export_text(consultation, profile, shape)

    lifecycle.erase_participant(participant=alice, by=olga, reason="Request")

    text = export_text(consultation, profile, shape)
    for secret in secrets:
        assert secret not in text, secret
    assert alice.pseudonym not in text
    assert "Erased participant" not in text
    assert "Vendors need clearer procurement rules." in text
    if profile == "identified":
        assert "Bob Okafor" in text


def test_the_erased_participants_invitation_link_and_session_stop_working(given, alice, client, olga):
    assert client.get(f"/i/{alice.token}/").status_code == 200
    client.post(f"/i/{alice.token}/")
    questions_page = f"/c/{alice.consultation.slug}/questions/"
    assert client.get(questions_page).status_code == 200

    lifecycle.erase_participant(participant=alice, by=olga, reason="Request")

    assert client.get(f"/i/{alice.token}/").status_code == 404
    assert client.post(f"/i/{alice.token}/").status_code == 404
    assert client.get(questions_page).status_code == 404


def test_erasing_twice_changes_nothing_more(given, alice, olga):
    lifecycle.erase_participant(participant=alice, by=olga, reason="Request")
    events = AuditEvent.objects.count()

    assert lifecycle.erase_participant(participant=alice, by=olga, reason="Again") is False
    assert AuditEvent.objects.count() == events


# The admin action


def erase_action(client, participants, **extra):
    data = {"action": "erase", "index": 0, ACTION_CHECKBOX_NAME: [p.pk for p in participants], **extra}
    return client.post("/admin/feedback/participant/", data)


def test_the_organiser_confirms_erasure_with_a_reason(given, alice, bob, olga_client):
    page = erase_action(olga_client, [alice])

    assert page.status_code == 200
    assert "Erase participants" in page.content.decode()
    assert "cannot be undone" in page.content.decode()
    assert not Participant.objects.get(pk=alice.pk).is_erased

    without_reason = erase_action(olga_client, [alice], apply="1", reason="")
    assert without_reason.status_code == 200
    assert not Participant.objects.get(pk=alice.pk).is_erased

    done = erase_action(olga_client, [alice], apply="1", reason="Request #12")
    assert done.status_code == 302
    assert Participant.objects.get(pk=alice.pk).is_erased
    assert not Participant.objects.get(pk=bob.pk).is_erased
    assert AuditEvent.objects.filter(action="erase", details={"reason": "Request #12"}).count() == 1


@pytest.mark.parametrize("persona", ["mona", "ann"])
def test_moderators_and_analysts_can_neither_see_nor_run_the_erase_action(
    given, alice, client, persona, request
):
    client.force_login(request.getfixturevalue(persona))

    listing = client.get("/admin/feedback/participant/")
    assert listing.status_code in (200, 403)
    assert "Erase selected participants" not in listing.content.decode()
    erase_action(client, [alice], apply="1", reason="Request")

    assert not Participant.objects.get(pk=alice.pk).is_erased
    assert not AuditEvent.objects.filter(action="erase").exists()


def test_the_erase_confirmation_page_runs_a_bounded_number_of_queries(
    given, alice, bob, olga_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        page = erase_action(olga_client, [alice, bob])

    assert "Alice Martin (Sentinel Analytics)" in page.content.decode()
    assert "Erase 2 participants at their request." in page.content.decode()


def test_erasing_several_participants_records_one_event_each(given, alice, bob, olga_client):
    erase_action(olga_client, [alice, bob], apply="1", reason="Requests #12 and #13")

    assert Participant.objects.filter(is_erased=True).count() == 2
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ERASE)
    assert sorted(events.values_list("object_id", flat=True)) == sorted([str(alice.pk), str(bob.pk)])


def test_the_erase_action_is_offered_to_the_organiser(given, olga_client):
    assert "Erase selected participants" in olga_client.get("/admin/feedback/participant/").content.decode()


# Retention


@pytest.fixture
def expired(db) -> Consultation:
    """A consultation that closed 100 days ago with a 30-day retention period, and two participants."""
    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Old consultation",
        slug="old",
        stakeholder_group="Industry",
        opens_at=now - timedelta(days=130),
        closes_at=now - timedelta(days=100),
        retention_days=30,
    )
    make_participant(consultation, "Dora Old", "dora@example.org")
    make_participant(consultation, "Ezra Old", "ezra@example.org")
    return consultation


@pytest.fixture
def kept(db) -> list[Consultation]:
    """Closed 100 days ago but kept 365 days, and one with no retention period: both keep their data."""
    now = timezone.now()
    consultations = [
        Consultation.objects.create(
            title=f"Kept {slug}",
            slug=slug,
            stakeholder_group="Academia",
            opens_at=now - timedelta(days=130),
            closes_at=now - timedelta(days=100),
            retention_days=days,
        )
        for slug, days in (("kept-a-year", 365), ("kept-open-ended", None))
    ]
    for consultation in consultations:
        make_participant(consultation, "Fay Kept", f"fay-{consultation.slug}@example.org")
    return consultations


def run_retention(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def test_the_dry_run_lists_what_would_be_erased_and_changes_nothing(expired, kept, alice):
    rows = list(Participant.objects.values())
    events = AuditEvent.objects.count()

    output = run_retention()

    assert "would erase: old 2 participant(s)" in output
    assert "kept" not in output
    assert "dry run: 2 participant(s) would be erased; nothing changed" in output
    assert list(Participant.objects.values()) == rows
    assert AuditEvent.objects.count() == events


def test_apply_erases_only_consultations_past_their_retention(expired, kept, alice):
    output = run_retention("--apply")

    assert "erased: old 2 participant(s)" in output
    assert set(Participant.objects.filter(consultation=expired).values_list("is_erased", flat=True)) == {True}
    assert not Participant.objects.filter(name__in=["Dora Old", "Ezra Old"]).exists()
    assert Participant.objects.filter(name="Fay Kept").count() == 2
    assert not Participant.objects.get(pk=alice.pk).is_erased
    event = AuditEvent.objects.get(action=AuditEvent.Action.ERASE)
    assert (event.consultation, event.count, event.actor_name) == (expired, 2, "system")
    assert event.details["retention_days"] == 30


def test_a_second_run_finds_nothing_to_erase(expired):
    run_retention("--apply")
    rows = list(Participant.objects.values())

    output = run_retention("--apply")

    assert "retention: 0 participant(s) erased" in output
    assert list(Participant.objects.values()) == rows
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASE).count() == 1
    assert "dry run: 0 participant(s)" in run_retention()


def test_retention_erasure_takes_constant_queries(expired, django_assert_max_num_queries):
    for number in range(20):
        make_participant(expired, f"Many {number}", f"many{number}@example.org")

    with django_assert_max_num_queries(25):
        run_retention("--apply")

    assert Participant.objects.filter(consultation=expired, is_erased=False).count() == 0


def test_retention_ends_a_number_of_days_after_the_window_closes(expired):
    assert expired.retention_ends_at() == expired.closes_at + timedelta(days=30)
    expired.retention_days = None
    assert expired.retention_ends_at() is None


def test_audit_event_offers_the_erase_action():
    assert ("erase", "Erasure") in [(value, str(label)) for value, label in AuditEvent.Action.choices]


def test_erased_participants_are_not_in_the_content_types_admin_log(given, alice, olga):
    lifecycle.erase_participant(participant=alice, by=olga, reason="Request")

    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(Participant))
    assert entry.object_repr == "[erased]"
