"""The meeting: run of show, console, participants following it, attendance, live points, rapporteur notes,
the calendar file and the record per guiding question."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from feedback.meeting import services
from feedback.models import (
    AgendaItem,
    Attendance,
    AuditEvent,
    LivePoint,
    MeetingState,
    QuestionSummary,
    RapporteurNote,
)
from feedback.organising.invitations import send_invitation
from tests.conftest import answer, submit


@pytest.fixture
def agenda(consultation, questions) -> list[AgendaItem]:
    """The concept note's run of show, in short."""
    return [
        AgendaItem.objects.create(
            consultation=consultation, position=1, title="Presentation of the Toolkit", planned_minutes=20
        ),
        AgendaItem.objects.create(
            consultation=consultation, position=2, title="Individual feedback", planned_minutes=25
        ),
        AgendaItem.objects.create(
            consultation=consultation,
            position=3,
            title="Group discussion",
            planned_minutes=45,
            question=questions[0],
        ),
    ]


@pytest.fixture
def live(consultation, agenda, olga) -> MeetingState:
    return services.start(consultation=consultation, by=olga)


def url(name: str, consultation, *args) -> str:
    return reverse(f"feedback:{name}", args=[consultation.slug, *args])


# Run of show and join link


def test_participant_sees_the_agenda_in_the_meetings_time_zone_before_the_meeting(
    alice_client, consultation, agenda
):
    page = alice_client.get(url("meeting", consultation))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Presentation of the Toolkit" in text
    # 13:00 CET, then 13:20 and 13:45 in the meeting's zone; the browser adds its own (data-local-time).
    assert "13:00–13:20" in text and "13:20–13:45" in text and "13:45–14:30" in text
    assert 'data-local-time-zone="Europe/Paris"' in text
    assert "The meeting has not started yet" in text


def test_join_link_is_shown_to_signed_in_participants_only(client, alice_client, consultation, agenda):
    consultation.join_url = "https://meet.example.org/j/123"
    consultation.save()
    assert "https://meet.example.org/j/123" in alice_client.get(url("meeting", consultation)).content.decode()
    assert Client().get(url("meeting", consultation)).status_code == 404


def test_meeting_page_is_404_for_a_participant_of_another_consultation(client, carol, consultation):
    client.post(f"/i/{carol.token}/")
    assert client.get(url("meeting", consultation)).status_code == 404
    assert client.get(url("meeting-now", consultation)).status_code == 404
    assert client.get(url("meeting-ics", consultation)).status_code == 404


# Calendar


