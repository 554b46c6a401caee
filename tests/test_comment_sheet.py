"""The comment sheet: the comment queue shows anchors, types and proposed changes; organisers dispose of comments
and download the ISO-style sheet (XLSX, CSV, command); comments written offline in the sheet come back in,
through the participant's page or an organiser on their behalf, with refused rows listed and why."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from feedback.exports.columns import SHEET_COLUMNS
from feedback.models import AuditEvent, Comment, Response, Revision
from feedback.organising import comment_sheet
from tests.conftest import submit


@pytest.fixture
def draft(resource):
    """The fixture's resource as an imported draft: section 3.2 with four numbered paragraphs."""
    section = resource.sections.create(position=2, number="3.2", heading="Oversight")
    for number, text in enumerate(
        [
            "Agencies keep a register of the tools they use.",
            "Each tool has an owner.",
            "Owners review the tool every year.",
            "Human oversight applies to every automated decision that affects a person.",
        ],
        start=1,
    ):
        section.paragraphs.create(number=number, text=text)
    return section


@pytest.fixture
def commented(draft, resource, alice, bob):
    """Alice's and bob's submitted comments: typed, quoted, with proposed changes; one disposed of and replied to."""
    paragraph = draft.paragraphs.get(number=4)
    alice_response, _created = Response.objects.get_or_create(participant=alice)
    bob_response, _created = Response.objects.get_or_create(participant=bob)
    technical = Comment.objects.create(
        response=alice_response,
        resource=resource,
        section=draft,
        paragraph=paragraph,
        quote="every automated decision",
        quote_start=paragraph.text.index("every automated decision"),
        kind=Comment.Kind.TECHNICAL,
        text="Too broad: say which decisions.",
        proposed_change="every automated decision with legal effect",
        disposition=Comment.Disposition.PARTLY_ACCEPTED,
        organiser_reply="Narrowed to decisions with legal or similar effect.",
    )
    Comment.objects.create(
        response=alice_response,
        resource=resource,
        section=draft,
        paragraph=paragraph,
        kind=Comment.Kind.EDITORIAL,
        text="=Typo: 'Human' needs no capital here.",
    )
    Comment.objects.create(response=bob_response, resource=resource, text="A useful resource overall.")
    submit(alice)
    submit(bob)
    return technical


def test_the_comment_queue_shows_anchor_quote_type_and_proposed_change(
    olga_client, commented, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        page = olga_client.get("/admin/feedback/comment/?status=all").content.decode()

    assert "v1 · 3.2 ¶4" in page
    assert "every automated decision</q>" in page
    assert '<abbr title="Technical">te</abbr>' in page
    assert "Proposed: every automated decision with legal effect" in page
    assert "Whole resource" in page


def test_the_comment_queue_filters_by_type_and_by_version(olga_client, commented):
    editorial = olga_client.get("/admin/feedback/comment/?status=all&kind__exact=editorial").content.decode()
    second = olga_client.get("/admin/feedback/comment/?status=all&version=2").content.decode()

    assert "Typo" in editorial
    assert "Too broad" not in editorial
    assert "Too broad" not in second and "Typo" not in second


def test_the_comment_page_shows_the_anchor_read_only_and_keeps_each_comments_own_disposition(
    olga_client, commented
):
    url = f"/admin/feedback/comment/{commented.pk}/change/"
    page = olga_client.get(url).content.decode()

    assert "<mark>every automated decision</mark>" in page
    assert "3.2 ¶4 · Oversight" in page
    assert 'name="text"' not in page and 'name="proposed_change"' not in page and 'name="quote"' not in page
    assert 'name="disposition"' in page

    olga_client.post(
        url,
        {"status": "approved", "moderator_note": "", "disposition": "accepted", "organiser_reply": "Done."},
    )

    commented.refresh_from_db()
    other = Comment.objects.get(kind=Comment.Kind.EDITORIAL)
    assert (commented.disposition, commented.organiser_reply) == ("accepted", "Done.")
    assert (other.disposition, other.organiser_reply) == ("", "")
    assert commented.text == "Too broad: say which decisions."


def _download(client, consultation, **choices):
    query = {"shape": "comments", "format": "xlsx", "profile": "identified", **choices}
    return client.post(f"/admin/feedback/consultation/{consultation.pk}/export/", query)


def test_organiser_downloads_the_comment_sheet_as_xlsx_one_row_per_comment(
    olga_client, consultation, commented
):
    response = _download(olga_client, consultation)

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert rows[0] == SHEET_COLUMNS
    # By resource, then as the draft reads: the whole resource, then 3.2 ¶4 (the paragraph before a passage in it).
    assert rows[1:] == [
        [
            "Bob Okafor",
            "Northbridge Cloud",
            "Principles for Responsible AI Innovation",
            "1",
            "",
            "",
            "",
            "ge",
            "A useful resource overall.",
            "",
            "",
            "",
            "",  # addressed_in: not linked to a change
        ],
        [
            "Alice Martin",
            "Sentinel Analytics",
            "Principles for Responsible AI Innovation",
            "1",
            "3.2",
            "¶4",
            "",
            "ed",
            "'=Typo: 'Human' needs no capital here.",
            "",
            "",
            "",
            "",  # addressed_in: not linked to a change
        ],
        [
            "Alice Martin",
            "Sentinel Analytics",
            "Principles for Responsible AI Innovation",
            "1",
            "3.2",
            "¶4",
            "every automated decision",
            "te",
            "Too broad: say which decisions.",
            "every automated decision with legal effect",
            "Narrowed to decisions with legal or similar effect.",
            "partly_accepted",
            "",  # addressed_in: not linked to a change
        ],
    ]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.details["shape"], event.details["format"], event.count) == ("comments", "xlsx", 3)


