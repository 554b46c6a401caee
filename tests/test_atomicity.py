"""A failure in the middle of a write that spans several objects leaves the database exactly as it was.

Each test makes a service fail partway (a later save, the audit record, the mail rendering raises), checks the
error reaches the caller, and compares every row of every table with a snapshot taken before the call.
"""

from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.core import mail
from django.db import models

from feedback.models import Answer, AuditEvent, Comment, Participant, Question, Response
from feedback.organising import invitations, lifecycle, moderation
from feedback.organising.invitees import Invitee
from feedback.participation import services
from tests.conftest import answer, submit


class Injected(Exception):
    """The failure the tests inject."""


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as values, in primary-key order."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def fail_on_call(number: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """A side effect that behaves like `real` until its `number`-th call, which raises Injected."""
    calls = 0

    def side_effect(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == number:
            raise Injected
        return real(*args, **kwargs)

    return side_effect


def assert_unchanged(before: dict[str, list[dict[str, Any]]]) -> None:
    after = snapshot()
    for label, rows in before.items():
        assert after[label] == rows, f"{label} changed although the write failed"


@pytest.fixture
def codebook(consultation):
    from feedback.models import Codebook

    codebook = Codebook.objects.create(name="Test principles")
    codebook.themes.create(code="1", name="Lawfulness")
    codebook.themes.create(code="2", name="Minimisation of harm")
    consultation.codebook = codebook
    consultation.save()
    return codebook


@pytest.fixture
def three_questions(questions, consultation) -> list[Question]:
    return [*questions, Question.objects.create(consultation=consultation, number=3, text="Anything else?")]


@pytest.fixture
def alice_words(alice, bob, three_questions, resource, olga) -> Response:
    """alice answered and commented, submitted, edited once after, and olga moderated her first answer."""
    first = answer(alice, three_questions[0], "Alice on oversight")
    answer(alice, three_questions[1], "Alice on bias")
    answer(bob, three_questions[0], "Bob on oversight")
    response = submit(alice)
    services.add_comment(
        response=response,
        resource=resource,
        version=resource.latest_version(),
        kind="general",
        text="Alice on the resource",
    )
    services.save_answer(response=response, question=three_questions[1], value="Alice on bias, edited")
    moderation.moderate_answers(answers=[first], status=Answer.Status.APPROVED, by=olga)
    return response


def test_failed_import_with_send_adds_nobody_and_mails_nothing(
    consultation, olga, django_capture_on_commit_callbacks
):
    rows = [Invitee(line=n, name=f"Person {n}", email=f"p{n}@example.org") for n in range(1, 4)]
    before = snapshot()

    # The second invitation fails after the first was issued, recorded and queued for mail.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch(
            "feedback.organising.invitations.render_to_string",
            side_effect=fail_on_call(2, invitations.render_to_string),
        ),
        pytest.raises(Injected),
    ):
        invitations.import_invitees(consultation=consultation, rows=rows, by=olga, send=True)

    assert_unchanged(before)
    assert callbacks == []
    assert mail.outbox == []


def test_failed_import_audit_adds_nobody(consultation, olga):
    rows = [Invitee(line=n, name=f"Person {n}", email=f"p{n}@example.org") for n in range(1, 4)]
    before = snapshot()

    with mock.patch("feedback.audit.record", side_effect=Injected), pytest.raises(Injected):
        invitations.import_invitees(consultation=consultation, rows=rows, by=olga, send=False)

    assert_unchanged(before)
    assert not Participant.objects.filter(email="p1@example.org").exists()


def test_failed_submit_leaves_the_draft_and_sends_no_receipt(
    alice, questions, django_capture_on_commit_callbacks
):
    answer(alice, questions[0], "Text")
    before = snapshot()

    # The status UPDATE has run when reading the response back fails.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch.object(Response, "refresh_from_db", side_effect=Injected),
        pytest.raises(Injected),
    ):
        services.submit_response(response=alice.response)

    assert_unchanged(before)
    assert Response.objects.get(pk=alice.response.pk).status == Response.Status.DRAFT
    assert callbacks == []
    assert mail.outbox == []


def test_failed_save_of_several_answers_keeps_every_earlier_answer(alice, three_questions):
    response = answer(alice, three_questions[0], "Old first").response
    before = snapshot()
    values = {
        three_questions[0]: "New first",
        three_questions[1]: "New second",
        three_questions[2]: "New third",
    }

    # The first answer is updated, then creating the second one fails.
    with (
        mock.patch.object(Answer, "save", autospec=True, side_effect=fail_on_call(2, models.Model.save)),
        pytest.raises(Injected),
    ):
        services.save_answers(response=response, values=values)

    assert_unchanged(before)
    assert list(Answer.objects.values_list("text", flat=True)) == ["Old first"]


def test_failed_save_after_submitting_keeps_answers_and_adds_no_revision(alice, three_questions):
    answer(alice, three_questions[0], "Old first")
    answer(alice, three_questions[1], "Old second")
    response = submit(alice)
    before = snapshot()
    values = {three_questions[0]: "New first", three_questions[1]: "", three_questions[2]: "New third"}

    # Every answer and its revision are written when touching the response's last-edited time fails.
    with mock.patch.object(Response, "save", side_effect=Injected), pytest.raises(Injected):
        services.save_answers(response=response, values=values)

    assert_unchanged(before)


def test_failed_erasure_keeps_the_participant_and_every_word(alice_words, alice, olga):
    before = snapshot()

    # Everything is anonymised when recording the ERASE events fails.
    with mock.patch("feedback.audit.record_each", side_effect=Injected), pytest.raises(Injected):
        lifecycle.erase_participant(participant=alice, by=olga, reason="Request #12")

    assert_unchanged(before)
    alice.refresh_from_db()
    assert (alice.name, alice.is_erased) == ("Alice Martin", False)


def test_failed_erasure_midway_through_the_audit_trail_keeps_it(alice_words, alice, olga):
    before = snapshot()

    # Answers and comments are emptied when scrubbing the audit events about them fails.
    with (
        mock.patch.object(AuditEvent.objects, "bulk_update", side_effect=Injected),
        pytest.raises(Injected),
    ):
        lifecycle.erase_participant(participant=alice, by=olga, reason="Request #12")

    assert_unchanged(before)


def test_failed_duplicate_leaves_no_copy(consultation, three_questions, resource, codebook, olga):
    before = snapshot()

    # The copy, its resource links and its questions exist when recording the DUPLICATE event fails.
    with mock.patch("feedback.audit.record", side_effect=Injected), pytest.raises(Injected):
        lifecycle.duplicate_consultation(consultation=consultation, by=olga)

    assert_unchanged(before)


def test_failed_duplicate_questions_leave_no_copy(consultation, three_questions, resource, olga):
    before = snapshot()

    with (
        mock.patch.object(Question.objects, "bulk_create", side_effect=Injected),
        pytest.raises(Injected),
    ):
        lifecycle.duplicate_consultation(consultation=consultation, by=olga)

    assert_unchanged(before)


@pytest.mark.parametrize("remove", [False, True])
def test_failed_tagging_changes_no_theme(alice_words, codebook, mona, remove):
    items = list(Answer.objects.all())
    theme = codebook.themes.get(code="1")
    if remove:
        moderation.tag(items=items, themes=[theme], by=mona)
    before = snapshot()

    # The theme links are written when recording the TAG events fails.
    with mock.patch("feedback.audit.record_each", side_effect=Injected), pytest.raises(Injected):
        moderation.tag(items=items, themes=[theme], by=mona, remove=remove)

    assert_unchanged(before)


@pytest.mark.parametrize("model", [Answer, Comment])
def test_failed_moderation_changes_no_status(alice_words, mona, model):
    before = snapshot()
    moderate = moderation.moderate_answers if model is Answer else moderation.moderate_comments

    # The statuses are updated when recording the MODERATE events fails.
    with mock.patch("feedback.audit.record_each", side_effect=Injected), pytest.raises(Injected):
        moderate(**{f"{model._meta.model_name}s": model.objects.all(), "status": "hidden", "by": mona})

    assert_unchanged(before)
    assert not model.objects.filter(status="hidden").exists()


def test_failed_revocation_revokes_nobody(alice, bob, olga):
    before = snapshot()

    with mock.patch("feedback.audit.record_each", side_effect=Injected), pytest.raises(Injected):
        invitations.revoke_invitations(participants=Participant.objects.all(), by=olga)

    assert_unchanged(before)


def test_failed_redaction_keeps_the_text_shown(alice_words, olga):
    item = Answer.objects.get(text="Alice on oversight")
    before = snapshot()

    with mock.patch("feedback.audit.record", side_effect=Injected), pytest.raises(Injected):
        moderation.redact(item=item, passage="oversight", reason="Names a person", by=olga)

    assert_unchanged(before)


def test_failed_comment_edit_after_submitting_keeps_the_comment(alice_words, resource):
    before = snapshot()

    # The revision and the new text are written when touching the response's last-edited time fails.
    with mock.patch.object(Response, "save", side_effect=Injected), pytest.raises(Injected):
        services.edit_comment(
            comment=alice_words.comments.get(), text="Changed", kind="general", proposed_change=""
        )

    assert_unchanged(before)


def test_failed_single_invitation_keeps_the_old_link(alice, olga, django_capture_on_commit_callbacks):
    before = snapshot()

    # The new token hash is saved when recording the INVITE event fails: the old link must keep working.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch("feedback.audit.record", side_effect=Injected),
        pytest.raises(Injected),
    ):
        invitations.send_invitation(participant=alice, by=olga)

    assert_unchanged(before)
    assert Participant.objects.by_token(alice.token).get() == alice
    assert callbacks == []