def test_calendar_file_parses_and_carries_the_meetings_zone(alice_client, consultation):
    response = alice_client.get(url("meeting-ics", consultation))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    zones = [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")]
    assert zones == ["Europe/Paris"]
    event = calendar.walk("VEVENT")[0]
    assert str(event["UID"]) == consultation.calendar_uid()
    assert event.decoded("DTSTART").isoformat() == "2022-11-03T13:00:00+01:00"
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Paris"
    assert event.decoded("DTEND").isoformat() == "2022-11-03T14:30:00+01:00"
    assert int(event["SEQUENCE"]) == 0


def test_calendar_file_is_404_for_anyone_not_signed_in(client, consultation):
    assert client.get(url("meeting-ics", consultation)).status_code == 404


def test_changing_the_meeting_time_in_the_admin_raises_the_sequence_and_keeps_the_uid(rf, olga, consultation):
    from django.contrib.admin.sites import site

    from feedback.models import Consultation

    admin = site._registry[Consultation]
    uid = consultation.calendar_uid()
    consultation.meeting_starts_at += timedelta(hours=1)
    form = admin.get_form(rf.get("/"), consultation)(instance=consultation)
    form.changed_data  # noqa: B018  # computed on first read; the test says what changed instead
    form.__dict__["changed_data"] = ["meeting_starts_at"]
    admin.save_model(rf.post("/"), consultation, form, change=True)
    consultation.refresh_from_db()
    assert consultation.calendar_sequence == 1
    assert consultation.calendar_uid() == uid
    form.__dict__["changed_data"] = ["background_en"]
    admin.save_model(rf.post("/"), consultation, form, change=True)
    consultation.refresh_from_db()
    assert consultation.calendar_sequence == 1


def test_invitation_mail_carries_the_calendar_entry(
    consultation, alice, olga, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_invitation(participant=alice, by=olga)
    (message,) = mail.outbox
    (name, content, content_type) = message.attachments[0]
    assert name == "meeting.ics" and content_type.startswith("text/calendar")
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert str(event["UID"]) == consultation.calendar_uid()


def test_invitation_without_a_meeting_has_no_calendar_entry(
    consultation, alice, olga, django_capture_on_commit_callbacks
):
    consultation.meeting_starts_at = consultation.meeting_ends_at = None
    consultation.save()
    with django_capture_on_commit_callbacks(execute=True):
        send_invitation(participant=alice, by=olga)
    assert mail.outbox[0].attachments == []


# Console


def test_moderator_console_shows_the_agenda_with_the_now_pointer(client, mona, consultation, live):
    client.force_login(mona)
    page = client.get(url("meeting-console", consultation))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'aria-current="step"' in text and "Presentation of the Toolkit" in text
    assert "0:00 / 20:00" in text or "0:01 / 20:00" in text


def test_analyst_and_rapporteur_may_not_open_the_console(client, ann, rita, consultation, agenda):
    for user in (ann, rita):
        client.force_login(user)
        assert client.get(url("meeting-console", consultation)).status_code == 404
        assert client.post(url("meeting-start", consultation)).status_code == 404


def test_next_previous_extend_and_end_move_the_pointer_and_are_audited(olga_client, consultation, agenda):
    olga_client.post(url("meeting-start", consultation))
    state = MeetingState.objects.get(consultation=consultation)
    assert state.current_item == agenda[0] and not state.is_rehearsal
    olga_client.post(url("meeting-next", consultation))
    olga_client.post(url("meeting-next", consultation))
    olga_client.post(url("meeting-next", consultation))  # beyond the last item: stays
    state.refresh_from_db()
    assert state.current_item == agenda[2]
    olga_client.post(url("meeting-previous", consultation))
    olga_client.post(url("meeting-extend", consultation))
    state.refresh_from_db()
    assert state.current_item == agenda[1]
    agenda[1].refresh_from_db()
    assert agenda[1].extra_minutes == 5
    olga_client.post(url("meeting-end", consultation))
    state.refresh_from_db()
    assert state.ended_at is not None
    steps = list(
        AuditEvent.objects.filter(action=AuditEvent.Action.MEETING)
        .order_by("id")
        .values_list("details__step", flat=True)
    )
    assert steps == ["start", "next", "next", "previous", "extend", "end"]


def test_next_before_the_meeting_starts_says_so(olga_client, consultation, agenda):
    response = olga_client.post(url("meeting-next", consultation), follow=True)
    assert "The meeting is not running" in response.content.decode()


def test_console_actions_only_take_post(olga_client, consultation, agenda):
    assert olga_client.get(url("meeting-next", consultation)).status_code == 405


# Participants follow


def test_poll_answers_304_when_nothing_changed_and_200_after_next(alice_client, consultation, live, olga):
    first = alice_client.get(url("meeting-now", consultation))
    assert first.status_code == 200
    assert first.json()["item"]["title"] == "Presentation of the Toolkit"
    etag = first["ETag"]
    again = alice_client.get(url("meeting-now", consultation), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    services.move(consultation=consultation, by=olga, step=1)
    moved = alice_client.get(url("meeting-now", consultation), HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200
    assert moved.json()["item"]["title"] == "Individual feedback"


def test_poll_costs_no_query_while_cached(alice_client, consultation, live, django_assert_max_num_queries):
    alice_client.get(url("meeting-now", consultation))
    with django_assert_max_num_queries(1):  # the session row; with Redis sessions, none
        response = alice_client.get(url("meeting-now", consultation))
    assert response.status_code == 200


def test_poll_carries_the_question_of_the_current_item(alice_client, consultation, live, olga):
    services.move(consultation=consultation, by=olga, step=1)
    services.move(consultation=consultation, by=olga, step=1)
    item = alice_client.get(url("meeting-now", consultation)).json()["item"]
    assert item["question_no"] == 1 and item["question"] == "What are your thoughts?"


def test_poll_is_404_without_a_session(client, consultation, live):
    assert client.get(url("meeting-now", consultation)).status_code == 404


# Attendance


def test_opening_the_meeting_page_while_it_runs_records_attendance(alice_client, alice, consultation, live):
    alice_client.get(url("meeting", consultation))
    alice_client.get(url("meeting", consultation))
    attendance = Attendance.objects.get(participant=alice)
    assert (
        attendance.is_present and attendance.source == Attendance.Source.AUTO and not attendance.is_rehearsal
    )


def test_opening_the_meeting_page_outside_the_meeting_records_nothing(
    alice_client, alice, consultation, agenda
):
    alice_client.get(url("meeting", consultation))
    assert not Attendance.objects.exists()


def test_opening_the_page_during_the_planned_window_records_attendance(
    alice_client, alice, consultation, agenda
):
    consultation.meeting_starts_at = timezone.now() - timedelta(minutes=5)
    consultation.meeting_ends_at = timezone.now() + timedelta(minutes=85)
    consultation.save()
    alice_client.get(url("meeting", consultation))
    assert Attendance.objects.filter(participant=alice, is_present=True).exists()


def test_organiser_ticks_and_unticks_attendance_by_hand(olga_client, alice, bob, consultation, live):
    olga_client.post(url("meeting-attendance", consultation, bob.pk), {"present": "yes"})
    assert Attendance.objects.get(participant=bob).source == Attendance.Source.MANUAL
    page = olga_client.get(url("meeting-console", consultation)).content.decode()
    assert "Northbridge Cloud" in page
    olga_client.post(url("meeting-attendance", consultation, bob.pk), {"present": "no"})
    assert not Attendance.objects.get(participant=bob).is_present
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ATTENDANCE).count() == 2


def test_moderator_may_not_tick_attendance(client, mona, bob, consultation, live):
    client.force_login(mona)
    assert client.post(url("meeting-attendance", consultation, bob.pk), {"present": "yes"}).status_code == 404


# Live points


def test_live_point_autosaves_and_goes_to_moderation(alice_client, alice, consultation, live, agenda):
    name = f"live{agenda[0].pk}"
    response = alice_client.post(
        url("meeting-autosave", consultation), {"field": name, name: "Audit logs matter."}
    )
    assert response.status_code == 200 and "saved_at" in response.json()
    alice_client.post(url("meeting-autosave", consultation), {"field": name, name: "Audit logs matter most."})
    point = LivePoint.objects.get(participant=alice)
    assert point.text == "Audit logs matter most." and point.status == LivePoint.Status.PENDING
    assert not point.is_rehearsal


def test_live_point_is_refused_before_the_meeting_starts(alice_client, consultation, agenda):
    name = f"live{agenda[0].pk}"
    response = alice_client.post(url("meeting-autosave", consultation), {"field": name, name: "Early."})
    assert response.status_code == 409 and not LivePoint.objects.exists()


def test_live_point_too_long_is_refused_and_the_saved_one_kept(
    alice_client, alice, consultation, live, agenda
):
    name = f"live{agenda[0].pk}"
    alice_client.post(url("meeting-autosave", consultation), {"field": name, name: "Kept."})
    response = alice_client.post(url("meeting-autosave", consultation), {"field": name, name: "x" * 1001})
    assert response.status_code == 400 and "1000" in response.json()["error"]
    assert LivePoint.objects.get(participant=alice).text == "Kept."


def test_live_point_on_another_consultations_item_is_refused(
    alice_client, consultation, live, other_consultation
):
    foreign = AgendaItem.objects.create(consultation=other_consultation, position=1, title="Elsewhere")
    name = f"live{foreign.pk}"
    response = alice_client.post(url("meeting-autosave", consultation), {"field": name, name: "Hi"})
    assert response.status_code == 400


def test_rehearsal_input_is_marked_and_kept_out_of_the_record_until_kept(
    alice_client, alice, consultation, agenda, olga
):
    services.start(consultation=consultation, by=olga, rehearsal=True)
    name = f"live{agenda[0].pk}"
    alice_client.post(url("meeting-autosave", consultation), {"field": name, name: "Rehearsal words."})
    assert LivePoint.objects.get().is_rehearsal
    assert not LivePoint.objects.in_record().exists()
    services.keep_rehearsal(consultation=consultation, by=olga)
    assert LivePoint.objects.in_record().count() == 1


# Rapporteur notes


def test_rapporteur_writes_notes_and_two_rapporteurs_never_overwrite_each_other(
    client, rita, alice, consultation, live, agenda
):
    client.force_login(rita)
    page = client.get(url("meeting-notes", consultation))
    assert page.status_code == 200
    for text in ("Wants audit logs.", "Disagrees on thresholds."):
        response = client.post(
            url("meeting-notes", consultation),
            {
                "agenda_item": agenda[0].pk,
                "kind": "point",
                "speaker": "participant",
                "participant": alice.pk,
                "text": text,
            },
        )
        assert response.status_code == 302
    assert RapporteurNote.objects.filter(author=rita).count() == 2
    assert set(RapporteurNote.objects.values_list("text", flat=True)) == {
        "Wants audit logs.",
        "Disagrees on thresholds.",
    }


def test_note_attributed_to_a_participant_needs_the_participant(client, rita, consultation, live, agenda):
    client.force_login(rita)
    response = client.post(
        url("meeting-notes", consultation),
        {"agenda_item": agenda[0].pk, "kind": "proposal", "speaker": "participant", "text": "Something"},
    )
    assert response.status_code == 200 and "Choose who said it" in response.content.decode()
    assert not RapporteurNote.objects.exists()


def test_participants_and_analysts_cannot_open_the_notes_page(
    client, alice_client, ann, consultation, agenda
):
    assert alice_client.get(url("meeting-notes", consultation)).status_code == 302  # to the admin sign-in
    client.force_login(ann)
    assert client.get(url("meeting-notes", consultation)).status_code == 404


# After the meeting


def test_record_shows_answers_live_points_and_notes_side_by_side(
    olga_client, olga, alice, bob, consultation, live, agenda, questions
):
    answer(alice, questions[0], "Written: the Toolkit is clear.")
    submit(alice)
    services.move(consultation=consultation, by=olga, step=1)
    services.move(consultation=consultation, by=olga, step=1)
    services.save_live_point(
        participant=bob, agenda_item=agenda[2], text="Live: add a glossary.", language="en"
    )
    services.add_note(
        agenda_item=agenda[2],
        by=olga,
        kind="proposal",
        speaker="organisers",
        text="Spoken: publish a checklist.",
    )
    page = olga_client.get(url("meeting-record", consultation)).content.decode()
    for text in ("Written: the Toolkit is clear.", "Live: add a glossary.", "Spoken: publish a checklist."):
        assert text in page


def test_organiser_summary_per_question_is_saved_and_audited(olga_client, consultation, questions, agenda):
    response = olga_client.post(
        reverse("feedback:meeting-summary", args=[consultation.slug, 1]),
        {"q1-text": "Broad support, two caveats."},
    )
    assert response.status_code == 302
    assert QuestionSummary.objects.get(question=questions[0]).text == "Broad support, two caveats."
    assert AuditEvent.objects.filter(object_type="questionsummary").exists()


def test_moderator_may_read_the_record_but_not_write_summaries(client, mona, consultation, questions):
    client.force_login(mona)
    assert client.get(url("meeting-record", consultation)).status_code == 200
    assert (
        client.post(
            reverse("feedback:meeting-summary", args=[consultation.slug, 1]), {"q1-text": "x"}
        ).status_code
        == 404
    )


# Exports: live and spoken items under the same attribution rules as written answers


def export_rows(consultation, profile: str) -> list[dict[str, str]]:
    from feedback.exports.columns import LONG_COLUMNS
    from feedback.exports.shapes import Export

    export = Export.of(consultation, profile=profile)
    return [dict(zip(LONG_COLUMNS, row, strict=True)) for row in export.rows()]


@pytest.fixture
def meeting_record(consultation, live, agenda, alice, bob, olga):
    eve = make_eve(consultation)
    services.save_live_point(participant=alice, agenda_item=agenda[0], text="Alice live.", language="en")
    services.save_live_point(participant=eve, agenda_item=agenda[0], text="Eve live.", language="en")
    services.add_note(
        agenda_item=agenda[2], by=olga, kind="point", speaker="participant", participant=bob, text="Bob said."
    )
    services.add_note(
        agenda_item=agenda[2], by=olga, kind="point", speaker="participant", participant=eve, text="Eve said."
    )
    services.add_note(
        agenda_item=agenda[2], by=olga, kind="proposal", speaker="unattributed", text="Someone said."
    )
    services.add_note(agenda_item=agenda[2], by=olga, kind="follow_up", speaker="organisers", text="We will.")


def make_eve(consultation):
    from feedback.models import Participant
    from tests.conftest import make_participant

    return make_participant(
        consultation,
        "Eve Lindqvist",
        "eve@example.org",
        organisation="Halden Forensics",
        attribution=Participant.Attribution.NOT_QUOTED,
        consented_at=timezone.now(),
    )


# Per profile, the meeting rows in export order (alice's and eve's live points, then the notes of bob, eve,
# nobody and the organisers): (item type, participant, organisation, answer); "P" stands for a pseudonym.
EXPECTED_WHO = {
    "identified": [
        ("live", "Alice Martin", "Sentinel Analytics", "Alice live."),
        ("live", "Eve Lindqvist", "Halden Forensics", "Eve live."),
        ("spoken", "Bob Okafor", "Northbridge Cloud", "Bob said."),
        ("spoken", "Eve Lindqvist", "Halden Forensics", "Eve said."),
        ("spoken", "", "", "Someone said."),
        ("spoken", "organisers", "", "We will."),
    ],
    "pseudonymised": [
        ("live", "P", "", "Alice live."),
        ("live", "P", "", "Eve live."),
        ("spoken", "P", "", "Bob said."),
        ("spoken", "P", "", "Eve said."),
        ("spoken", "", "", "Someone said."),
        ("spoken", "organisers", "", "We will."),
    ],
    "chatham-house": [
        # alice: organisation only; eve: not to be quoted; bob: named.
        ("live", "P", "Sentinel Analytics", "Alice live."),
        ("live", "P", "", "[not to be quoted]"),
        ("spoken", "Bob Okafor", "Northbridge Cloud", "Bob said."),
        ("spoken", "P", "", "[not to be quoted]"),
        ("spoken", "", "", "Someone said."),
        ("spoken", "organisers", "", "We will."),
    ],
}


@pytest.mark.parametrize("profile", ["identified", "pseudonymised", "chatham-house"])
def test_live_points_and_notes_are_exported_under_each_persons_quotation_choice(
    consultation, meeting_record, profile
):
    got = [
        (
            row["item_type"],
            "P" if row["participant"].startswith("P-") else row["participant"],
            row["organisation"],
            row["answer"],
        )
        for row in export_rows(consultation, profile)
        if row["item_type"] in ("live", "spoken")
    ]
    assert got == EXPECTED_WHO[profile]


def test_exported_live_and_spoken_rows_carry_the_agenda_item_and_its_question(consultation, meeting_record):
    rows = {row["answer"]: row for row in export_rows(consultation, "identified")}
    assert rows["Bob said."]["question_no"] == "1" and rows["Bob said."]["section"] == "Group discussion"
    assert (
        rows["Alice live."]["question_no"] == ""
        and rows["Alice live."]["section"] == "Presentation of the Toolkit"
    )
    assert rows["Someone said."]["attribution"] == "unattributed"


@pytest.mark.parametrize("profile", ["identified", "pseudonymised", "chatham-house"])
def test_exported_spoken_rows_carry_the_kind_of_note_and_other_rows_none(
    consultation, meeting_record, profile
):
    rows = export_rows(consultation, profile)
    kinds = [(row["item_type"], row["note_kind"]) for row in rows if row["item_type"] in ("live", "spoken")]
    assert kinds == [
        ("live", ""),
        ("live", ""),
        ("spoken", "point"),
        ("spoken", "point"),
        ("spoken", "proposal"),
        ("spoken", "follow_up"),
    ]


def test_wide_export_counts_each_participants_live_points_and_the_notes_attributed_to_them(
    consultation, meeting_record, alice, bob
):
    from feedback.exports.shapes import Export

    export = Export.of(consultation, profile="pseudonymised", shape="wide")
    columns = export.columns()
    rows = [dict(zip(columns, row, strict=True)) for row in export.rows()]

    counts = {row["participant"]: (row["live_points"], row["notes"]) for row in rows}
    assert counts[alice.pseudonym] == ("1", "0")
    assert counts[bob.pseudonym] == ("0", "1")
    # Eve took part in the meeting only: a row with no response, and no name in this profile.
    [eve] = [row for row in rows if row["participant"] not in (alice.pseudonym, bob.pseudonym)]
    assert (eve["live_points"], eve["notes"], eve["submitted_at"]) == ("1", "1", "")
    assert eve["participant"].startswith("P-") and eve["organisation"] == ""
    assert export.counts()["live_points"] == 2 and export.counts()["rows"] == 3


def test_rehearsal_input_is_not_exported_until_kept(alice_client, consultation, agenda, alice, olga):
    services.start(consultation=consultation, by=olga, rehearsal=True)
    services.save_live_point(participant=alice, agenda_item=agenda[0], text="Rehearsal.", language="en")
    assert [r for r in export_rows(consultation, "identified") if r["item_type"] == "live"] == []
    services.keep_rehearsal(consultation=consultation, by=olga)
    assert [r["answer"] for r in export_rows(consultation, "identified") if r["item_type"] == "live"] == [
        "Rehearsal."
    ]


def test_organiser_summary_heads_its_question_in_the_insights_report(
    olga_client, olga, consultation, questions
):
    services.save_summary(question=questions[0], text="Broad support for the principles.", by=olga)
    page = olga_client.get(reverse("feedback:insights-report", args=[consultation.slug])).content.decode()
    assert "Broad support for the principles." in page


def test_erasing_a_participant_empties_their_live_points_and_the_notes_of_what_they_said(
    meeting_record, alice, bob, olga
):
    from feedback.models import LivePoint, Participant, RapporteurNote
    from feedback.organising import lifecycle

    lifecycle.erase_participants(
        participants=Participant.objects.filter(pk__in=[alice.pk, bob.pk]), by=olga, reason="Asked to"
    )

    assert list(LivePoint.objects.filter(participant=alice).values_list("text", flat=True)) == [""]
    assert list(RapporteurNote.objects.filter(participant=bob).values_list("text", flat=True)) == [""]
    assert LivePoint.objects.exclude(participant__in=[alice, bob]).filter(text="Eve live.").exists()


def test_export_filters_apply_to_the_meetings_record_by_its_own_author_and_time(consultation, meeting_record):
    from feedback.exports.shapes import Export, ExportFilters, live_points_for_export, notes_for_export

    def texts(**filters) -> set[str]:
        chosen = ExportFilters(**filters)
        points = chosen.live_points(live_points_for_export(consultation))
        notes = chosen.notes(notes_for_export(consultation))
        return {*points.values_list("text", flat=True), *notes.values_list("text", flat=True)}

    assert texts(countries=("FR",)) == {"Alice live."}
    assert texts(organisation_types=("provider_mixed",)) == {"Bob said."}
    assert texts(resources=(1,)) == set()
    today = timezone.localdate()
    assert "We will." in texts(submitted_from=today, submitted_to=today)
    assert texts(submitted_to=today - timedelta(days=1)) == set()
    assert Export.of(consultation, profile="pseudonymised").counts()["live_points"] == 2


# The meeting's record on the analysis dashboard and in its search


def test_dashboard_counts_live_points_and_notes_per_agenda_item_without_hidden_or_erased_ones(
    consultation, meeting_record, agenda, alice, bob, olga
):
    from feedback.analysis import dashboard
    from feedback.models import Participant
    from feedback.organising import lifecycle

    def counts() -> list[tuple[str, int, int]]:
        return [(r.item.title, r.live_points, r.notes) for r in dashboard.meeting_counts(consultation)]

    assert counts() == [
        ("Presentation of the Toolkit", 2, 0),
        ("Individual feedback", 0, 0),
        ("Group discussion", 0, 4),
    ]
    LivePoint.objects.filter(participant=alice).update(status=LivePoint.Status.HIDDEN)
    lifecycle.erase_participants(participants=Participant.objects.filter(pk=bob.pk), by=olga, reason="Asked")
    assert counts()[0][1:] == (1, 0) and counts()[2][1:] == (0, 3)


def test_dashboard_names_the_organisations_present_as_the_readers_profile_allows(
    consultation, live, alice, bob, olga_client, ann
):
    eve = make_eve(consultation)  # not to be quoted
    for person in (alice, bob, eve):
        Attendance.objects.create(participant=person)
    Attendance.objects.create(participant=alice, is_rehearsal=True)  # a rehearsal does not count
    analyst = Client()
    analyst.force_login(ann)
    dashboard_url = reverse("feedback:analysis-dashboard", args=[consultation.slug])

    seen_by_ann = analyst.get(dashboard_url).context["meeting_attendance"]
    seen_by_olga = olga_client.get(dashboard_url)

    # alice: organisation only, bob: named, eve: not to be quoted.
    assert seen_by_ann.count == 3
    assert seen_by_ann.organisations == ["Northbridge Cloud", "Sentinel Analytics"]
    assert seen_by_ann.unnamed == 1
    assert seen_by_olga.context["meeting_attendance"].organisations == [
        "Halden Forensics",
        "Northbridge Cloud",
        "Sentinel Analytics",
    ]
    assert "3 participants attended." in seen_by_olga.content.decode()


def test_search_finds_live_points_and_notes_with_their_type_and_attribution_per_reader(
    consultation, meeting_record, agenda, alice, bob, olga_client, ann
):
    analyst = Client()
    analyst.force_login(ann)
    search_url = reverse("feedback:analysis-search", args=[consultation.slug])
    LivePoint.objects.filter(participant=alice).update(status=LivePoint.Status.HIDDEN)

    by_ann = analyst.get(search_url, {"q": "said"})
    by_olga = olga_client.get(search_url, {"q": "said"}).content.decode()
    found = {(item.item_kind, item.text) for item in by_ann.context["items"]}

    assert found == {("spoken", "Bob said."), ("spoken", "Eve said."), ("spoken", "Someone said.")}
    page = by_ann.content.decode()
    assert "Rapporteur note from the meeting" in page and "Unattributed" in page
    assert bob.pseudonym in page and "Bob Okafor" not in page
    assert "Bob Okafor" in by_olga
    # The analyst does not see hidden items; a live point is found with its type.
    assert [item.text for item in analyst.get(search_url, {"q": "live"}).context["items"]] == ["Eve live."]
    assert "Live point at the meeting" in analyst.get(search_url, {"q": "live"}).content.decode()
    # A filter on a resource finds none of the meeting's record; one on the agenda item's question does.
    question = agenda[2].question
    assert not analyst.get(search_url, {"q": "said", "resource": "1"}).context["items"]
    assert len(analyst.get(search_url, {"q": "said", "question": question.pk}).context["items"]) == 3


# Attendance from the poll


def test_polling_while_the_meeting_runs_records_attendance_once_then_costs_no_query(
    alice_client, alice, consultation, live, django_assert_max_num_queries
):
    assert not Attendance.objects.filter(participant=alice).exists()

    alice_client.get(url("meeting-now", consultation))

    attendance = Attendance.objects.get(participant=alice)
    assert attendance.is_present and attendance.source == Attendance.Source.AUTO
    with django_assert_max_num_queries(1):  # the session row; with Redis sessions, none
        assert alice_client.get(url("meeting-now", consultation)).status_code == 200
    assert Attendance.objects.filter(participant=alice).count() == 1


def test_polling_during_the_planned_window_records_attendance(alice_client, alice, consultation, agenda):
    consultation.meeting_starts_at = timezone.now() - timedelta(minutes=5)
    consultation.meeting_ends_at = timezone.now() + timedelta(minutes=85)
    consultation.save()
    alice_client.get(url("meeting-now", consultation))
    assert Attendance.objects.filter(participant=alice, is_present=True, is_rehearsal=False).exists()


def test_polling_before_the_meeting_records_nothing_and_checks_once_a_minute(
    alice_client, alice, consultation, agenda, olga, django_assert_max_num_queries
):
    alice_client.get(url("meeting-now", consultation))
    assert not Attendance.objects.exists()
    with django_assert_max_num_queries(1):  # the session row only: the window was checked a moment ago
        alice_client.get(url("meeting-now", consultation))
    # The meeting starts: the next poll records attendance at once, without waiting for that minute.
    services.start(consultation=consultation, by=olga)
    alice_client.get(url("meeting-now", consultation))
    assert Attendance.objects.filter(participant=alice, is_rehearsal=False).exists()


def test_polling_a_rehearsal_and_then_the_meeting_records_each_once(
    alice_client, alice, consultation, agenda, olga
):
    services.start(consultation=consultation, by=olga, rehearsal=True)
    alice_client.get(url("meeting-now", consultation))
    services.start(consultation=consultation, by=olga)
    alice_client.get(url("meeting-now", consultation))
    assert sorted(Attendance.objects.filter(participant=alice).values_list("is_rehearsal", flat=True)) == [
        False,
        True,
    ]


def test_polling_never_overrides_an_organisers_untick(alice_client, alice, consultation, live, olga):
    services.set_attendance(participant=alice, is_present=False, by=olga)
    alice_client.get(url("meeting-now", consultation))
    assert not Attendance.objects.get(participant=alice, is_rehearsal=False).is_present
