"""The audit trail: every organiser action on participant data leaves one event per item, and nobody can edit it."""

import io
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from feedback import audit
from feedback.models import Answer, AuditEvent, Comment, Consultation, Participant, Question, Response
from tests.conftest import answer, make_participant, submit

Action = AuditEvent.Action


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root", "root@example.org", "root-password")


@pytest.fixture
def root_client(root) -> Client:
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def answers(alice, bob, questions) -> list[Answer]:
    created = [
        answer(alice, questions[0], "Transparency about training data matters."),
        answer(bob, questions[0], "Vendors need clearer procurement rules."),
    ]
    submit(alice)
    submit(bob)
    return created


@pytest.fixture
def comment(alice, resource) -> Comment:
    response, _created = Response.objects.get_or_create(participant=alice)
    return Comment.objects.create(response=response, resource=resource, text="Define 'lawful'.")


def post_action(client: Client, url: str, action: str, objects: list, **extra: object):
    data = {"action": action, "index": 0, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(url, data)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def add_answers(consultation: Consultation, question: Question, start: int, count: int) -> list[Answer]:
    created = []
    for i in range(start, start + count):
        participant = make_participant(consultation, f"Person {i}", f"person{i}@example.org")
        created.append(answer(participant, question, f"Answer {i}"))
        submit(participant)
    return created


def queries_for(action) -> int:
    with CaptureQueriesContext(connection) as queries:
        action()
    return len(queries)


# Moderation


def test_bulk_moderation_records_one_event_per_answer_with_before_and_after(olga_client, olga, answers):
    Answer.objects.filter(pk=answers[1].pk).update(status=Answer.Status.FLAGGED)

    post_action(olga_client, "/admin/feedback/answer/?status=all", "approve", answers)

    recorded = events(Action.MODERATE)
    assert len(recorded) == 2
    assert {(e.object_id, e.before["status"], e.after["status"]) for e in recorded} == {
        (str(answers[0].pk), "pending", "approved"),
        (str(answers[1].pk), "flagged", "approved"),
    }
    for event in recorded:
        assert event.actor == olga
        assert event.actor_name == "olga"
        assert event.object_type == "answer"
        assert event.object_repr.startswith("Q1: ")
        assert event.consultation_id == answers[0].response.participant.consultation_id
        assert event.count == 1


def test_bulk_moderation_costs_the_same_for_2_and_20_answers(
    olga_client, consultation, questions, django_assert_max_num_queries
):
    few_answers = add_answers(consultation, questions[0], 0, 2)
    many_answers = add_answers(consultation, questions[0], 2, 20)
    url = "/admin/feedback/answer/?status=all"
    post_action(olga_client, url, "flag", few_answers)  # warm the per-process caches
    few = queries_for(lambda: post_action(olga_client, url, "approve", few_answers))

    with django_assert_max_num_queries(few):
        post_action(olga_client, url, "approve", many_answers)

    assert AuditEvent.objects.filter(action=Action.MODERATE, after__status="approved").count() == 22


def test_bulk_comment_moderation_is_recorded(olga_client, olga, comment):
    post_action(olga_client, "/admin/feedback/comment/", "hide", [comment])

    [event] = events(Action.MODERATE)
    assert (event.object_type, event.object_id) == ("comment", str(comment.pk))
    assert (event.before, event.after) == ({"status": "pending"}, {"status": "hidden"})
    assert event.actor == olga


def test_the_answer_page_records_the_status_and_the_note(olga_client, answers):
    url = f"/admin/feedback/answer/{answers[0].pk}/change/"

    olga_client.post(url, {"status": "flagged", "moderator_note": "Check with legal."})

    [moderated] = events(Action.MODERATE)
    assert (moderated.before, moderated.after) == ({"status": "pending"}, {"status": "flagged"})
    [noted] = events(Action.CHANGE)
    assert noted.before == {"moderator_note": ""}
    assert noted.after == {"moderator_note": "Check with legal."}
    assert noted.object_id == str(answers[0].pk)


def test_saving_an_unchanged_answer_page_records_nothing(olga_client, answers):
    url = f"/admin/feedback/answer/{answers[0].pk}/change/"

    olga_client.post(url, {"status": "pending", "moderator_note": ""})

    assert not AuditEvent.objects.exists()


def test_a_disposition_and_reply_are_recorded(olga_client, olga, comment):
    url = f"/admin/feedback/comment/{comment.pk}/change/"

    response = olga_client.post(
        url,
        {
            "status": "pending",
            "moderator_note": "",
            "disposition": "partly_accepted",
            "organiser_reply": "Defined in the glossary.",
        },
    )

    assert response.status_code == 302
    [event] = events(Action.DISPOSE)
    assert event.before == {"disposition": "", "organiser_reply": ""}
    assert event.after == {"disposition": "partly_accepted", "organiser_reply": "Defined in the glossary."}
    assert event.actor == olga
    assert event.consultation_id == comment.response.participant.consultation_id


# Invitations


def test_sending_invitations_records_who_was_invited_but_never_the_link(
    olga_client, olga, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_action(olga_client, "/admin/feedback/participant/", "send_invitations", [alice, bob])

    recorded = events(Action.INVITE)
    assert sorted(e.object_id for e in recorded) == sorted([str(alice.pk), str(bob.pk)])
    assert all(e.actor == olga and e.object_type == "participant" for e in recorded)
    tokens = [re.search(r"/i/([^/\s]+)/", message.body).group(1) for message in mail.outbox]
    trail = repr(list(AuditEvent.objects.values()))
    assert tokens
    for token in tokens:
        assert token not in trail
    alice.refresh_from_db()
    assert alice.token_hash not in trail


def test_revoking_records_one_event_per_participant(olga_client, olga, alice, bob):
    Participant.objects.filter(pk=bob.pk).update(is_revoked=True)

    post_action(olga_client, "/admin/feedback/participant/", "revoke_invitations", [alice, bob])

    recorded = {e.object_id: e for e in events(Action.REVOKE)}
    assert recorded[str(alice.pk)].before == {"is_revoked": False}
    assert recorded[str(alice.pk)].after == {"is_revoked": True}
    assert recorded[str(bob.pk)].before == {"is_revoked": True}
    assert all(e.actor == olga for e in recorded.values())


def test_changing_a_participant_in_the_admin_records_the_changed_fields(olga_client, alice, consultation):
    url = f"/admin/feedback/participant/{alice.pk}/change/"
    data = {
        "consultation": consultation.pk,
        "name": "Alice Martin",
        "email": "alice.martin@example.org",
        "organisation": "Sentinel Analytics",
        "role": "Head of product",
        "organisation_type": alice.organisation_type,
        "country": "FR",
        "attribution": alice.attribution,
        "conflict_of_interest": "",
        "invite_expires_at_0": "",
        "invite_expires_at_1": "",
    }

    response = olga_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = events(Action.CHANGE)
    assert event.before == {"email": "alice@example.org"}
    assert event.after == {"email": "alice.martin@example.org"}
    assert event.object_id == str(alice.pk)
    assert event.consultation == consultation


# Exports


def test_an_admin_export_is_recorded_with_profile_rows_and_filters(olga_client, olga, answers, consultation):
    url = (
        f"/admin/feedback/answer/?status=all&response__participant__consultation__id__exact={consultation.pk}"
    )

    response = post_action(olga_client, url, "export_csv", answers)
    b"".join(response.streaming_content)

    [event] = events(Action.EXPORT)
    assert event.actor == olga
    assert event.count == 2
    assert event.details["profile"] == "identified"
    assert event.details["rows"] == 2
    assert event.details["filters"]["status"] == ["all"]


def test_a_consultation_export_is_recorded_under_its_consultation(answers, consultation, ann):
    client = Client()
    client.force_login(ann)

    post_action(client, "/admin/feedback/consultation/", "export_pseudonymised_csv", [consultation])

    [event] = events(Action.EXPORT)
    assert (event.actor, event.consultation) == (ann, consultation)
    assert event.details["profile"] == "pseudonymised"
    assert event.count == 2


def test_the_export_command_is_recorded_as_the_system(answers, consultation, tmp_path):
    call_command("export_feedback", "tech-providers", "-o", str(tmp_path / "out.csv"), stderr=io.StringIO())

    [event] = events(Action.EXPORT)
    assert event.actor is None
    assert event.actor_name == "system"
    assert event.consultation == consultation
    assert event.count == 2
    assert event.details["via"] == "command"
    assert event.details["profile"] == "pseudonymised"
    assert "os_user" in event.details


# Permission changes


def test_changing_a_users_groups_is_recorded(root_client, root, mona):
    organiser = Group.objects.get(name="Organiser")
    data = {
        "username": "mona",
        "first_name": "",
        "last_name": "",
        "email": "mona@example.org",
        "is_active": "on",
        "is_staff": "on",
        "groups": [organiser.pk],
        "user_permissions": [],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "09:00:00",
    }

    response = root_client.post(f"/admin/auth/user/{mona.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = events(Action.PERMISSION)
    assert event.actor == root
    assert event.object_type == "user"
    assert event.before == {"groups": ["Moderator"]}
    assert event.after == {"groups": ["Organiser"]}


def test_changing_a_groups_permissions_is_recorded(root_client):
    analyst = Group.objects.get(name="Analyst")
    before = sorted(analyst.permissions.values_list("codename", flat=True))
    identified = Permission.objects.get(codename="export_identified")

    response = root_client.post(
        f"/admin/auth/group/{analyst.pk}/change/",
        {
            "name": "Analyst",
            "permissions": [*analyst.permissions.values_list("pk", flat=True), identified.pk],
        },
    )

    assert response.status_code == 302
    [event] = events(Action.PERMISSION)
    assert event.before == {"permissions": before}
    assert event.after == {"permissions": sorted([*before, "export_identified"])}


# The trail itself


def test_the_organiser_reads_the_trail_with_before_and_after(olga_client, olga, answers):
    audit.record(
        actor=olga,
        action=Action.CHANGE,
        obj=answers[0],
        before={"moderator_note": "<b>old</b>"},
        after={"moderator_note": "new"},
    )
    event = AuditEvent.objects.get()

    listing = olga_client.get("/admin/feedback/auditevent/").content.decode()
    page = olga_client.get(f"/admin/feedback/auditevent/{event.pk}/change/")

    assert "<div>moderator_note: &lt;b&gt;old&lt;/b&gt; → new</div>" in listing
    assert "<b>old</b>" not in listing
    assert page.status_code == 200
    content = page.content.decode()
    assert "&quot;moderator_note&quot;: &quot;new&quot;" in content
    assert 'name="_save"' not in content


@pytest.mark.parametrize("persona", ["olga_client", "root_client"])
def test_nobody_can_add_change_or_delete_events_in_the_admin(request, olga, persona):
    client = request.getfixturevalue(persona)
    event = audit.record(actor=olga, action=Action.EXPORT, details={"rows": 3})
    base = "/admin/feedback/auditevent/"

    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}add/", {"action": "export"}).status_code == 403
    assert (
        client.post(f"{base}{event.pk}/change/", {"action": "change", "actor_name": "x"}).status_code == 403
    )
    assert client.get(f"{base}{event.pk}/delete/").status_code == 403
    assert client.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    response = post_action(client, base, "delete_selected", [event], post="yes")
    assert response.status_code in (200, 302)
    event.refresh_from_db()
    assert (event.action, event.actor_name) == (Action.EXPORT, "olga")
    assert 'value="delete_selected"' not in client.get(base).content.decode()


def test_the_trail_list_costs_the_same_for_2_and_20_events(
    olga_client, olga, consultation, django_assert_max_num_queries
):
    def add(count: int) -> None:
        for i in range(count):
            audit.record(
                actor=olga, action=Action.EXPORT, consultation=consultation, details={"rows": i}, count=i
            )

    url = "/admin/feedback/auditevent/"
    add(2)
    queries_for(lambda: olga_client.get(url))
    few = queries_for(lambda: olga_client.get(url))

    add(18)
    with django_assert_max_num_queries(few):
        assert olga_client.get(url).status_code == 200
