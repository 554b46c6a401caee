"""Property-based tests: arbitrary text goes through the forms, storage and every export and comes back unchanged.

Text is any Unicode (no lone surrogates, which no browser can send as UTF-8), with control characters, empty,
whitespace-only and up to twice the field's limit. The contracts:

- The forms store exactly what was posted, CR LF included (browsers send line breaks as CR LF; nothing here
  rewrites them), or refuse it with a visible message and change nothing: NUL (PostgreSQL cannot store it)
  and text over the limit.
- CSV cells read back as ``formula_safe(text)``; JSON as the text itself; XLSX as ``formula_safe`` of the text
  without the characters XML 1.0 cannot carry, and with CR LF or CR as LF (XML parsers turn line breaks into
  LF, and LF is the line break inside a spreadsheet cell).
- On PostgreSQL the COPY export is byte for byte the ORM one.
"""

import csv
import io
import json
import re
import urllib.parse

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from feedback.exports.columns import FORMULA_TRIGGERS, formula_safe
from feedback.exports.formats import write_csv, write_export
from feedback.exports.shapes import Export, answers_for_export, comments_for_export
from feedback.models import COMMENT_MAX_LENGTH, Answer, Comment, Participant, Question, Resource, Response
from tests.conftest import submit

FAST = settings(
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# A small limit on the question, so "over the limit" is reached without megabytes of text.
LIMIT = 40

# Any code point but lone surrogates: categories Cc (controls, NUL included), Zs/Zl/Zp, Cf, Co, Cn, emoji...
CHARACTERS = st.characters(exclude_categories=("Cs",))
# Whitespace of every kind, so whitespace-only text (which counts as empty) comes up often.
SPACES = st.sampled_from(" \t\r\n\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2003\u2028\u2029\u202f\u3000")
TRICKY = st.sampled_from(
    ["\r\n", "\r", "=", "+", "-", "@", "'", '"', ",", "\x00", "\ufffe", "\uffff", "_x000D_"]
)


def texts(limit: int) -> st.SearchStrategy[str]:
    """Text up to twice `limit`: arbitrary, whitespace-only, or pieces of troublesome characters."""
    pieces = st.one_of(CHARACTERS, SPACES, TRICKY)
    return st.one_of(
        st.text(CHARACTERS, max_size=2 * limit),
        st.text(SPACES, max_size=8),
        st.lists(pieces, max_size=2 * limit).map("".join),
        # A line of text repeated to around the limit: the boundary on both sides.
        st.builds(
            lambda line, extra: (line * (limit // max(len(line), 1) + 1))[: limit + extra],
            st.text(CHARACTERS, min_size=1, max_size=10),
            st.integers(-2, 2),
        ),
    )


def stored_texts(limit: int) -> st.SearchStrategy[str]:
    """Text that storage accepts: everything the forms let through (no NUL, within the limit)."""
    return texts(limit).map(lambda text: text.replace("\x00", "")[:limit])


# XML 1.0 Char: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF. The rest is dropped in XLSX.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xlsx_expected(text: str) -> str:
    return formula_safe(re.sub("\r\n?", "\n", NOT_XML.sub("", text)))


@pytest.fixture
def question(questions: list[Question]) -> Question:
    """Question 1, a long-text question with a character limit of LIMIT."""
    question = questions[0]
    question.max_length = LIMIT
    question.save()
    return question


@pytest.fixture
def alice_response(alice: Participant) -> Response:
    return Response.objects.get_or_create(participant=alice)[0]


def urlencoded(data: dict[str, str]) -> str:
    # What a browser's form post and autosave's URLSearchParams send: UTF-8, percent-encoded.
    return urllib.parse.urlencode(data, encoding="utf-8")


def post_form(client: Client, url: str, data: dict[str, str]):  # noqa: ANN201
    return client.post(url, urlencoded(data), content_type="application/x-www-form-urlencoded")


def refusal(text: str, limit: int) -> str | None:
    """The message the form shows for this text, or None when it accepts it."""
    if "\x00" in text:
        return "Null characters are not allowed."
    if len(text) > limit:
        return f"Ensure this value has at most {limit} characters (it has {len(text)})."
    return None


# 1. The forms: stored exactly as posted, or refused with a message and nothing changed


@FAST
@given(text=texts(LIMIT))
@example(text="line one\r\nline two\r\n")
@example(text="x" * (LIMIT + 1))
@example(text="")
def test_questions_form_stores_any_text_exactly_or_refuses_it_with_a_message(
    alice_client: Client, alice_response: Response, question: Question, text: str
) -> None:
    cache.clear()
    Answer.objects.update_or_create(
        response=alice_response, question=question, defaults={"text": "before", "selected": []}
    )

    page = post_form(alice_client, "/c/tech-providers/questions/", {"q1": text})

    message = refusal(text, LIMIT)
    stored = Answer.objects.get(response=alice_response, question=question).text
    if message:
        assert page.status_code == 200
        assert message in page.content.decode()
        assert "Nothing was saved from this page" in page.content.decode()
        assert stored == "before"
    else:
        assert page.status_code == 302
        assert stored == text


@FAST
@given(text=texts(LIMIT))
@example(text="\r\n\t")
@example(text="a\x00b")
def test_autosave_stores_any_text_exactly_or_answers_400_with_the_reason(
    alice_client: Client, alice_response: Response, question: Question, text: str
) -> None:
    cache.clear()
    Answer.objects.update_or_create(
        response=alice_response, question=question, defaults={"text": "before", "selected": []}
    )

    reply = post_form(alice_client, "/c/tech-providers/autosave/", {"field": "q1", "q1": text})

    message = refusal(text, LIMIT)
    stored = Answer.objects.get(response=alice_response, question=question).text
    if message:
        assert reply.status_code == 400
        assert reply.json() == {"error": message}
        assert stored == "before"
    else:
        assert reply.status_code == 200
        assert "saved_at" in reply.json()
        assert stored == text


@FAST
@given(text=texts(COMMENT_MAX_LENGTH))
@example(text="x" * (COMMENT_MAX_LENGTH + 1))
@example(text="é" * COMMENT_MAX_LENGTH)
@example(text="a\r\nb\x00")
def test_comment_form_stores_any_text_exactly_or_refuses_it_with_a_message(
    alice_client: Client, alice_response: Response, resource: Resource, text: str
) -> None:
    cache.clear()
    own, _created = Comment.objects.update_or_create(
        response=alice_response, resource=resource, section=None, defaults={"text": "before"}
    )

    page = post_form(
        alice_client, f"/c/tech-providers/comments/{own.pk}/edit/", {"kind": "general", "text": text}
    )

    message = refusal(text, COMMENT_MAX_LENGTH)
    stored = Comment.objects.get(response=alice_response, resource=resource, section=None).text
    if message:
        assert page.status_code == 200
        assert message in page.content.decode()
        assert "Your comment was not saved" in page.content.decode()
        assert stored == "before"
    else:
        assert page.status_code == 302
        assert stored == text


# 2. Every export reads back the stored text


def produce(export: Export, file_format: str) -> bytes:
    fh = io.BytesIO()
    write_export(export, file_format=file_format, fh=fh)
    return fh.getvalue()


def read_back(body: bytes, file_format: str) -> list[dict[str, str]]:
    """The data rows of an export file, parsed with the format's own reader."""
    if file_format == "csv":
        return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    if file_format == "json":
        document = json.loads(body.decode("utf-8"))
        assert document["complete"] is True
        return document["rows"]
    values = [
        ["" if cell.value is None else cell.value for cell in row]
        for row in load_workbook(io.BytesIO(body)).active.iter_rows()
    ]
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def as_exported(text: str, file_format: str) -> str:
    if file_format == "csv":
        return formula_safe(text)
    if file_format == "xlsx":
        return xlsx_expected(text)
    return text


@pytest.fixture
def submitted_items(alice: Participant, question: Question, resource: Resource) -> tuple[Answer, Comment]:
    """alice's answer to question 1 and comment on the resource, submitted; each example sets their text."""
    response = Response.objects.create(participant=alice)
    item = Answer.objects.create(response=response, question=question, text="placeholder")
    comment = Comment.objects.create(response=response, resource=resource, text="placeholder")
    submit(alice)
    return item, comment


@FAST
@given(answer_text=stored_texts(LIMIT), comment_text=stored_texts(200))
@example(answer_text="=1+1\r\n", comment_text="\u2003")
@example(answer_text="\xa0", comment_text="x\ufffey\uffffz\x1b")
@example(answer_text=" \x01=cmd", comment_text='a,"b"\rc')
def test_every_export_reads_back_the_stored_text(
    submitted_items: tuple[Answer, Comment], answer_text: str, comment_text: str
) -> None:
    item, comment = submitted_items
    Answer.objects.filter(pk=item.pk).update(text=answer_text)
    Comment.objects.filter(pk=comment.pk).update(text=comment_text)
    # The stored text is what was written (the database changes none of it).
    assert Answer.objects.get(pk=item.pk).text == answer_text
    assert Comment.objects.get(pk=comment.pk).text == comment_text
    exported = [text for text in (answer_text, comment_text) if text.strip()]
    consultation = item.question.consultation

    for file_format in ("csv", "xlsx", "json"):
        long = read_back(produce(Export.of(consultation, profile="identified"), file_format), file_format)
        assert [row["answer"] for row in long] == [as_exported(text, file_format) for text in exported]

        wide = read_back(
            produce(Export.of(consultation, profile="identified", shape="wide"), file_format), file_format
        )
        if exported:
            [row] = wide
            shown = answer_text if answer_text.strip() else ""
            assert row["q1"] == as_exported(shown, file_format)
            assert row["comments"] == ("1" if comment_text.strip() else "0")
        else:
            assert wide == []


@FAST
@given(answer_text=stored_texts(LIMIT), comment_text=stored_texts(200))
@example(answer_text="\\.", comment_text="\xa0")
@example(answer_text='""', comment_text=" \t=x")
def test_copy_export_is_byte_identical_to_the_orm_export_for_any_text(
    submitted_items: tuple[Answer, Comment], answer_text: str, comment_text: str
) -> None:
    item, comment = submitted_items
    Answer.objects.filter(pk=item.pk).update(text=answer_text)
    Comment.objects.filter(pk=comment.pk).update(text=comment_text)
    consultation = item.question.consultation

    for profile in ("identified", "pseudonymised", "chatham-house"):
        # write_export takes PostgreSQL's COPY where it can and the ORM elsewhere: on PostgreSQL this compares
        # the two paths; on other databases it checks the export's fallback is the ORM file.
        by_copy = io.BytesIO()
        write_export(Export.of(consultation, profile=profile), file_format="csv", fh=by_copy)
        by_orm = io.StringIO(newline="")
        write_csv(
            answers_for_export(consultation),
            profile=profile,
            fh=by_orm,
            comments=comments_for_export(consultation),
        )
        assert by_copy.getvalue() == by_orm.getvalue().encode("utf-8")


# 3. formula_safe


def is_formula_like(cell: str) -> bool:
    return cell.lstrip(" ").startswith(FORMULA_TRIGGERS)


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(text=st.one_of(st.text(CHARACTERS), st.lists(st.one_of(TRICKY, SPACES, CHARACTERS)).map("".join)))
@example(text="   =1")
@example(text="'=1")
def test_formula_safe_makes_any_text_inert_whatever_a_spreadsheet_splits_on_and_only_adds_quotes(
    text: str,
) -> None:
    safe = formula_safe(text)

    assert safe.startswith("'") or not is_formula_like(safe)
    # Excel in French or Spanish settings splits on ";", others on "," or tab: no piece may start a formula.
    for separator in (",", ";", "\t"):
        for piece in safe.split(separator)[1:]:
            assert not piece.lstrip(' \t\r\n"').startswith(("=", "+", "-", "@")), (separator, piece)
    assert safe.replace("'", "") == text.replace("'", "")
    if is_formula_like(text):
        assert safe.startswith("'")
    assert formula_safe(safe) == safe