def test_the_pseudonymised_csv_sheet_names_participants_by_code_and_withholds_hidden_words(
    olga_client, consultation, commented, alice
):
    Comment.objects.filter(kind=Comment.Kind.EDITORIAL).update(
        status=Comment.Status.HIDDEN, proposed_change="secret"
    )
    response = _download(olga_client, consultation, format="csv", profile="pseudonymised")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))
    assert {row["participant"] for row in rows} >= {alice.pseudonym}
    assert "Alice" not in str(rows)
    hidden = next(row for row in rows if row["comment_type"] == "ed")
    assert (hidden["comment"], hidden["proposed_change"]) == (
        "[hidden by moderator]",
        "[hidden by moderator]",
    )


def test_the_sheet_of_one_resource_leaves_the_others_out(olga_client, consultation, commented, resource):
    from feedback.models import ConsultationResource, Resource

    other = Resource.objects.create(title="Annex", category=Resource.Category.SUPPORTING)
    ConsultationResource.objects.create(consultation=consultation, resource=other, position=2)
    Comment.objects.create(response=commented.response, resource=other, text="On the annex.")

    response = _download(olga_client, consultation, format="csv", resources=[resource.pk])

    text = b"".join(response.streaming_content).decode()
    assert "On the annex." not in text
    assert text.count("\r\n") == 4


def test_the_command_writes_the_comment_sheet(consultation, commented, tmp_path):
    out = tmp_path / "sheet.xlsx"

    call_command(
        "export_feedback", consultation.slug, "--shape", "comments", "--format", "xlsx", "-o", str(out)
    )

    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert list(rows[0]) == SHEET_COLUMNS
    assert len(rows) == 4
    assert AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).details["shape"] == "comments"


# The sheet coming back


def sheet_csv(*rows: list[str], header: list[str] | None = None) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(
        header
        or [
            "participant",
            "resource",
            "clause",
            "paragraph",
            "quote",
            "comment_type",
            "comment",
            "proposed_change",
        ]
    )
    writer.writerows(rows)
    return buffer.getvalue().encode()


TITLE = "Principles for Responsible AI Innovation"


