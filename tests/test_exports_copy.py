"""The long CSV made by PostgreSQL's COPY: byte for byte the ORM export, for every profile and nasty text."""

import io
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone, translation

from feedback.exports import formats, postgres, shapes
from feedback.exports.columns import PROFILES
from feedback.exports.formats import write_csv, write_export
from feedback.exports.postgres import copy_long_csv, long_csv_select, supports_copy
from feedback.exports.shapes import (
    Export,
    answers_for_export,
    comments_for_export,
    live_points_for_export,
    notes_for_export,
)
from feedback.models import (
    AgendaItem,
    Answer,
    Codebook,
    Comment,
    ConsultationResource,
    LivePoint,
    Participant,
    Question,
    RapporteurNote,
    Resource,
    Response,
)
from tests.conftest import answer, make_participant, submit

NASTY = [
    'Commas, "double quotes" and\na newline',
    "A carriage return\ralone, and CRLF\r\ninside",
    "tab\tinside, and a trailing space ",
    "   leading spaces",
    "=SUM(A1:A9)",
    "+33 1 23 45 67 89",
    "-2 is less",
    "@mention",
    "\tstarts with a tab",
    "\rstarts with CR",
    "\nstarts with LF",
    '  =HYPERLINK("http://evil.example")',
    "العربية، مع فاصلة",
    "中文，逗号, and a comma",
    "emoji 🙂👍🏽 and ‘curly’ quotes",
    '"',
    ",",
    "\\.",
    "\\N",
    "NULL",
    "a\u2028line separator and \x0bvertical tab",
]


def orm_bytes(consultation, profile: str) -> tuple[bytes, int]:
    out = io.StringIO(newline="")
    rows = write_csv(
        answers_for_export(consultation),
        comments=comments_for_export(consultation),
        live_points=live_points_for_export(consultation),
        notes=notes_for_export(consultation),
        profile=profile,
        fh=out,
    )
    return out.getvalue().encode(), rows


def copy_bytes(consultation, profile: str) -> tuple[bytes, int]:
    """The whole consultation's long CSV as the app writes it: PostgreSQL's COPY there, the ORM elsewhere.

    The same tests then hold on both databases of CI: on PostgreSQL they prove COPY matches the ORM byte for
    byte, and elsewhere that the export's fallback is that ORM file.
    """
    out = io.BytesIO()
    with mock.patch.object(postgres, "copy_long_csv", wraps=postgres.copy_long_csv) as spy:
        rows = write_export(Export.of(consultation, profile=profile), file_format="csv", fh=out)
    assert spy.called == supports_copy()
    return out.getvalue(), rows


