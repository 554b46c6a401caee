"""Export shapes, formats, filters and the admin export page: every file is parsed back and checked."""

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import load_workbook

from feedback.exports.columns import LONG_COLUMNS
from feedback.exports.formats import export_text, file_response, write_export
from feedback.exports.shapes import Export, ExportFilters
from feedback.models import Answer, AuditEvent, Codebook, Comment, Participant, Question, Response, Theme
from tests.conftest import answer, make_participant, submit

FORMATS = ["csv", "xlsx", "json"]
PROFILES = ["identified", "pseudonymised", "chatham-house"]
SHAPES = ["long", "wide"]
SECRETS = [
    "Alice Martin",
    "alice@example.org",
    "Sentinel Analytics",
    "Bob Okafor",
    "bob@example.org",
    "Northbridge Cloud",
    "Eve Lindqvist",
    "eve@example.org",
    "Halden Forensics",
]
NOT_QUOTED_TEXT = "Eve's unquotable view"


@pytest.fixture
def eve(consultation) -> Participant:
    return make_participant(
        consultation,
        "Eve Lindqvist",
        "eve@example.org",
        organisation="Halden Forensics",
        organisation_type=Participant.OrganisationType.ACADEMIA,
        country="SE",
        attribution=Participant.Attribution.NOT_QUOTED,
    )


@pytest.fixture
def codebook(consultation) -> Codebook:
    codebook = Codebook.objects.create(name="Principles")
    consultation.codebook = codebook
    consultation.save()
    return codebook


@pytest.fixture
def feedback(alice, bob, eve, questions, resource, codebook) -> dict[str, object]:
    """alice (organisation only) writes Arabic, bob (named) Chinese and a formula, eve (not to be quoted)
    one answer; alice comments on the resource's section; everyone has submitted."""
    questions[1].resource = resource
    questions[1].save()
    privacy = Theme.objects.create(codebook=codebook, code="1.1", name="Privacy")
    items = {
        "alice_q1": answer(alice, questions[0], "مرحبا", status=Answer.Status.APPROVED),
        "alice_q2": answer(alice, questions[1], "Bias testing is costly"),
        "bob_q1": answer(bob, questions[0], "你好", status=Answer.Status.APPROVED),
        "bob_q2": answer(bob, questions[1], '=HYPERLINK("http://evil.example","x")'),
        "eve_q1": answer(eve, questions[0], NOT_QUOTED_TEXT),
    }
    items["alice_q1"].themes.add(privacy)
    items["comment"] = Comment.objects.create(
        response=alice.response, resource=resource, section=resource.sections.get(), text="Section comment"
    )
    for participant in (alice, bob, eve):
        submit(participant)
    bob.response.submitted_at = datetime(2022, 11, 10, 12, 0, tzinfo=ZoneInfo("UTC"))
    bob.response.save()
    return items


def produce(export: Export, file_format: str, *, bom: bool = False) -> bytes:
    fh = io.BytesIO()
    write_export(export, file_format=file_format, fh=fh, bom=bom)
    return fh.getvalue()