def offline_rows(code: str = "") -> list[list[str]]:
    return [
        [
            code,
            TITLE,
            "3.2",
            "¶4",
            "every automated\ndecision",
            "te",
            "Too broad.",
            "decisions with legal effect",
        ],
        [code, TITLE, "3.2", "2", "", "ED", "Say 'one owner'.", ""],
        [code, TITLE, "", "", "", "", "Good overall.", ""],
        [code, TITLE, "3.9", "", "", "ge", "No such clause.", ""],
        [code, TITLE, "3.2", "¶7", "", "ge", "No such paragraph.", ""],
        [code, TITLE, "3.2", "¶1", "not in there", "ge", "Quote elsewhere.", ""],
        [code, TITLE, "3.2", "¶1", "", "xx", "Bad type.", ""],
        [code, TITLE, "3.2", "¶1", "", "ge", "   ", ""],
        [code, TITLE, "3.2", "¶1", "", "ge", "x" * 5001, ""],
        ["P-NOTHERS", TITLE, "3.2", "¶1", "", "ge", "Someone else's.", ""],
        [code, "No such resource", "", "", "", "ge", "Unknown resource.", ""],
    ]


def test_a_participant_uploads_a_sheet_sees_refused_rows_and_why_then_saves_the_rest(
    alice_client, consultation, draft, alice
):
    url = f"/c/{consultation.slug}/comment-sheet/"
    form = alice_client.get(url)
    preview = alice_client.post(
        url, {"file": SimpleUploadedFile("mine.csv", sheet_csv(*offline_rows(alice.pseudonym)))}
    )
    page = preview.content.decode()

    assert form.status_code == 200
    assert "3 comments will be saved." in page
    assert "8 rows are refused." in page
    for reason in [
        "The resource has no section 3.9.",
        "Section 3.2 has no paragraph ¶7.",
        "The quoted passage is not in 3.2 ¶1.",
        "Unknown type of comment “xx”",
        "The comment is empty.",
        "The comment is longer than 5000 characters.",
        "Unknown participant code “P-NOTHERS”",
        "No resource of this consultation is titled “No such resource”.",
    ]:
        assert reason in page, reason
    assert not Comment.objects.exists()

    saved = alice_client.post(
        f"{url}confirm/", {"payload": re.search(r'name="payload" value="([^"]+)"', page).group(1)}
    )

    assert saved.status_code == 302
    assert saved["Location"] == f"/c/{consultation.slug}/review/"
    comments = {c.text: c for c in Comment.objects.filter(response__participant=alice)}
    assert set(comments) == {"Too broad.", "Say 'one owner'.", "Good overall."}
    quoted = comments["Too broad."]
    assert (quoted.place, quoted.kind, quoted.quote, quoted.proposed_change) == (
        "3.2 ¶4",
        "technical",
        "every automated decision",
        "decisions with legal effect",
    )
    assert quoted.quote_prefix.endswith("applies to ") and quoted.quote_suffix.startswith(" that affects")
    assert comments["Say 'one owner'."].kind == "editorial"
    assert comments["Good overall."].section is None
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.COMMENTS).exists()
    # Sent twice: nothing stored twice.
    again = alice_client.post(url, {"file": SimpleUploadedFile("mine.csv", sheet_csv(*offline_rows()[:3]))})
    assert "The same comment is there already." in again.content.decode()


def test_a_participant_cannot_upload_a_sheet_once_the_window_has_closed(
    alice_client, consultation, draft, alice
):
    url = f"/c/{consultation.slug}/comment-sheet/"
    preview = alice_client.post(url, {"file": SimpleUploadedFile("mine.csv", sheet_csv(*offline_rows()[:1]))})
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    consultation.closes_at = timezone.now() - timedelta(minutes=1)
    consultation.opens_at = timezone.now() - timedelta(days=2)
    consultation.save()

    page = alice_client.get(url).content.decode()
    refused = alice_client.post(f"{url}confirm/", {"payload": payload})

    assert "The feedback window closed" in page
    assert 'type="file"' not in page
    assert refused.status_code == 302
    assert not Comment.objects.exists()


def test_a_preview_signed_for_one_participant_is_refused_for_another(client, consultation, draft, alice, bob):
    alice_client = client
    alice_client.post(f"/i/{alice.token}/")
    preview = alice_client.post(
        f"/c/{consultation.slug}/comment-sheet/",
        {"file": SimpleUploadedFile("mine.csv", sheet_csv(*offline_rows()[:1]))},
    )
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    alice_client.post(f"/i/{bob.token}/")

    refused = alice_client.post(f"/c/{consultation.slug}/comment-sheet/confirm/", {"payload": payload})

    assert refused.status_code == 400
    assert not Comment.objects.exists()