@pytest.fixture
def nasty(consultation, resource, alice, bob) -> None:
    """Every kind of row and cell the export has to get right: profiles, markers, themes, quoting, formulas."""
    paris = ZoneInfo("Europe/Paris")
    codebook = Codebook.objects.create(name="Nasty codes")
    # Code point order differs from a natural-language collation for these.
    themes = {
        code: codebook.themes.create(code=code, name=f"Theme {code}")
        for code in ["b", "B", "a.2", "a10", "_x"]
    }
    other = Resource.objects.create(title='=Annex, "draft"', category=Resource.Category.PRACTICAL)
    other.sections.create(position=1, heading='Zeta "quoted",\nheading')
    other.sections.create(position=2, heading="@second")
    ConsultationResource.objects.create(consultation=consultation, resource=other, position=2)
    numbered = other.sections.create(position=3, number="3.2", heading="Numbered")
    numbered.paragraphs.create(number=1, text="First, before the commented one.")
    paragraph = numbered.paragraphs.create(number=4, kind="list_item", text='The =quoted, "passage"\nhere.')
    # A title that sorts before the fixture's resource, so comments are reordered by title, not by id.
    early = Resource.objects.create(title="Appendix", category=Resource.Category.SUPPORTING)
    ConsultationResource.objects.create(consultation=consultation, resource=early, position=3)

    questions = [
        Question.objects.create(consultation=consultation, number=1, text="Plain question?"),
        Question.objects.create(
            consultation=consultation, number=2, text='=Formula, "quoted"\nquestion', resource=resource
        ),
        Question.objects.create(
            consultation=consultation,
            number=3,
            text="Which apply?",
            kind=Question.Kind.MULTIPLE_CHOICE,
            choices='Privacy\nFairness, equity\n=Risky\n"Quoted"',
        ),
        Question.objects.create(consultation=consultation, number=10, text="Tenth, after the second"),
    ]
    people = [
        alice,
        bob,
        make_participant(
            consultation,
            '=Dana "the" Whitfield',
            "dana@example.org",
            organisation="+Quietwater, Systems",
            attribution=Participant.Attribution.UNATTRIBUTED,
            country="CN",
        ),
        make_participant(
            consultation,
            "Eve Lindqvist",
            "eve@example.org",
            organisation="Halden Forensics",
            attribution=Participant.Attribution.NOT_QUOTED,
            organisation_type=Participant.OrganisationType.ACADEMIA,
        ),
        # Never chose an attribution, no country or organisation type.
        make_participant(consultation, "Frank Ng", "frank@example.org", organisation="-Frank Org"),
        make_participant(
            consultation,
            "سارة الهاشمي",
            "sara@example.org",
            organisation="منظمة، الشرق",
            attribution=Participant.Attribution.NAMED,
            country="AE",
        ),
    ]
    texts = iter(NASTY * 4)
    for person_no, person in enumerate(people):
        for question in questions:
            if question.kind == Question.Kind.MULTIPLE_CHOICE:
                item = answer(person, question, "  ", selected=question.choice_list()[person_no % 3 :][:3])
            else:
                item = answer(person, question, next(texts))
            if (person_no + question.number) % 4 == 0:
                item.themes.set([themes["b"], themes["B"], themes["a10"], themes["a.2"], themes["_x"]])
        Comment.objects.create(response=person.response, resource=resource, text=next(texts))
        Comment.objects.create(
            response=person.response, resource=resource, section=resource.sections.get(), text=next(texts)
        )
        Comment.objects.create(
            response=person.response, resource=other, section=other.sections.get(position=2), text=next(texts)
        )
        Comment.objects.create(
            response=person.response, resource=other, section=other.sections.get(position=1), text=next(texts)
        )
        Comment.objects.create(response=person.response, resource=early, text=next(texts))
        # Anchored comments: two on the same paragraph (one quoting it), typed, with nasty proposed changes.
        Comment.objects.create(
            response=person.response,
            resource=other,
            section=numbered,
            paragraph=paragraph,
            quote=paragraph.text[4:20],
            quote_start=4,
            kind=Comment.Kind.TECHNICAL,
            proposed_change=next(texts),
            text=next(texts),
        )
        Comment.objects.create(
            response=person.response,
            resource=other,
            section=numbered,
            paragraph=paragraph,
            kind=Comment.Kind.EDITORIAL,
            text=next(texts),
        )
        submit(person)
    response = alice.response
    response.submitted_at = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=paris)
    response.last_edited_at = None
    response.save()
    # Left out by both paths: empty and whitespace-only answers and comments.
    answer(people[4], Question.objects.create(consultation=consultation, number=4, text="Empty?"), "")
    answer(people[5], Question.objects.get(consultation=consultation, number=4), " \n\t ")
    Comment.objects.filter(response=people[4].response, resource=early).update(text="   ")
    # Moderation: hidden, redacted, redacted and hidden, flagged and approved, a tagged comment.
    first = Answer.objects.filter(response__participant__in=people)
    first.filter(question__number=1, response__participant=bob).update(status=Answer.Status.HIDDEN)
    first.filter(question__number=2, response__participant=bob).update(
        redacted_text='[redacted: a name, "quoted"]', status=Answer.Status.APPROVED
    )
    first.filter(question__number=2, response__participant=people[3]).update(
        redacted_text="=redacted formula", status=Answer.Status.HIDDEN
    )
    first.filter(question__number=3, response__participant=people[2]).update(
        redacted_text="Choices redacted", status=Answer.Status.FLAGGED
    )
    comments = Comment.objects.filter(response__participant__in=people)
    comments.filter(resource=other, response__participant=alice).update(status=Comment.Status.HIDDEN)
    comments.filter(resource=resource, section=None, response__participant=bob).update(
        redacted_text="Redacted comment", status=Comment.Status.APPROVED
    )
    comments.filter(kind=Comment.Kind.TECHNICAL, response__participant__in=people[:2]).update(
        status=Comment.Status.HIDDEN
    )
    comments.get(resource=early, response__participant=people[5]).themes.set([themes["_x"], themes["a10"]])
    # Redacted proposed changes: one shown, one of a participant not to be quoted.
    comments.filter(kind=Comment.Kind.TECHNICAL, response__participant__in=people[2:4]).update(
        redacted_text="Comment, redacted", redacted_proposed_change='=Proposed, "[redacted]"'
    )
    # Not exported: a draft, and another consultation's participant.
    drafter = make_participant(consultation, "Drafty", "draft@example.org", attribution="named")
    answer(drafter, questions[0], "Draft only")
    Response.objects.filter(participant=bob).update(last_edited_at=timezone.now() - timedelta(microseconds=1))
    meeting_record(consultation, people, questions, themes, iter(NASTY[::-1] * 2))


