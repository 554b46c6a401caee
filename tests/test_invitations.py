"""Inviting people: importing invitees from CSV with a preview, setting an expiry, sending and resending links."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from feedback.models import AuditEvent, Participant
from feedback.organising import invitations
from tests.conftest import make_participant

IMPORT_URL = "/admin/feedback/participant/import/"
CONFIRM_URL = "/admin/feedback/participant/import/confirm/"
CHANGELIST = "/admin/feedback/participant/"

GOOD_CSV = (
    "name,email,organisation,organisation_type,country\n"
    "Dara Quinn,dara@example.org,Lumen Vision,provider_le_only,IE\n"
    "Eli Sato , eli@example.org , Kaiju Labs ,Industry,japan\n"
    "Femi Ade,femi@example.org,,,\n"
)


def upload(content: str | bytes, name: str = "invitees.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def preview(client: Client, consultation, content: str | bytes):
    return client.post(IMPORT_URL, {"consultation": consultation.pk, "file": upload(content)})


def payload_of(page) -> str:
    return re.search(r'name="payload" value="([^"]+)"', page.content.decode()).group(1)


def confirm(client: Client, payload: str, send: bool = False):
    data = {"payload": payload}
    if send:
        data["send"] = "on"
    return client.post(CONFIRM_URL, data)


def refused(page) -> dict[int, str]:
    """The refused rows table as {line: reasons}."""
    content = page.content.decode()
    table = content.split('id="refused-rows"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>\s*<td>(\d+)</td><td>([^<]*)</td>", table)
    return {int(line): reasons for line, reasons in rows}


# Import


def test_the_participant_list_links_to_the_import(olga_client, consultation):
    content = olga_client.get(CHANGELIST).content.decode()

    assert f'href="{IMPORT_URL}"' in content
    assert "Import invitees" in content


def test_the_import_starts_with_the_consultation_the_list_is_filtered_to(olga_client, consultation):
    listing = olga_client.get(f"{CHANGELIST}?consultation__id__exact={consultation.pk}").content.decode()
    assert f'href="{IMPORT_URL}?consultation={consultation.pk}"' in listing

    page = olga_client.get(f"{IMPORT_URL}?consultation={consultation.pk}").content.decode()

    assert f'<option value="{consultation.pk}" selected>' in page


def test_the_import_page_asks_for_a_consultation_and_a_file(olga_client, consultation):
    page = olga_client.get(IMPORT_URL)

    content = page.content.decode()
    assert page.status_code == 200
    assert "Technology providers&#x27; consultation" in content
    assert 'type="file"' in content
    assert "organisation_type" in content


def test_the_preview_lists_the_rows_to_add_and_saves_nothing(olga_client, consultation):
    page = preview(olga_client, consultation, GOOD_CSV)

    content = page.content.decode()
    assert page.status_code == 200
    assert "3 invitees will be added" in content
    assert "Dara Quinn" in content
    assert "Technology provider (law enforcement clients only)" in content
    assert "Japan" in content
    assert "Nothing has been saved yet." in content
    assert not Participant.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).exists()


def test_confirming_adds_the_invitees_and_records_one_import(olga_client, olga, consultation):
    page = preview(olga_client, consultation, GOOD_CSV)

    response = confirm(olga_client, payload_of(page))

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?consultation__id__exact={consultation.pk}"
    added = {p.email: p for p in Participant.objects.filter(consultation=consultation)}
    assert set(added) == {"dara@example.org", "eli@example.org", "femi@example.org"}
    eli = added["eli@example.org"]
    assert (eli.name, eli.organisation, eli.organisation_type, eli.country.code) == (
        "Eli Sato",
        "Kaiju Labs",
        Participant.OrganisationType.INDUSTRY,
        "JP",
    )
    assert all(p.invited_at is None for p in added.values())
    assert mail.outbox == []
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert (event.actor, event.consultation, event.count) == (olga, consultation, 3)
    assert sorted(event.details["participants"]) == sorted(p.pk for p in added.values())
    listing = olga_client.get(response["Location"]).content.decode()
    assert "Added 3 invitees to Technology providers&#x27; consultation." in listing


def test_confirming_with_send_mails_each_invitee_a_working_link(
    olga_client, consultation, django_capture_on_commit_callbacks
):
    page = preview(olga_client, consultation, GOOD_CSV)

    with django_capture_on_commit_callbacks(execute=True):
        confirm(olga_client, payload_of(page), send=True)

    assert sorted(m.to[0] for m in mail.outbox) == ["dara@example.org", "eli@example.org", "femi@example.org"]
    dara_mail = next(m for m in mail.outbox if m.to == ["dara@example.org"])
    token = re.search(r"http://testserver/i/([^/\s]+)/", dara_mail.body).group(1)
    assert Participant.objects.by_token(token).get().email == "dara@example.org"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITE).count() == 3


@pytest.mark.parametrize(
    "row, reason",
    [
        (",nameless@example.org,,,", "Missing name."),
        ("No Email,,,,", "Missing email address."),
        ("Bad Email,not-an-email,,,", "Invalid email address."),
        ("Dara Again,DARA@example.org,,,", "Duplicate email: also on line 2."),
        ("Alice Again,alice@example.org,,,", "Already invited to this consultation."),
        ("Odd Type,odd@example.org,,spaceship,", "Unknown organisation type."),
        ("Odd Country,country@example.org,,,Atlantis", "Unknown country."),
        (f"{'N' * 201},long@example.org,,,", "Name longer than 200 characters."),
        (f"Long Org,org@example.org,{'O' * 201},,", "Organisation longer than 200 characters."),
    ],
)
def test_each_refused_row_is_reported_with_its_line_and_reason(olga_client, consultation, alice, row, reason):
    content = "name,email,organisation,organisation_type,country\nDara Quinn,dara@example.org,,,\n" + row

    page = preview(olga_client, consultation, content)

    assert refused(page) == {3: reason}
    assert "1 invitee will be added" in page.content.decode()


def test_a_refused_row_keeps_its_line_in_a_file_with_blank_and_multi_line_rows(olga_client, consultation):
    content = 'name,email,organisation\n"Multi\nLine",multi@example.org,Org\n\nBad Email,nope,\n'

    page = preview(olga_client, consultation, content)

    assert refused(page) == {5: "Invalid email address."}


def test_a_bom_semicolons_labels_and_codes_are_accepted(olga_client, consultation):
    content = (
        "\ufeffName;Email;Organisation;Organisation type;Country\n"
        "Gia Rossi;gia@example.org;Acme;ACADEMIA AND RESEARCH;it\n"
        "Hal Berg;hal@example.org;Acme;human_rights;Sweden\n"
    )

    confirm(olga_client, payload_of(preview(olga_client, consultation, content.encode())))

    saved = {p.email: (p.organisation_type, p.country.code) for p in Participant.objects.all()}
    assert saved == {
        "gia@example.org": (Participant.OrganisationType.ACADEMIA, "IT"),
        "hal@example.org": (Participant.OrganisationType.HUMAN_RIGHTS, "SE"),
    }


@pytest.mark.parametrize(
    "content, message",
    [
        ("email,organisation\nx@example.org,Org\n", "missing: name"),
        ("", "The submitted file is empty."),
        ("\n", "The file is empty."),
        ("name,email\nZoë,zoe@example.org\n".encode("latin-1"), "not UTF-8"),
        ("name,email\n" + "a,b@example.org\n" * 5001, "more than 5000 rows"),
        ("name,email\n" + "x" * (1024 * 1024), "larger than 1 MB"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(olga_client, consultation, content, message):
    page = preview(olga_client, consultation, content)

    assert page.status_code == 200
    assert message in page.content.decode()
    assert "Step 2 of 3" not in page.content.decode()


def test_confirming_validates_again_and_saves_nothing_when_someone_was_added_meanwhile(
    olga_client, consultation
):
    page = preview(olga_client, consultation, GOOD_CSV)
    Participant.objects.create(consultation=consultation, name="Eli Sato", email="ELI@example.org")

    again = confirm(olga_client, payload_of(page))

    assert again.status_code == 200
    assert refused(again) == {3: "Already invited to this consultation."}
    assert "Some rows can no longer be added since the preview." in again.content.decode()
    assert Participant.objects.count() == 1
    confirm(olga_client, payload_of(again))
    assert Participant.objects.count() == 3


def test_a_tampered_preview_is_refused(olga_client, consultation):
    payload = payload_of(preview(olga_client, consultation, GOOD_CSV))

    response = confirm(olga_client, payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB"))

    assert response.status_code == 400
    assert "The preview was changed or is too old." in response.content.decode()
    assert not Participant.objects.exists()


@pytest.mark.parametrize("persona", ["mona", "ann"])
def test_moderators_and_analysts_cannot_import(client, consultation, persona, request):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(IMPORT_URL).status_code == 403
    assert (
        client.post(IMPORT_URL, {"consultation": consultation.pk, "file": upload(GOOD_CSV)}).status_code
        == 403
    )
    assert client.post(CONFIRM_URL, {"payload": "x"}).status_code == 403
    assert "Import invitees" not in client.get(CHANGELIST).content.decode()
    assert not Participant.objects.exists()


def test_the_preview_page_costs_the_same_for_3_and_300_rows(
    olga_client, consultation, alice, django_assert_max_num_queries
):
    def rows(count: int) -> str:
        return "name,email\n" + "".join(f"P{i},p{i}@example.org\n" for i in range(count))

    preview(olga_client, consultation, rows(3))
    with django_assert_max_num_queries(12) as few:
        preview(olga_client, consultation, rows(3))
    with django_assert_max_num_queries(len(few)):
        page = preview(olga_client, consultation, rows(300))
    assert "300 invitees will be added" in page.content.decode()


# Expiry


def test_setting_an_expiry_asks_for_a_time_first(olga_client, alice, bob):
    page = olga_client.post(
        CHANGELIST, {"action": "set_invite_expiry", "index": 0, ACTION_CHECKBOX_NAME: [alice.pk, bob.pk]}
    )

    content = page.content.decode()
    assert page.status_code == 200
    assert "invitation links of 2 participants" in content
    assert "Alice Martin" in content
    assert 'name="apply"' in content


def test_setting_an_expiry_applies_it_and_records_before_and_after(olga_client, olga, alice, bob):
    data = {
        "action": "set_invite_expiry",
        "index": 0,
        ACTION_CHECKBOX_NAME: [alice.pk],
        "apply": "1",
        "expires_at": "2030-01-31T18:00",
    }

    response = olga_client.post(CHANGELIST, data)

    assert response.status_code == 302
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.invite_expires_at.isoformat() == "2030-01-31T18:00:00+00:00"
    assert bob.invite_expires_at is None
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, object_id=str(alice.pk))
    assert event.actor == olga
    assert event.before == {"invite_expires_at": None}
    assert event.after == {"invite_expires_at": "2030-01-31T18:00:00+00:00"}
    listing = olga_client.get(response["Location"]).content.decode()
    assert "1 invitation link now stops working at" in listing


def test_an_expiry_in_the_past_stops_the_link_and_no_expiry_restores_it(olga_client, alice):
    base = {"action": "set_invite_expiry", "index": 0, ACTION_CHECKBOX_NAME: [alice.pk], "apply": "1"}
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    olga_client.post(CHANGELIST, {**base, "expires_at": past})
    assert Client().get(f"/i/{alice.token}/").status_code == 404

    olga_client.post(CHANGELIST, {**base, "no_expiry": "on"})
    alice.refresh_from_db()
    assert alice.invite_expires_at is None
    assert Client().get(f"/i/{alice.token}/").status_code == 200


def test_setting_an_expiry_without_a_time_shows_the_form_again(olga_client, alice):
    page = olga_client.post(
        CHANGELIST,
        {"action": "set_invite_expiry", "index": 0, ACTION_CHECKBOX_NAME: [alice.pk], "apply": "1"},
    )

    assert page.status_code == 200
    assert "Give a date and time, or choose no expiry." in page.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_the_participant_list_shows_when_links_expire(olga_client, alice):
    Participant.objects.filter(pk=alice.pk).update(invite_expires_at=timezone.now() + timedelta(days=3))

    content = olga_client.get(CHANGELIST).content.decode()

    assert "invite expires at" in content.lower()


@pytest.mark.parametrize("persona", ["mona", "ann"])
def test_moderators_and_analysts_cannot_set_an_expiry(client, alice, persona, request):
    client.force_login(request.getfixturevalue(persona))

    client.post(
        CHANGELIST,
        {
            "action": "set_invite_expiry",
            "index": 0,
            ACTION_CHECKBOX_NAME: [alice.pk],
            "apply": "1",
            "no_expiry": "on",
            "expires_at": "",
        },
    )

    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


# Resending


def test_resending_gives_a_new_working_link_and_the_old_one_dies(
    olga_client, olga, alice, django_capture_on_commit_callbacks
):
    old = alice.token
    data = {"action": "send_invitations", "index": 0, ACTION_CHECKBOX_NAME: [alice.pk]}

    with django_capture_on_commit_callbacks(execute=True):
        olga_client.post(CHANGELIST, data)

    new = re.search(r"http://testserver/i/([^/\s]+)/", mail.outbox[-1].body).group(1)
    assert new != old
    assert Client().get(f"/i/{new}/").status_code == 200
    assert Client().get(f"/i/{old}/").status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITE, actor=olga).count() == 1
    assert "Send or resend invitation links" in olga_client.get(CHANGELIST).content.decode()


def test_setting_an_expiry_costs_the_same_for_2_and_20_participants(
    olga, consultation, django_assert_max_num_queries
):
    people = [make_participant(consultation, f"P{i}", f"p{i}@example.org") for i in range(20)]
    expires = timezone.now() + timedelta(days=7)
    with django_assert_max_num_queries(10) as few:
        invitations.set_invite_expiry(
            participants=Participant.objects.filter(pk__in=[p.pk for p in people[:2]]),
            expires_at=expires,
            by=olga,
        )

    with django_assert_max_num_queries(len(few)):
        count = invitations.set_invite_expiry(
            participants=Participant.objects.all(), expires_at=None, by=olga
        )

    assert count == 20
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).count() == 22
