"""The reminder command: who is reminded before a consultation closes, and that nobody is reminded twice."""

import io
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from feedback.models import AuditEvent, Consultation, Participant, Response
from feedback.organising import invitations
from tests.conftest import make_participant


@pytest.fixture
def run(django_capture_on_commit_callbacks) -> Callable[..., str]:
    """Run the command as cron would: mails go out when each reminder's transaction commits."""

    def run(*args: str) -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", *args, stdout=out)
        return out.getvalue()

    return run


@pytest.fixture
def closing(consultation) -> Consultation:
    """The consultation, closing in five days, at 18:00 in Paris."""
    consultation.closes_at = (timezone.now() + timedelta(days=5)).replace(
        hour=17, minute=0, second=0, microsecond=0
    )
    consultation.save()
    return consultation


@pytest.fixture
def crowd(closing, alice, bob) -> dict[str, Participant]:
    """Alice and bob are due; the others each have a reason not to be reminded."""
    now = timezone.now()
    people = {"alice": alice, "bob": bob}
    people["submitted"] = make_participant(closing, "Sue Submitted", "sue@example.org")
    Response.objects.create(
        participant=people["submitted"], status=Response.Status.SUBMITTED, submitted_at=now
    )
    people["revoked"] = make_participant(closing, "Rita Revoked", "rita@example.org", is_revoked=True)
    people["expired"] = make_participant(
        closing, "Ed Expired", "ed@example.org", invite_expires_at=now - timedelta(hours=1)
    )
    people["not_invited"] = Participant.objects.create(
        consultation=closing, name="Nina Notinvited", email="nina@example.org"
    )
    people["recently"] = make_participant(
        closing, "Remi Recent", "remi@example.org", reminded_at=now - timedelta(days=1)
    )
    people["long_ago"] = make_participant(
        closing, "Lou Longago", "lou@example.org", reminded_at=now - timedelta(days=4)
    )
    return people


def recipients() -> set[str]:
    return {message.to[0] for message in mail.outbox}


def test_only_invitees_who_have_not_submitted_and_were_not_just_reminded_get_a_reminder(run, crowd):
    output = run()

    assert recipients() == {"alice@example.org", "bob@example.org", "lou@example.org"}
    assert output.strip() == "reminders: 3 sent, 0 already sent by another run."
    reminded = set(Participant.objects.filter(reminded_at__gte=timezone.now() - timedelta(minutes=1)))
    assert reminded == {crowd["alice"], crowd["bob"], crowd["long_ago"]}
    events = AuditEvent.objects.filter(action=AuditEvent.Action.REMIND)
    assert {e.object_id for e in events} == {str(crowd[n].pk) for n in ("alice", "bob", "long_ago")}
    assert all(e.actor is None and e.actor_name == "system" for e in events)


def test_the_reminder_says_the_deadline_in_the_consultations_time_zone_with_a_new_link(run, closing, alice):
    run()

    message = mail.outbox[0]
    assert message.subject.startswith("Reminder: Technology providers' consultation closes on")
    assert "Dear Alice Martin," in message.body
    with timezone.override(closing.tz):
        deadline = date_format(timezone.localtime(closing.closes_at), "DATETIME_FORMAT")
    assert f"closes for feedback on {deadline} (Europe/Paris time)" in message.body
    assert deadline in message.subject
    assert deadline != date_format(closing.closes_at, "DATETIME_FORMAT")  # UTC would be an hour or two off
    assert "(Europe/Paris time)" in message.body
    assert "replaces any earlier link" in message.body
    token = re.search(r"http://testserver/i/([^/\s]+)/", message.body).group(1)
    assert Client().get(f"/i/{token}/").status_code == 200
    assert Client().get(f"/i/{alice.token}/").status_code == 404


def test_a_second_run_sends_nothing(run, crowd):
    run()
    mail.outbox.clear()

    output = run()

    assert mail.outbox == []
    assert output.strip() == "reminders: 0 sent, 0 already sent by another run."


def test_a_participant_claimed_by_another_run_is_not_reminded_again(
    closing, alice, django_capture_on_commit_callbacks
):
    now = timezone.now()
    stale = Participant.objects.get(pk=alice.pk)  # as a concurrent run read it, before either claimed it

    with django_capture_on_commit_callbacks(execute=True):
        assert invitations.send_reminder(participant=alice, now=now, min_interval=timedelta(days=3))
        assert not invitations.send_reminder(participant=stale, now=now, min_interval=timedelta(days=3))

    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REMIND).count() == 1


def test_a_dry_run_lists_who_would_be_reminded_and_changes_nothing(run, crowd):
    before = {p.pk: (p.token_hash, p.reminded_at) for p in Participant.objects.all()}

    output = run("--dry-run")

    assert "would remind: tech-providers alice@example.org" in output
    assert "lou@example.org" in output
    assert "remi@example.org" not in output
    assert output.strip().endswith("dry run: 3 would be reminded; nothing sent or changed.")
    assert mail.outbox == []
    assert {p.pk: (p.token_hash, p.reminded_at) for p in Participant.objects.all()} == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "closes_in, published, opened_ago, reminded",
    [
        (timedelta(days=5), True, timedelta(days=1), True),
        (timedelta(days=10), True, timedelta(days=1), False),  # deadline still far off
        (timedelta(days=5), False, timedelta(days=1), False),  # not published
        (timedelta(days=5), True, -timedelta(days=1), False),  # not open yet
    ],
)
def test_only_open_published_consultations_closing_soon_send_reminders(
    run, consultation, alice, closes_in, published, opened_ago, reminded
):
    now = timezone.now()
    Consultation.objects.filter(pk=consultation.pk).update(
        closes_at=now + closes_in, opens_at=now - opened_ago, is_published=published
    )

    run()

    assert (len(mail.outbox) == 1) is reminded


def test_a_closed_consultation_sends_no_reminders(run, consultation, alice):
    now = timezone.now()
    Consultation.objects.filter(pk=consultation.pk).update(
        opens_at=now - timedelta(days=10), closes_at=now - timedelta(hours=1)
    )

    run()

    assert mail.outbox == []


def test_the_window_and_interval_can_be_chosen(run, crowd):
    output = run("--days-before", "3", "--dry-run")
    assert "dry run: 0 would be reminded" in output

    output = run("--min-interval-days", "0", "--dry-run")
    assert "remi@example.org" in output


def test_the_reminder_run_costs_few_queries_per_participant(run, closing, django_assert_max_num_queries):
    for i in range(10):
        make_participant(closing, f"Person {i}", f"person{i}@example.org")

    # One query to list them, then a claim, a link, an audit event (and savepoints) per participant.
    with django_assert_max_num_queries(1 + 10 * 8):
        run()

    assert len(mail.outbox) == 10


def test_a_participant_who_submits_after_the_list_was_read_is_not_reminded(
    closing, alice, django_capture_on_commit_callbacks
):
    listed = Participant.objects.get(pk=alice.pk)
    Response.objects.create(participant=alice, status=Response.Status.SUBMITTED, submitted_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        sent = invitations.send_reminder(
            participant=listed, now=timezone.now(), min_interval=timedelta(days=3)
        )

    assert not sent
    assert mail.outbox == []