def test_an_xlsx_sheet_is_read_as_well(consultation, draft, alice):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Resource", "Clause", "Paragraph", "Type of comment", "Comment", "Proposed change"])
    sheet.append([TITLE, "3.2", 4, "te", "From Excel.", "Something else"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)

    read = comment_sheet.read_sheet(
        buffer, filename="sheet.xlsx", consultation=consultation, participant=alice
    )

    assert [(row.place, row.kind, row.text) for row in read.rows] == [("3.2 ¶4", "technical", "From Excel.")]
    assert read.refused == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"resource,comment\n", "sheet.txt", "CSV (.csv) or Excel (.xlsx)"),
        (b"clause,comment\n3.2,Hi\n", "sheet.csv", "resource is missing"),
        (b"\xff\xfe\x00bad", "sheet.csv", "UTF-8"),
        (b"PK\x03\x04 not really", "sheet.xlsx", "not a readable XLSX"),
    ],
)
def test_an_unusable_sheet_file_is_refused_as_a_whole(consultation, draft, alice, data, name, message):
    with pytest.raises(ValidationError) as error:
        comment_sheet.read_sheet(
            io.BytesIO(data), filename=name, consultation=consultation, participant=alice
        )

    assert message in " ".join(error.value.messages)


def test_an_organiser_enters_a_sheet_on_a_participants_behalf_recorded_in_the_audit_trail(
    olga_client, consultation, draft, alice
):
    Response.objects.get_or_create(participant=alice)
    submit(alice)
    url = f"/admin/feedback/consultation/{consultation.pk}/comment-sheet/"
    preview = olga_client.post(
        url, {"participant": alice.pk, "file": SimpleUploadedFile("by-mail.csv", sheet_csv(*offline_rows()))}
    )
    page = preview.content.decode()

    assert "3 comments will be stored for" in page
    assert "8 rows are refused." in page
    assert 'id="refused-rows"' in page

    stored = olga_client.post(
        f"{url}confirm/", {"payload": re.search(r'name="payload" value="([^"]+)"', page).group(1)}
    )

    assert stored.status_code == 302
    assert Comment.objects.filter(response__participant=alice).count() == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.COMMENTS)
    assert (event.actor_name, event.count, event.details["on_behalf_of"]) == ("olga", 3, alice.pseudonym)
    # Added after submitting: part of the submission, and visible as changes made after it.
    assert Revision.objects.filter(comment__response__participant=alice).count() == 3


def test_an_organiser_may_enter_a_sheet_after_the_window_closed(olga_client, consultation, draft, alice):
    consultation.opens_at = timezone.now() - timedelta(days=3)
    consultation.closes_at = timezone.now() - timedelta(days=1)
    consultation.save()
    url = f"/admin/feedback/consultation/{consultation.pk}/comment-sheet/"
    page = olga_client.post(
        url, {"participant": alice.pk, "file": SimpleUploadedFile("late.csv", sheet_csv(*offline_rows()[:1]))}
    ).content.decode()

    olga_client.post(
        f"{url}confirm/", {"payload": re.search(r'name="payload" value="([^"]+)"', page).group(1)}
    )

    assert Comment.objects.filter(response__participant=alice).count() == 1


def test_a_moderator_cannot_enter_comments_for_a_participant(client, mona, consultation, draft, alice):
    client.force_login(mona)

    response = client.post(
        f"/admin/feedback/consultation/{consultation.pk}/comment-sheet/",
        {"participant": alice.pk, "file": SimpleUploadedFile("x.csv", sheet_csv(*offline_rows()[:1]))},
    )

    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_participants_of_another_consultation_cannot_be_chosen(olga_client, consultation, draft, carol):
    page = olga_client.post(
        f"/admin/feedback/consultation/{consultation.pk}/comment-sheet/",
        {"participant": carol.pk, "file": SimpleUploadedFile("x.csv", sheet_csv(*offline_rows()[:1]))},
    ).content.decode()

    assert "Select a valid choice" in page
    assert not Comment.objects.exists()


