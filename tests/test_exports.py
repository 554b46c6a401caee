"""The long CSV export: rows, profiles, formula safety, streaming and the export_feedback command."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from feedback.exports.columns import LONG_COLUMNS
from feedback.exports.formats import csv_chunks, csv_response, write_csv
from feedback.exports.shapes import answers_for_export, long_rows
from feedback.models import Answer, Participant, Question
from tests.conftest import answer, make_participant, submit

HEADER = (
    "consultation,participant,organisation,organisation_type,country,item_type,question_no,question,"
    "resource,section,answer,status,themes,submitted_at"
)


def export_text(consultation, profile: str = "pseudonymised") -> str:
    return "".join(csv_chunks(answers_for_export(consultation), profile=profile))


def export_dicts(consultation, profile: str = "pseudonymised") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export_text(consultation, profile), newline="")))


@pytest.fixture
def submitted(alice, bob, questions, resource) -> list[Answer]:
    """alice and bob have each answered both questions and submitted; question 2 is about the resource.

    The answer texts carry no names, so a name found in a pseudonymised file leaked from somewhere else.
    """
    questions[1].resource = resource
    questions[1].save()
    answers = [
        answer(alice, questions[0], "Keep audit logs"),
        answer(alice, questions[1], "Bias testing is costly"),
        answer(bob, questions[0], "Human oversight first"),
        answer(bob, questions[1], "Retention limits unclear"),
    ]
    submit(alice)
    submit(bob)
    return answers


@pytest.fixture
def dana(consultation) -> Participant:
    return make_participant(
        consultation,
        "Dana Whitfield",
        "dana@example.org",
        organisation="Quietwater Systems",
        attribution=Participant.Attribution.UNATTRIBUTED,
    )


@pytest.fixture
def eve(consultation) -> Participant:
    return make_participant(
        consultation,
        "Eve Lindqvist",
        "eve@example.org",
        organisation="Halden Forensics",
        attribution=Participant.Attribution.NOT_QUOTED,
    )


def test_header_lists_the_long_columns_in_order(consultation):
    header = export_text(consultation).split("\r\n")[0]

    assert header.startswith(HEADER + ",")
    assert header.split(",") == LONG_COLUMNS
    assert LONG_COLUMNS[:14] == HEADER.split(",")


def test_an_export_without_answers_is_just_the_header(consultation):
    assert export_text(consultation) == ",".join(LONG_COLUMNS) + "\r\n"


def test_export_has_one_row_per_answer_of_submitted_responses_only(
    consultation, alice, bob, carol, questions, other_consultation
):
    answer(alice, questions[0], "Submitted by alice")
    answer(alice, questions[1], "Also submitted by alice")
    submit(alice)
    answer(bob, questions[0], "Bob's draft")
    elsewhere = Question.objects.create(consultation=other_consultation, number=1, text="Elsewhere?")
    answer(carol, elsewhere, "Carol in another consultation")
    submit(carol)

    rows = export_dicts(consultation, "identified")

    assert [(row["participant"], row["question_no"], row["answer"]) for row in rows] == [
        ("Alice Martin", "1", "Submitted by alice"),
        ("Alice Martin", "2", "Also submitted by alice"),
    ]
    assert "Bob" not in export_text(consultation, "identified")
    assert "Carol" not in export_text(consultation, "identified")


def test_empty_answers_are_left_out_and_choices_are_joined(consultation, alice, questions):
    answer(alice, questions[0], "  \n ")
    answer(alice, questions[1], "", selected=["Privacy", "Fairness"])
    submit(alice)

    rows = export_dicts(consultation)

    assert [(row["question_no"], row["answer"]) for row in rows] == [("2", "Privacy; Fairness")]


def test_row_shows_the_question_resource_codes_and_times(consultation, alice, questions, resource):
    questions[1].resource = resource
    questions[1].save()
    answer(alice, questions[0], "First", status=Answer.Status.APPROVED)
    answer(alice, questions[1], "Second")
    response = submit(alice)
    response.submitted_at = datetime(2022, 11, 3, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
    response.last_edited_at = datetime(2022, 11, 4, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    response.save()

    first, second = export_dicts(consultation)

    assert first == {
        "consultation": "tech-providers",
        "participant": alice.pseudonym,
        "organisation": "",
        "organisation_type": "provider_le_only",
        "country": "FR",
        "item_type": "answer",
        "question_no": "1",
        "question": "What are your thoughts?",
        "resource": "",
        "section": "",
        "answer": "First",
        "status": "approved",
        "themes": "",
        "submitted_at": "2022-11-03T13:00:00Z",
        "attribution": "organisation",
        "last_edited_at": "2022-11-04T08:30:00Z",
        "redacted": "",
        "language": "",
        "version": "",
        "anchor": "",
        "quote": "",
        "comment_type": "",
        "proposed_change": "",
        "note_kind": "",
    }
    assert second["resource"] == "Principles for Responsible AI Innovation"
    assert second["status"] == "pending"


def test_identified_profile_names_participants_and_organisations(consultation, submitted):
    rows = export_dicts(consultation, "identified")

    assert [(row["participant"], row["organisation"]) for row in rows] == [
        ("Alice Martin", "Sentinel Analytics"),
        ("Alice Martin", "Sentinel Analytics"),
        ("Bob Okafor", "Northbridge Cloud"),
        ("Bob Okafor", "Northbridge Cloud"),
    ]


def test_pseudonymised_profile_never_reveals_names_emails_or_organisations(
    consultation, alice, bob, dana, eve, submitted, questions
):
    answer(dana, questions[0], "Cite us only in aggregate")
    answer(eve, questions[0], "Analysis only, please")
    submit(dana)
    submit(eve)

    text = export_text(consultation, "pseudonymised")
    rows = export_dicts(consultation, "pseudonymised")

    assert len(rows) == 6
    assert {row["participant"] for row in rows} == {p.pseudonym for p in (alice, bob, dana, eve)}
    assert {row["organisation"] for row in rows} == {""}
    for person in (alice, bob, dana, eve):
        for secret in (*person.name.split(), person.email, person.organisation):
            assert secret not in text


def test_pseudonymised_is_the_default_profile(consultation, submitted):
    rows = list(long_rows(answers_for_export(consultation)))

    assert {row[1] for row in rows} == {
        submitted[0].response.participant.pseudonym,
        submitted[2].response.participant.pseudonym,
    }
    assert "Alice Martin" not in str(rows)


def test_chatham_house_profile_follows_each_participants_attribution(
    consultation, alice, bob, dana, eve, submitted, questions
):
    answer(dana, questions[0], "Cite us only in aggregate")
    answer(eve, questions[0], "Analysis only, please")
    submit(dana)
    submit(eve)

    rows = export_dicts(consultation, "chatham-house")
    seen = {
        (row["participant"], row["organisation"], row["answer"]) for row in rows if row["question_no"] == "1"
    }

    assert seen == {
        ("Bob Okafor", "Northbridge Cloud", "Human oversight first"),  # named
        (alice.pseudonym, "Sentinel Analytics", "Keep audit logs"),  # organisation only
        (dana.pseudonym, "", "Cite us only in aggregate"),  # unattributed
        (eve.pseudonym, "", "[not to be quoted]"),  # not to be quoted
    }
    text = export_text(consultation, "chatham-house")
    for secret in ("Alice Martin", "Dana", "Whitfield", "Quietwater", "Eve", "Halden", "@example.org"):
        assert secret not in text


def test_chatham_house_withholds_answers_of_participants_who_never_chose(consultation, questions):
    undecided = make_participant(
        consultation, "Uma Undecided", "uma@example.org", organisation="Undecided Ltd"
    )
    answer(undecided, questions[0], "My words")
    submit(undecided)

    (row,) = export_dicts(consultation, "chatham-house")

    assert (row["participant"], row["organisation"], row["answer"]) == (
        undecided.pseudonym,
        "",
        "[not to be quoted]",
    )


@pytest.mark.parametrize(
    ("profile", "shown"),
    [
        ("identified", "Something a moderator hid"),
        ("pseudonymised", "[hidden by moderator]"),
        ("chatham-house", "[hidden by moderator]"),
    ],
)
def test_hidden_answers_are_withheld_except_in_the_identified_profile(
    consultation, bob, questions, profile, shown
):
    answer(bob, questions[0], "Something a moderator hid", status=Answer.Status.HIDDEN)
    answer(bob, questions[1], "Something fine", status=Answer.Status.APPROVED)
    submit(bob)

    rows = export_dicts(consultation, profile)

    assert [(row["answer"], row["status"]) for row in rows] == [
        (shown, "hidden"),
        ("Something fine", "approved"),
    ]


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+A1", "'+A1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ("  =x", "'  =x"),
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_prefixed(consultation, bob, questions, text, cell):
    answer(bob, questions[0], text)
    submit(bob)

    (row,) = export_dicts(consultation, "identified")

    assert row["answer"] == cell


@pytest.mark.parametrize(
    "text", ["Plain words", "1 + 1 = 2", "a-b", "contact@example.org", "3", " leading space", "'quoted"]
)
def test_harmless_text_is_left_untouched(consultation, bob, questions, text):
    answer(bob, questions[0], text)
    submit(bob)

    (row,) = export_dicts(consultation, "identified")

    assert row["answer"] == text


def test_names_organisations_and_question_texts_are_formula_safe_too(consultation, questions):
    questions[0].text = "=IMPORTXML(A1)"
    questions[0].save()
    mallory = make_participant(
        consultation,
        "@Mallory",
        "mallory@example.org",
        organisation="+Evil Corp",
        attribution=Participant.Attribution.NAMED,
    )
    answer(mallory, questions[0], "Fine")
    submit(mallory)

    (row,) = export_dicts(consultation, "identified")

    assert (row["participant"], row["organisation"], row["question"]) == (
        "'@Mallory",
        "'+Evil Corp",
        "'=IMPORTXML(A1)",
    )


def test_csv_parses_back_with_commas_quotes_newlines_and_unicode_intact(consultation, bob, questions):
    text = 'Yes, but "responsible" AI\nneeds audits;\r\nsecond line: Ærø, 東京, Ünïcödé, emoji 🚓'
    answer(bob, questions[0], text)
    submit(bob)

    raw = export_text(consultation, "identified")
    (row,) = export_dicts(consultation, "identified")

    assert row["answer"] == text
    assert raw.endswith("\r\n")
    assert raw.count("\r\n") == 3  # header, the row, and the CRLF inside the quoted answer


def test_export_query_count_is_the_same_for_2_and_for_30_answers(
    consultation, questions, django_assert_max_num_queries
):
    def export_with(n: int) -> tuple[int, int]:
        Answer.objects.all().delete()
        for i in range(n // 2):
            participant = Participant.objects.filter(email=f"p{i}@example.org").first() or make_participant(
                consultation, f"Participant {i}", f"p{i}@example.org", attribution="named"
            )
            answer(participant, questions[0], f"First {i}")
            answer(participant, questions[1], f"Second {i}")
            submit(participant)
        # A plain queryset, as the admin may pass: the export adds the joins and the themes it needs.
        with django_assert_max_num_queries(2) as captured:
            rows = list(long_rows(Answer.objects.all(), profile="chatham-house"))
        return len(rows), len(captured.captured_queries)

    assert export_with(2) == (2, 2)
    assert export_with(30) == (30, 2)


def test_exporting_a_consultation_takes_two_queries(consultation, submitted, django_assert_max_num_queries):
    # The answers with their joins, and the themes of those answers.
    with django_assert_max_num_queries(2):
        text = export_text(consultation, "identified")

    assert text.count("\r\n") == 5


def test_unknown_profile_is_refused_before_anything_is_written(consultation):
    answers = answers_for_export(consultation)

    with pytest.raises(ValueError, match="public"):
        long_rows(answers, profile="public")
    with pytest.raises(ValueError, match="public"):
        csv_chunks(answers, profile="public")
    with pytest.raises(ValueError, match="public"):
        csv_response(answers, profile="public", filename="x.csv")
    fh = io.StringIO()
    with pytest.raises(ValueError, match="public"):
        write_csv(answers, profile="public", fh=fh)
    assert fh.getvalue() == ""


def test_csv_response_streams_an_attachment_that_is_not_cached_or_sniffed(consultation, submitted):
    response = csv_response(
        answers_for_export(consultation), profile="identified", filename="tech-providers.csv"
    )

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="tech-providers.csv"'
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(HEADER)
    assert "Alice Martin" in body


def test_write_csv_counts_data_rows(consultation, submitted):
    fh = io.StringIO(newline="")

    rows = write_csv(answers_for_export(consultation), profile="pseudonymised", fh=fh)

    assert rows == 4
    assert fh.getvalue() == export_text(consultation)


def test_command_writes_the_file_that_the_download_would_stream(consultation, submitted, tmp_path):
    path = tmp_path / "export.csv"
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command(
        "export_feedback",
        "tech-providers",
        "--profile",
        "identified",
        "-o",
        str(path),
        stdout=stdout,
        stderr=stderr,
    )

    response = csv_response(answers_for_export(consultation), profile="identified", filename="export.csv")
    assert path.read_bytes() == b"".join(response.streaming_content)
    assert b"Alice Martin" in path.read_bytes()
    assert stdout.getvalue() == ""
    assert stderr.getvalue() == f"Wrote 4 rows to {path}\n"


def test_command_prints_to_stdout_pseudonymised_by_default(consultation, alice, submitted):
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("export_feedback", "tech-providers", stdout=stdout, stderr=stderr)

    assert stdout.getvalue() == export_text(consultation, "pseudonymised")
    assert alice.pseudonym in stdout.getvalue()
    assert "Alice" not in stdout.getvalue()
    assert "Sentinel" not in stdout.getvalue()
    assert stderr.getvalue() == "Wrote 4 rows to stdout\n"


def test_command_explains_an_unknown_consultation(db):
    with pytest.raises(CommandError, match="No consultation with slug 'nope'"):
        call_command("export_feedback", "nope", stdout=io.StringIO(), stderr=io.StringIO())


def test_command_refuses_an_unknown_format(consultation):
    with pytest.raises(CommandError, match="invalid choice: 'ods'"):
        call_command("export_feedback", "tech-providers", "--format", "ods", stdout=io.StringIO())


def test_command_refuses_an_unknown_profile(consultation):
    with pytest.raises(CommandError, match="invalid choice: 'public'"):
        call_command("export_feedback", "tech-providers", "--profile", "public", stdout=io.StringIO())