def parse(body: bytes, file_format: str) -> tuple[list[str], list[dict[str, str]]]:
    """(columns, rows as dicts) of an export file, read back with the format's own parser."""
    if file_format == "csv":
        reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))
        rows = list(reader)
        return list(reader.fieldnames or []), rows
    if file_format == "json":
        document = json.loads(body.decode("utf-8"))
        assert document["complete"] is True
        assert document["row_count"] == len(document["rows"])
        return document["columns"], document["rows"]
    sheet = load_workbook(io.BytesIO(body)).active
    values = [[cell.value if cell.value is not None else "" for cell in row] for row in sheet.iter_rows()]
    return values[0], [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def all_text(rows: list[dict[str, str]]) -> str:
    return "\n".join(str(value) for row in rows for value in row.values())


# Every format, shape and profile


@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("profile", PROFILES)
def test_every_format_shape_and_profile_parses_back_with_non_latin_text(
    consultation, feedback, alice, bob, eve, file_format, shape, profile
):
    export = Export.of(consultation, profile=profile, shape=shape)

    columns, rows = parse(produce(export, file_format), file_format)
    text = all_text(rows)

    assert columns == export.columns()
    assert len(rows) == export.row_count == (6 if shape == "long" else 3)
    assert "مرحبا" in text and "你好" in text
    if profile == "identified":
        assert {"Alice Martin", "Bob Okafor", "Eve Lindqvist"} <= {row["participant"] for row in rows}
        assert NOT_QUOTED_TEXT in text
    if profile == "pseudonymised":
        for secret in SECRETS:
            assert secret not in text, secret
        assert {row["participant"] for row in rows} == {alice.pseudonym, bob.pseudonym, eve.pseudonym}
    if profile == "chatham-house":
        # bob chose "named", alice "organisation only", eve "not to be quoted".
        participants = {row["participant"] for row in rows}
        assert participants == {alice.pseudonym, "Bob Okafor", eve.pseudonym}
        for secret in [
            "Alice Martin",
            "Eve Lindqvist",
            "Halden Forensics",
            "alice@example.org",
            "bob@example.org",
        ]:
            assert secret not in text, secret
        assert NOT_QUOTED_TEXT not in text
        assert "[not to be quoted]" in text


@pytest.mark.parametrize("shape", SHAPES)
def test_xlsx_cells_are_strings_and_formula_payloads_are_inert(consultation, feedback, shape):
    body = produce(Export.of(consultation, profile="identified", shape=shape), "xlsx")

    sheet = load_workbook(io.BytesIO(body)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]

    assert cells
    assert {cell.data_type for cell in cells} == {"s"}
    assert '\'=HYPERLINK("http://evil.example","x")' in [cell.value for cell in cells]
    assert not any(str(cell.value).startswith(("=", "+", "-", "@")) for cell in cells)


def test_xlsx_drops_control_characters_that_xml_cannot_carry(consultation, alice, questions):
    # NUL never reaches the database (forms refuse it, PostgreSQL cannot store it); the other C0 controls can.
    answer(alice, questions[0], "bell\x07 and\x1b escape")
    submit(alice)

    columns, rows = parse(produce(Export.of(consultation), "xlsx"), "xlsx")

    assert rows[0]["answer"] == "bell and escape"


def test_csv_wide_cells_are_formula_safe(consultation, feedback, bob):
    columns, rows = parse(produce(Export.of(consultation, shape="wide"), "csv"), "csv")

    [bob_row] = [row for row in rows if row["participant"] == bob.pseudonym]
    assert bob_row["q2"] == '\'=HYPERLINK("http://evil.example","x")'


def test_json_keeps_text_as_written_and_documents_itself(consultation, feedback):
    body = produce(Export.of(consultation, profile="identified"), "json")

    document = json.loads(body)

    assert list(document) == [
        "consultation",
        "profile",
        "shape",
        "filters",
        "columns",
        "rows",
        "row_count",
        "complete",
    ]
    assert (document["consultation"], document["profile"], document["shape"]) == (
        "tech-providers",
        "identified",
        "long",
    )
    assert document["columns"] == LONG_COLUMNS
    assert document["row_count"] == 6
    # No spreadsheet evaluates JSON, so the participant's words are not prefixed.
    assert '=HYPERLINK("http://evil.example","x")' in [row["answer"] for row in document["rows"]]


def test_a_cut_off_json_export_does_not_parse(consultation, feedback):
    body = produce(Export.of(consultation), "json")

    for cut in (len(body) // 3, len(body) // 2, len(body) - 3):
        with pytest.raises(json.JSONDecodeError):
            json.loads(body[:cut])


def test_json_of_an_empty_export_is_complete(consultation):
    document = json.loads(produce(Export.of(consultation), "json"))

    assert (document["rows"], document["row_count"], document["complete"]) == ([], 0, True)


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_a_byte_order_mark_starts_a_csv_only_when_asked(consultation, feedback, file_format):
    plain = produce(Export.of(consultation), file_format)
    marked = produce(Export.of(consultation), file_format, bom=True)

    assert not plain.startswith(b"\xef\xbb\xbf")
    assert marked.startswith(b"\xef\xbb\xbf") is (file_format == "csv")
    if file_format == "csv":
        assert marked[3:] == plain


def test_the_long_csv_matches_the_existing_download(consultation, feedback):
    from feedback.exports.formats import csv_chunks
    from feedback.exports.shapes import answers_for_export, comments_for_export

    old = "".join(
        csv_chunks(
            answers_for_export(consultation), profile="identified", comments=comments_for_export(consultation)
        )
    )

    assert produce(Export.of(consultation, profile="identified"), "csv") == old.encode()


# The wide shape


def test_wide_has_one_row_per_participant_and_a_column_per_question(consultation, feedback, alice, bob, eve):
    export = Export.of(consultation, profile="identified", shape="wide")

    columns, rows = parse(produce(export, "csv"), "csv")

    assert columns == [
        "participant",
        "organisation",
        "organisation_type",
        "country",
        "attribution",
        "submitted_at",
        "q1",
        "q2",
        "comments",
        "hidden",
        "redacted",
        "language",
        "live_points",
        "notes",
    ]
    by_name = {row["participant"]: row for row in rows}
    assert [row["participant"] for row in rows] == ["Alice Martin", "Bob Okafor", "Eve Lindqvist"]
    assert by_name["Alice Martin"]["q1"] == "مرحبا"
    assert by_name["Alice Martin"]["comments"] == "1"
    assert by_name["Bob Okafor"]["submitted_at"] == "2022-11-10T12:00:00Z"
    assert by_name["Eve Lindqvist"]["q2"] == ""
    assert by_name["Eve Lindqvist"]["comments"] == "0"


def test_wide_flags_hidden_and_redacted_answers(consultation, feedback, bob):
    feedback["bob_q1"].status = Answer.Status.HIDDEN
    feedback["bob_q1"].save()
    feedback["bob_q2"].redacted_text = "[redacted link]"
    feedback["bob_q2"].save()

    _, pseudonymised = parse(produce(Export.of(consultation, shape="wide"), "json"), "json")
    _, identified = parse(
        produce(Export.of(consultation, profile="identified", shape="wide"), "json"), "json"
    )

    [row] = [row for row in pseudonymised if row["participant"] == bob.pseudonym]
    assert (row["q1"], row["q2"], row["hidden"], row["redacted"]) == (
        "[hidden by moderator]",
        "[redacted link]",
        "q1",
        "q2",
    )
    [row] = [row for row in identified if row["participant"] == "Bob Okafor"]
    assert (row["q1"], row["hidden"]) == ("你好", "q1")


def test_wide_needs_a_consultation(consultation):
    with pytest.raises(ValueError, match="wide shape"):
        Export(answers=Answer.objects.none(), shape="wide")


def test_wide_export_query_count_does_not_grow_with_participants(
    consultation, questions, django_assert_max_num_queries
):
    for i in range(30):
        person = make_participant(consultation, f"Person {i}", f"p{i}@example.org")
        answer(person, questions[0], f"Answer {i}")
        answer(person, questions[1], f"Second {i}")
        submit(person)

    # questions, comment counts, live point counts, note counts, participants, answers
    with django_assert_max_num_queries(6):
        rows = produce(Export.of(consultation, shape="wide"), "csv").decode().count("\r\n") - 1

    assert rows == 30


# Filters


def long_rows_for(consultation, **filters) -> list[dict[str, str]]:
    export = Export.of(consultation, profile="identified", filters=ExportFilters(**filters))
    return parse(produce(export, "csv"), "csv")[1]


def items(rows: list[dict[str, str]]) -> set[tuple[str, str, str]]:
    return {(row["participant"].split()[0], row["item_type"], row["question_no"]) for row in rows}


def test_no_filter_exports_everything(consultation, feedback):
    assert len(long_rows_for(consultation)) == 6


def test_status_filter(consultation, feedback):
    assert items(long_rows_for(consultation, statuses=("approved",))) == {
        ("Alice", "answer", "1"),
        ("Bob", "answer", "1"),
    }


def test_question_filter_leaves_comments_out(consultation, feedback):
    assert items(long_rows_for(consultation, questions=(2,))) == {
        ("Alice", "answer", "2"),
        ("Bob", "answer", "2"),
    }


def test_resource_filter_keeps_answers_about_it_and_comments_on_it(consultation, feedback, resource):
    assert items(long_rows_for(consultation, resources=(resource.pk,))) == {
        ("Alice", "answer", "2"),
        ("Bob", "answer", "2"),
        ("Alice", "comment", ""),
    }


def test_question_and_resource_filters_together_keep_the_comments(consultation, feedback, resource):
    assert items(long_rows_for(consultation, questions=(2,), resources=(resource.pk,))) == {
        ("Alice", "answer", "2"),
        ("Bob", "answer", "2"),
        ("Alice", "comment", ""),
    }


def test_theme_filter(consultation, feedback):
    assert items(long_rows_for(consultation, themes=("1.1",))) == {("Alice", "answer", "1")}


def test_organisation_type_filter(consultation, feedback):
    rows = long_rows_for(consultation, organisation_types=(Participant.OrganisationType.ACADEMIA,))

    assert items(rows) == {("Eve", "answer", "1")}


def test_country_filter(consultation, feedback):
    assert {row["participant"] for row in long_rows_for(consultation, countries=("NG", "SE"))} == {
        "Bob Okafor",
        "Eve Lindqvist",
    }


def test_date_filters_are_inclusive(consultation, feedback):
    day = datetime(2022, 11, 10).date()

    assert {row["participant"] for row in long_rows_for(consultation, submitted_to=day)} == {"Bob Okafor"}
    assert {
        row["participant"] for row in long_rows_for(consultation, submitted_from=day + timedelta(days=1))
    } == {
        "Alice Martin",
        "Eve Lindqvist",
    }


def test_filters_shape_the_wide_columns_and_rows(consultation, feedback):
    export = Export.of(consultation, shape="wide", filters=ExportFilters(questions=(2,)))

    columns, rows = parse(produce(export, "csv"), "csv")

    assert [name for name in columns if name.startswith("q")] == ["q2"]
    assert len(rows) == 2  # eve did not answer question 2
    assert {row["comments"] for row in rows} == {"0"}


def test_filters_are_recorded_as_set(consultation):
    filters = ExportFilters(statuses=("approved",), submitted_from=datetime(2022, 1, 2).date())

    assert filters.as_dict() == {"statuses": ["approved"], "submitted_from": "2022-01-02"}


# The download


@pytest.mark.parametrize("file_format", FORMATS)
def test_file_response_is_a_complete_attachment_with_its_length_and_row_count(
    consultation, feedback, file_format
):
    response = file_response(Export.of(consultation), file_format=file_format, filename=f"x.{file_format}")

    body = b"".join(response.streaming_content)

    assert int(response["Content-Length"]) == len(body)
    assert response["X-Export-Rows"] == "6"
    assert response["Content-Disposition"] == f'attachment; filename="x.{file_format}"'
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(parse(body, file_format)[1]) == 6


def test_text_output_is_chunked_in_whole_rows(consultation, feedback):
    chunks = list(export_text(Export.of(consultation), file_format="json"))

    assert json.loads("".join(chunks))["row_count"] == 6


# The command


def test_command_writes_each_format_and_shape(consultation, feedback, tmp_path):
    for shape in SHAPES:
        for file_format in FORMATS:
            path = tmp_path / f"out-{shape}.{file_format}"
            call_command(
                "export_feedback",
                "tech-providers",
                "--shape",
                shape,
                "--format",
                file_format,
                "-o",
                str(path),
                stderr=io.StringIO(),
            )
            assert len(parse(path.read_bytes(), file_format)[1]) == (6 if shape == "long" else 3)

    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).first()
    assert (event.details["shape"], event.details["format"], event.count) == ("wide", "json", 3)


def test_command_refuses_xlsx_on_stdout(consultation):
    with pytest.raises(CommandError, match="-o FILE"):
        call_command("export_feedback", "tech-providers", "--format", "xlsx", stdout=io.StringIO())


def test_command_prints_json_to_stdout(consultation, feedback):
    stdout = io.StringIO()

    call_command("export_feedback", "tech-providers", "--format", "json", stdout=stdout, stderr=io.StringIO())

    assert json.loads(stdout.getvalue())["row_count"] == 6


def test_command_filters_by_status_and_writes_a_bom(consultation, feedback, tmp_path):
    path = tmp_path / "out.csv"

    call_command(
        "export_feedback",
        "tech-providers",
        "--status",
        "approved",
        "--status",
        "flagged",
        "--bom",
        "-o",
        str(path),
        stderr=io.StringIO(),
    )

    body = path.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    assert len(parse(body, "csv")[1]) == 2
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.details["filters"] == {"statuses": ["approved", "flagged"]}
    assert event.details["bom"] is True


# The admin export page


def page_url(consultation) -> str:
    return f"/admin/feedback/consultation/{consultation.pk}/export/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_organiser_sees_every_profile_and_the_row_count(olga, consultation, feedback):
    client = signed_in(olga)

    page = client.get(page_url(consultation)).content.decode()
    counted = client.get(page_url(consultation), {"shape": "long", "format": "csv", "profile": "identified"})

    for profile in PROFILES:
        assert f'value="{profile}"' in page
    assert "will be exported" not in page
    assert "5 answers and 1 comments will be exported" in counted.content.decode()
    assert "(6 rows)" in counted.content.decode()


def test_the_row_count_follows_the_filters_and_the_shape(olga, consultation, feedback):
    response = signed_in(olga).get(
        page_url(consultation),
        {"shape": "wide", "format": "xlsx", "profile": "pseudonymised", "status": "approved"},
    )

    assert "2 answers and 0 comments will be exported" in response.content.decode()
    assert "(2 rows)" in response.content.decode()


def test_the_analyst_may_choose_only_the_anonymous_profiles(ann, consultation, feedback):
    client = signed_in(ann)

    page = client.get(page_url(consultation)).content.decode()
    refused = client.post(page_url(consultation), {"shape": "long", "format": "csv", "profile": "identified"})

    assert 'value="pseudonymised"' in page and 'value="chatham-house"' in page
    assert 'value="identified"' not in page
    assert refused.status_code == 200
    assert "Content-Disposition" not in refused
    assert "Alice Martin" not in refused.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_moderator_may_not_open_the_export_page(mona, consultation, feedback):
    client = signed_in(mona)

    assert client.get(page_url(consultation)).status_code == 403
    assert (
        client.post(
            page_url(consultation), {"shape": "long", "format": "csv", "profile": "pseudonymised"}
        ).status_code
        == 403
    )


def test_the_export_page_of_an_unknown_consultation_is_not_found(olga, db):
    assert signed_in(olga).get("/admin/feedback/consultation/999999/export/").status_code == 404


def test_invalid_choices_are_shown_not_exported(olga, consultation, feedback):
    response = signed_in(olga).get(
        page_url(consultation),
        {
            "shape": "tall",
            "format": "csv",
            "profile": "identified",
            "submitted_from": "2022-12-01",
            "submitted_to": "2022-11-01",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "will be exported" not in page
    assert "The date range ends before it starts." in page
    assert "Select a valid choice" in page


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_download_is_complete_and_recorded(ann, consultation, feedback, file_format):
    data = {
        "shape": "wide",
        "format": file_format,
        "profile": "pseudonymised",
        "bom": "on",
        "countries": ["FR", "NG"],
    }

    response = signed_in(ann).post(page_url(consultation), data)
    body = b"".join(response.streaming_content)

    assert response.status_code == 200
    assert int(response["Content-Length"]) == len(body)
    assert response["X-Export-Rows"] == "2"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="pseudonymised-wide-tech-providers-'
    )
    # The admin adds its own never-cache directives; no-store is among them.
    assert "no-store" in response["Cache-Control"].split(", ")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body.startswith(b"\xef\xbb\xbf") is (file_format == "csv")
    _, rows = parse(body, file_format)
    assert len(rows) == 2
    for secret in SECRETS:
        assert secret not in all_text(rows)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.actor, event.consultation, event.count) == (ann, consultation, 2)
    assert event.details["profile"] == "pseudonymised"
    assert (event.details["shape"], event.details["format"]) == ("wide", file_format)
    assert event.details["filters"] == {"countries": ["FR", "NG"]}


def test_the_page_shows_the_consultations_filters(olga, consultation, feedback, resource):
    page = signed_in(olga).get(page_url(consultation)).content.decode()

    assert "Q1. What are your thoughts?" in page
    assert resource.title in page
    assert "1.1 Privacy" in page
    assert "SE Sweden" in page


def test_the_change_page_links_to_the_export_page_for_exporters_only(olga, mona, consultation):
    url = f"/admin/feedback/consultation/{consultation.pk}/change/"

    assert page_url(consultation) in signed_in(olga).get(url).content.decode()
    assert page_url(consultation) not in signed_in(mona).get(url).content.decode()


def test_export_page_query_count_does_not_grow_with_rows(
    olga, consultation, questions, django_assert_max_num_queries
):
    client = signed_in(olga)
    for i in range(20):
        person = make_participant(consultation, f"Person {i}", f"p{i}@example.org", country="FR")
        answer(person, questions[0], f"Answer {i}")
        submit(person)
    query = {"shape": "wide", "format": "csv", "profile": "identified"}

    # Session and user, the consultation, the form's choices, then the counts (the meeting's record too) or the
    # export's few queries.
    with django_assert_max_num_queries(14):
        counted = client.get(page_url(consultation), query)
    with django_assert_max_num_queries(16):
        downloaded = client.post(page_url(consultation), query)

    assert "(20 rows)" in counted.content.decode()
    assert downloaded["X-Export-Rows"] == "20"


def test_the_admin_action_download_carries_its_length_too(olga, consultation, feedback):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    response = signed_in(olga).post(
        "/admin/feedback/consultation/",
        {"action": "export_answers_csv", "index": 0, ACTION_CHECKBOX_NAME: [consultation.pk]},
    )
    body = b"".join(response.streaming_content)

    assert int(response["Content-Length"]) == len(body)
    assert response["X-Export-Rows"] == "6"
    assert Response.objects.count() == 3 and Question.objects.count() == 2


def test_the_consultation_list_links_each_row_to_its_export_page_for_exporters(olga, ann, mona, consultation):
    for user, linked in [(olga, True), (ann, True), (mona, False)]:
        page = signed_in(user).get("/admin/feedback/consultation/").content.decode()
        assert (page_url(consultation) in page) is linked, user.username


def test_a_csv_from_the_export_page_s_default_choices_starts_with_the_byte_order_mark_excel_needs(
    olga, consultation, feedback
):
    client = signed_in(olga)
    Participant.objects.filter(email="bob@example.org").update(name="Lucía Fernández")

    page = client.get(page_url(consultation)).content.decode()
    # What the page's form sends when nothing is changed: its initial choices, the ticked box included.
    assert 'name="bom" id="id_bom" checked' in page
    defaults = {"shape": "long", "format": "csv", "profile": "identified", "bom": "on"}
    body = b"".join(client.post(page_url(consultation), defaults).streaming_content)

    # Excel reads a file without the mark as Latin-1 ("LucÃ\xada"); with it, as UTF-8.
    assert body.startswith(b"\xef\xbb\xbf")
    # Readers that know the mark (Python's utf-8-sig, pandas' read_csv by default, R's readr) skip it: the first
    # column is named "consultation", not "\ufeffconsultation", and accents and Arabic read back intact.
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0])[0] == "consultation"
    assert {"Lucía Fernández", "مرحبا"} <= {value for row in rows for value in row.values()}


def test_the_admin_s_one_click_csv_action_starts_with_the_byte_order_mark(olga, consultation, feedback):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    response = signed_in(olga).post(
        "/admin/feedback/consultation/",
        {"action": "export_answers_csv", "index": 0, ACTION_CHECKBOX_NAME: [consultation.pk]},
    )

    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")