def test_an_exported_sheet_can_be_read_back_in(olga_client, consultation, commented, bob):
    exported = _download(olga_client, consultation, format="csv", profile="pseudonymised")
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode(), newline="")))
    mine = [row for row in rows if row["participant"] == bob.pseudonym]
    mine[0]["comment"] = "A second thought."
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=SHEET_COLUMNS)
    writer.writeheader()
    writer.writerows(mine)

    read = comment_sheet.read_sheet(
        io.BytesIO(buffer.getvalue().encode()),
        filename="back.csv",
        consultation=consultation,
        participant=bob,
    )

    assert [row.text for row in read.rows] == ["A second thought."]


# The reports, search and dashboard show where each comment points, its type and the proposed change


def test_the_resolution_report_shows_anchor_quote_type_and_proposed_change(
    olga_client, consultation, resource, commented, django_assert_max_num_queries
):
    url = f"/analysis/{consultation.slug}/resources/{resource.pk}/resolution/"
    with django_assert_max_num_queries(12):
        page = olga_client.get(url).content.decode()
    rows = list(csv.reader(io.StringIO(olga_client.get(url[:-1] + ".csv").content.decode("utf-8-sig"))))

    assert "3.2 ¶4" in page and "“every automated decision”" in page
    assert "Technical" in page and "every automated decision with legal effect" in page
    assert rows[0][-5:-1] == ["version", "quote", "comment_type", "proposed_change"]
    assert ["1", "every automated decision", "te", "every automated decision with legal effect"] in [
        row[-5:-1] for row in rows
    ]


def test_search_shows_anchor_quote_type_and_proposed_change(olga_client, consultation, commented):
    page = olga_client.get(f"/analysis/{consultation.slug}/search/?q=broad").content.decode()

    assert "3.2 ¶4 (v1)" in page
    assert "“every automated decision”" in page
    assert "Technical" in page
    assert "every automated decision with legal effect" in page


def test_the_dashboard_counts_comments_per_resource_by_type(olga_client, consultation, commented):
    page = olga_client.get(f"/analysis/{consultation.slug}/").content.decode()

    assert "Comments per resource, by type" in page
    assert "Technical" in page and "Editorial" in page


# A blank sheet to fill in offline