# Rows of the meeting's record the nasty fixture adds: live points and rapporteur notes that are exported.
MEETING_ROWS = 6 * 2 - 1 + 6


def meeting_record(consultation, people, questions, themes, texts) -> None:
    """Live points (item_type live) and rapporteur notes (spoken) with every attribution, marker and exclusion."""
    discussion = AgendaItem.objects.create(
        consultation=consultation, position=2, title='=Group "discussion", framed', question=questions[1]
    )
    presentation = AgendaItem.objects.create(consultation=consultation, position=1, title="Presentation")
    for person in people:
        LivePoint.objects.create(participant=person, agenda_item=discussion, text=next(texts), language="en")
        LivePoint.objects.create(participant=person, agenda_item=presentation, text=next(texts))
    points = LivePoint.objects.filter(participant__in=people)
    # One empty (left out), one hidden, one redacted, one tagged.
    points.filter(participant=people[4], agenda_item=presentation).update(text=" \n ")
    points.filter(participant=people[1], agenda_item=discussion).update(status=LivePoint.Status.HIDDEN)
    points.filter(participant=people[2], agenda_item=discussion).update(redacted_text="=Redacted live")
    points.get(participant=people[0], agenda_item=presentation).themes.set([themes["b"], themes["_x"]])
    # Left out: a rehearsal's point, and an erased participant's point and the note attributed to them.
    LivePoint.objects.create(
        participant=people[0], agenda_item=discussion, text="Rehearsed", is_rehearsal=True
    )
    gone = make_participant(consultation, "Gone", "gone@example.org", attribution="named", is_erased=True)
    LivePoint.objects.create(participant=gone, agenda_item=discussion, text="Erased")
    RapporteurNote.objects.create(
        agenda_item=discussion, speaker="participant", participant=gone, text="Erased"
    )
    RapporteurNote.objects.create(agenda_item=discussion, text="Rehearsed note", is_rehearsal=True)
    # Notes: named, organisation only, not to be quoted, never chose, unattributed, the organisers.
    for person in (people[0], people[1], people[3], people[4]):
        RapporteurNote.objects.create(
            agenda_item=discussion,
            speaker="participant",
            participant=person,
            text=next(texts),
            kind="proposal",
        )
    RapporteurNote.objects.create(agenda_item=presentation, speaker="unattributed", text=next(texts))
    hidden = RapporteurNote.objects.create(
        agenda_item=discussion, speaker="organisers", text="@organisers", kind="disagreement"
    )
    RapporteurNote.objects.filter(pk=hidden.pk).update(status=RapporteurNote.Status.HIDDEN)
    hidden.themes.set([themes["a10"]])