def read_xlsx(content: bytes) -> tuple[list[list[str]], list[list[str]]]:
    """The rows of the workbook's first sheet and of its second (the instructions), as text."""
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    sheets = [
        [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets
    ]
    workbook.close()
    return sheets[0], sheets[1]


def test_a_participant_downloads_a_blank_sheet_listing_the_drafts_sections_and_paragraphs(
    alice_client, consultation, draft, alice, django_assert_max_num_queries
):
    # The process's snapshot of the consultation is read by the first participant page; counted after it.
    alice_client.get(f"/c/{consultation.slug}/comment-sheet/")
    with django_assert_max_num_queries(8):
        response = alice_client.get(f"/c/{consultation.slug}/comment-sheet/blank.xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="tech-providers-comment-sheet.xlsx"'
    rows, instructions = read_xlsx(response.content)
    assert rows[0] == [
        "participant",
        "resource",
        "version",
        "clause",
        "paragraph",
        "quote",
        "comment_type",
        "comment",
        "proposed_change",
        "draft_text",
    ]
    places = [(row[0], row[1], row[3], row[4], row[9]) for row in rows[1:]]
    code = alice.pseudonym
    assert places == [
        (code, TITLE, "", "", ""),
        (code, TITLE, "1", "", "Core principles"),
        (code, TITLE, "3.2", "", "Oversight"),
        (code, TITLE, "3.2", "¶1", "Agencies keep a register of the tools they use."),
        (code, TITLE, "3.2", "¶2", "Each tool has an owner."),
        (code, TITLE, "3.2", "¶3", "Owners review the tool every year."),
        (
            code,
            TITLE,
            "3.2",
            "¶4",
            "Human oversight applies to every automated decision that affects a person.",
        ),
    ]
    assert all(row[5:9] == ["", "", "", ""] for row in rows[1:])
    explained = {row[0]: row[1] for row in instructions if len(row) > 1}
    assert set(explained) == set(rows[0])
    assert "ge (general)" in explained["comment_type"]


def test_the_blank_sheet_uploaded_unchanged_says_there_are_no_comments(alice_client, consultation, draft):
    url = f"/c/{consultation.slug}/comment-sheet/"
    for file_format in ("xlsx", "csv"):
        blank = alice_client.get(f"{url}blank.{file_format}").content

        page = alice_client.post(url, {"file": SimpleUploadedFile(f"blank.{file_format}", blank)})

        assert page.status_code == 200
        assert "There are no comments in this file." in page.content.decode(), file_format
    assert not Comment.objects.exists()


def test_a_filled_in_blank_sheet_is_imported(alice_client, consultation, draft, alice):
    url = f"/c/{consultation.slug}/comment-sheet/"
    workbook = load_workbook(io.BytesIO(alice_client.get(f"{url}blank.xlsx").content))
    sheet = workbook.worksheets[0]
    # Row 8 is 3.2 ¶4: a quoted passage, a type, a comment and a proposed change.
    assert sheet["E8"].value == "¶4"
    sheet["F8"], sheet["G8"], sheet["H8"], sheet["I8"] = (
        "every automated decision",
        "te",
        "Too broad.",
        "decisions with legal effect",
    )
    sheet["H2"] = "Good overall."
    filled = io.BytesIO()
    workbook.save(filled)

    preview = alice_client.post(url, {"file": SimpleUploadedFile("filled.xlsx", filled.getvalue())})
    page = preview.content.decode()
    assert "2 comments will be saved." in page and "0 rows are refused." in page
    alice_client.post(
        f"{url}confirm/", {"payload": re.search(r'name="payload" value="([^"]+)"', page).group(1)}
    )

    saved = {c.text: c for c in Comment.objects.filter(response__participant=alice)}
    assert (saved["Too broad."].place, saved["Too broad."].kind, saved["Too broad."].quote) == (
        "3.2 ¶4",
        "technical",
        "every automated decision",
    )
    assert saved["Good overall."].section is None


def test_a_filled_in_blank_csv_is_imported_and_the_draft_text_is_formula_safe(
    alice_client, consultation, draft, alice
):
    draft.paragraphs.filter(number=2).update(text="=Each tool has an owner.")
    url = f"/c/{consultation.slug}/comment-sheet/"
    content = alice_client.get(f"{url}blank.csv").content
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[5][4] == "¶2" and rows[5][9] == "'=Each tool has an owner."
    rows[5][7] = "Name the owner's role."
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)

    preview = alice_client.post(url, {"file": SimpleUploadedFile("filled.csv", buffer.getvalue().encode())})

    assert "1 comment will be saved." in preview.content.decode()


def test_the_upload_page_links_to_the_blank_sheet(alice_client, consultation, draft):
    page = alice_client.get(f"/c/{consultation.slug}/comment-sheet/").content.decode()
    assert f'href="/c/{consultation.slug}/comment-sheet/blank.xlsx"' in page
    assert f'href="/c/{consultation.slug}/comment-sheet/blank.csv"' in page


def test_an_organiser_downloads_a_blank_sheet_with_no_participant_code(
    olga_client, client, mona, consultation, draft
):
    url = f"/admin/feedback/consultation/{consultation.pk}/comment-sheet/"
    assert 'blank.xlsx"' in olga_client.get(url).content.decode()

    rows, _instructions = read_xlsx(olga_client.get(f"{url}blank.xlsx").content)
    csv_rows = list(csv.reader(io.StringIO(olga_client.get(f"{url}blank.csv").content.decode("utf-8-sig"))))

    assert [row[0] for row in rows[1:]] == [""] * 7
    assert [row[:5] for row in csv_rows] == [row[:5] for row in rows]
    assert olga_client.get(f"{url}blank.pdf").status_code == 404
    client.force_login(mona)
    assert client.get(f"{url}blank.xlsx").status_code == 403