@pytest.mark.parametrize("profile", PROFILES)
def test_copy_export_is_byte_for_byte_the_orm_export(consultation, nasty, profile):
    expected, expected_rows = orm_bytes(consultation, profile)

    produced, rows = copy_bytes(consultation, profile)

    # Six people, four answers and seven comments each, one comment empty; then the meeting's record.
    assert expected_rows == 6 * 4 + 6 * 7 - 1 + MEETING_ROWS
    assert "3.2 ¶4" in expected.decode()
    assert ",te," in expected.decode() and ",ed," in expected.decode()
    assert produced.decode().splitlines()[:2] == expected.decode().splitlines()[:2]
    assert produced == expected
    assert rows == expected_rows


def test_copy_export_renders_markers_in_the_active_language(consultation, nasty):
    with translation.override("fr"):
        expected, _rows = orm_bytes(consultation, "chatham-house")
        produced, _rows = copy_bytes(consultation, "chatham-house")

    assert produced == expected


def test_copy_export_is_the_same_when_written_in_many_small_blocks(consultation, nasty, monkeypatch):
    monkeypatch.setattr(postgres, "BLOCK_BYTES", 64)
    expected, expected_rows = orm_bytes(consultation, "identified")

    produced, rows = copy_bytes(consultation, "identified")

    assert produced == expected
    assert rows == expected_rows


def test_copy_export_of_a_consultation_without_submissions_is_just_the_header(consultation, alice, questions):
    answer(alice, questions[0], "Still a draft")

    produced, rows = copy_bytes(consultation, "pseudonymised")

    assert rows == 0
    assert produced == orm_bytes(consultation, "pseudonymised")[0]
    assert produced.startswith(b"consultation,participant,organisation,")
    assert produced.endswith(
        b",redacted,language,version,anchor,quote,comment_type,proposed_change,note_kind\r\n"
    )


def test_copy_export_select_is_one_line_that_psql_copy_can_run(consultation, nasty):
    select = long_csv_select(consultation, profile="chatham-house")

    assert "\n" not in select
    assert "\r" not in select
    assert select.startswith("SELECT ")


def test_copy_export_refuses_an_unknown_profile_before_writing(consultation):
    out = io.BytesIO()

    with pytest.raises(ValueError):
        copy_long_csv(consultation, profile="everything", fh=out)

    assert out.getvalue() == b""


def test_copy_export_is_offered_on_postgresql_only(consultation):
    out = io.BytesIO()

    assert supports_copy() is (connection.vendor == "postgresql")
    if supports_copy():
        assert copy_long_csv(consultation, profile="pseudonymised", fh=out) == 0
        assert out.getvalue().startswith(b"consultation,participant,")
    else:
        with pytest.raises(NotImplementedError):
            copy_long_csv(consultation, profile="pseudonymised", fh=out)
        assert out.getvalue() == b""


@pytest.mark.parametrize("bom", [False, True])
def test_a_whole_consultation_long_csv_is_the_same_file_whichever_path_makes_it(
    alice, bob, questions, resource, bom
):
    from unittest import mock

    from tests.conftest import answer, submit

    answer(alice, questions[0], '=1+1, "quoted"\nnext line')
    answer(bob, questions[1], "مرحبا 你好")
    submit(alice)
    submit(bob)
    expected = io.StringIO(newline="")
    formats.write_csv(
        shapes.answers_for_export(alice.consultation),
        comments=shapes.comments_for_export(alice.consultation),
        profile="chatham-house",
        fh=expected,
    )

    fh = io.BytesIO()
    with mock.patch.object(postgres, "copy_long_csv", wraps=postgres.copy_long_csv) as spy:
        rows = formats.write_export(
            shapes.Export.of(alice.consultation, profile="chatham-house"), file_format="csv", fh=fh, bom=bom
        )

    assert fh.getvalue() == ("\ufeff" if bom else "").encode() + expected.getvalue().encode()
    assert rows == 2
    # PostgreSQL makes it with COPY; any other database through the ORM.
    assert spy.called == (connection.vendor == "postgresql")
