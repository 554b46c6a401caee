"""The insights report, the comment-resolution report, the comparison across the series, and publishing."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.analysis import reports
from feedback.models import (
    Answer,
    AuditEvent,
    Codebook,
    Comment,
    Consultation,
    Participant,
    Question,
    Response,
)
from tests.conftest import answer, make_participant, submit

APPROVED = Answer.Status.APPROVED


@pytest.fixture
def dave(consultation) -> Participant:
    """Takes part unattributed (Chatham House rule)."""
    return make_participant(
        consultation,
        "Dave Quist",
        "dave@example.org",
        organisation="Quiet Vision Ltd",
        organisation_type=Participant.OrganisationType.PROVIDER_LE_ONLY,
        attribution=Participant.Attribution.UNATTRIBUTED,
        consented_at=timezone.now(),
    )


@pytest.fixture
def erin(consultation) -> Participant:
    """Asked not to be quoted."""
    return make_participant(
        consultation,
        "Erin Silent",
        "erin@example.org",
        organisation="Hushed Systems",
        attribution=Participant.Attribution.NOT_QUOTED,
        consented_at=timezone.now(),
    )


@pytest.fixture
def quoted(questions, alice, bob, dave, erin) -> dict[str, Answer]:
    """One approved, submitted answer to question 1 from each of alice, bob, dave and erin."""
    items = {}
    for person in (alice, bob, dave, erin):
        items[person.name] = answer(
            person, questions[0], f"Words of {person.name.split()[0]}.", status=APPROVED
        )
        submit(person)
    return items


def csv_rows(response) -> list[list[str]]:
    # Every analysis CSV starts with the byte order mark, for Excel; readers that know UTF-8 skip it.
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def query_count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_participants(consultation: Consultation, count: int, question: Question, resource=None) -> None:
    """`count` more submitted participants, each with an approved answer and, given a resource, a comment."""
    start = Participant.objects.filter(consultation=consultation).count()
    for i in range(start, start + count):
        person = make_participant(
            consultation,
            f"Person {i}",
            f"person{i}@example.org",
            organisation=f"Org {i}",
            attribution=Participant.Attribution.NAMED,
            consented_at=timezone.now(),
        )
        answer(person, question, f"Answer {i}", status=APPROVED)
        if resource is not None:
            Comment.objects.create(
                response=person.response, resource=resource, text=f"Comment {i}", status=APPROVED
            )
        submit(person)


# The insights report


def test_quotes_are_attributed_only_as_each_participant_allowed(olga_client, consultation, quoted):
    page = olga_client.get(f"/analysis/{consultation.slug}/insights/").content.decode()
    assert "Words of Bob." in page and "Bob Okafor, Northbridge Cloud" in page
    assert "Words of Alice." in page and "Sentinel Analytics" in page and "Alice Martin" not in page
    assert "Words of Dave." in page and "A technology provider (law enforcement clients only)" in page
    assert "Dave Quist" not in page and "Quiet Vision" not in page
    assert "Words of Erin." not in page and "Erin Silent" not in page and "Hushed Systems" not in page
    assert "4 answers" in page  # erin's answer is counted, never quoted


def test_staff_without_the_identity_right_see_every_quote_unattributed(client, ann, consultation, quoted):
    client.force_login(ann)
    page = client.get(f"/analysis/{consultation.slug}/insights/").content.decode()
    assert "Words of Bob." in page
    assert "Bob Okafor" not in page and "Northbridge" not in page and "Sentinel" not in page
    assert "A technology provider (law enforcement among other clients)" in page


def test_hidden_and_pending_answers_are_not_quoted_and_redacted_text_is_used(
    olga_client, consultation, questions, alice, bob, dave
):
    answer(alice, questions[0], "Pending words.")
    answer(bob, questions[0], "Hidden words.", status=Answer.Status.HIDDEN, moderator_note="Spam, hide it")
    answer(
        dave,
        questions[0],
        "Call me on 0612345678.",
        status=APPROVED,
        redacted_text="Call me on [phone removed].",
    )
    for person in (alice, bob, dave):
        submit(person)
    page = olga_client.get(f"/analysis/{consultation.slug}/insights/").content.decode()
    assert "Pending words." not in page and "Hidden words." not in page and "Spam, hide it" not in page
    assert "Call me on [phone removed]." in page and "0612345678" not in page


def test_unsubmitted_answers_are_neither_counted_nor_quoted(olga_client, consultation, questions, alice):
    answer(alice, questions[0], "Still drafting.", status=APPROVED)
    page = olga_client.get(f"/analysis/{consultation.slug}/insights/").content.decode()
    assert "Still drafting." not in page and "0 answers" in page


def test_quotes_are_capped_per_question_newest_first(consultation, questions):
    add_participants(consultation, 7, questions[0])
    report = reports.insights_report(consultation, identities=True)
    texts = [quote.text for quote in report.questions[0].quotes]
    assert len(texts) == reports.QUOTES_PER_GROUP
    assert texts[0] == "Answer 6"
    assert report.questions[0].answer_count == 7


def test_the_report_counts_choices_and_themes_and_shows_the_summary(olga_client, consultation, alice, bob):
    codebook = Codebook.objects.create(name="Principles")
    lawful = codebook.themes.create(code="1.1", name="Lawfulness")
    codebook.themes.create(code="1.2", name="Minimisation")
    consultation.codebook = codebook
    consultation.insights_summary = "Providers broadly support the toolkit."
    consultation.save()
    scale = Question.objects.create(consultation=consultation, number=1, text="How useful?", kind="scale")
    first = answer(alice, scale, "", selected=["4"])
    answer(bob, scale, "", selected=["4"])
    first.themes.add(lawful)
    submit(alice)
    submit(bob)
    report = reports.insights_report(consultation, identities=False)
    assert report.questions[0].distribution == [("1 – 1", 0), ("2", 0), ("3", 0), ("4", 2), ("5 – 5", 0)]
    assert [(t.code, t.answer_count, t.comment_count) for t in report.themes] == [
        ("1.1", 1, 0),
        ("1.2", 0, 0),
    ]
    page = olga_client.get(f"/analysis/{consultation.slug}/insights/").content.decode()
    assert "Providers broadly support the toolkit." in page and "1.1 Lawfulness" in page


def test_comments_are_quoted_by_resource_with_the_same_rules(olga_client, consultation, resource, bob, erin):
    for person, text in ((bob, "Section 2 is vague."), (erin, "Secret remark.")):
        Response.objects.create(participant=person)
        Comment.objects.create(response=person.response, resource=resource, text=text, status=APPROVED)
        submit(person)
    page = olga_client.get(f"/analysis/{consultation.slug}/insights/").content.decode()
    assert "Section 2 is vague." in page and "Secret remark." not in page
    assert "2 comments" in page


def test_insights_csv_parses_and_neutralises_formula_payloads(olga_client, consultation, questions, bob):
    answer(bob, questions[0], '=HYPERLINK("http://evil.example","x")', status=APPROVED)
    submit(bob)
    response = olga_client.get(f"/analysis/{consultation.slug}/insights.csv")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    rows = csv_rows(response)
    assert rows[0] == reports.INSIGHTS_COLUMNS
    quote = next(row for row in rows if row[0] == "quote")
    assert quote[5] == '\'=HYPERLINK("http://evil.example","x")'
    assert quote[6] == "Bob Okafor, Northbridge Cloud"
    assert ["question", "1", "What are your thoughts?", "answers", "1", "", ""] in rows
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, details__report="insights").exists()


@pytest.mark.parametrize(
    "url", ["/analysis/tech-providers/insights/", "/analysis/tech-providers/insights.csv"]
)
def test_reports_are_for_staff_who_may_read_answers(client, consultation, alice, url):
    assert client.get(url).status_code == 302  # to the sign-in page
    client.post(f"/i/{alice.token}/")
    assert client.get(url).status_code == 302  # a participant's session is no staff sign-in
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("eve", is_staff=True))
    assert client.get(url).status_code == 404


def test_an_unknown_consultation_is_not_found(olga_client, consultation):
    assert olga_client.get("/analysis/nope/insights/").status_code == 404


# The comment-resolution report


@pytest.fixture
def resolved(consultation, resource, alice, bob, dave) -> list[Comment]:
    section = resource.sections.get()
    rows = []
    for person, text, extra in (
        (
            alice,
            "Please define 'AI system'.",
            {"disposition": "accepted", "organiser_reply": "Defined in 1.2."},
        ),
        (bob, "-1+1 is a formula", {"disposition": "not_accepted", "organiser_reply": "Out of scope."}),
        (dave, "Rude words.", {"status": Comment.Status.HIDDEN}),
    ):
        Response.objects.get_or_create(participant=person)
        rows.append(
            Comment.objects.create(
                response=person.response, resource=resource, section=section, text=text, **extra
            )
        )
        submit(person)
    return rows


def test_resolution_report_lists_dispositions_and_replies(
    olga_client, consultation, resource, alice, resolved
):
    url = f"/analysis/{consultation.slug}/resources/{resource.pk}/resolution/"
    page = olga_client.get(url).content.decode()
    assert "Please define &#x27;AI system&#x27;." in page and "Accepted" in page and "Defined in 1.2." in page
    assert "Not accepted" in page and "Out of scope." in page
    assert "Rude words." not in page and "[hidden by moderator]" in page and "Hidden" in page
    assert alice.pseudonym in page and "Alice Martin" not in page
    assert "1. Core principles" in page


def test_resolution_csv_parses_and_neutralises_formulas(olga_client, consultation, resource, bob, resolved):
    response = olga_client.get(f"/analysis/{consultation.slug}/resources/{resource.pk}/resolution.csv")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    rows = csv_rows(response)
    assert rows[0] == reports.RESOLUTION_COLUMNS
    assert len(rows) == 4
    assert [
        bob.pseudonym,
        "1. Core principles",
        "Pending",
        "Not accepted",
        "Out of scope.",
        "'-1+1 is a formula",
        "1",
        "",
        "ge",
        "",
        "",
    ] in rows
    assert any(row[2] == "Hidden" and row[5] == "[hidden by moderator]" for row in rows)


def test_resolution_report_of_a_resource_outside_the_consultation_is_not_found(
    olga_client, consultation, other_consultation, resource
):
    assert olga_client.get(f"/analysis/academia/resources/{resource.pk}/resolution/").status_code == 404


# Comparison across the series


def consultation_in(group: str, slug: str) -> Consultation:
    now = timezone.now()
    return Consultation.objects.create(
        title=slug, slug=slug, stakeholder_group=group, opens_at=now - timedelta(days=1), closes_at=now
    )


@pytest.fixture
def series(db) -> dict[str, Consultation]:
    """The same question asked of industry (5 answered) and academia (4 answered); both tagged with theme 2.1."""
    codebook = Codebook.objects.create(name="Series")
    theme = codebook.themes.create(code="2.1", name="Transparency")
    made = {}
    for group, count in (("Industry", 5), ("Academia", 4)):
        consultation = consultation_in(group, group.lower())
        consultation.codebook = codebook
        consultation.save()
        question = Question.objects.create(consultation=consultation, number=3, text="Is the toolkit clear?")
        add_participants(consultation, count, question)
        for item in Answer.objects.filter(question=question):
            item.themes.add(theme)
        made[group] = consultation
    return made


def test_comparison_suppresses_groups_under_five_and_shows_groups_of_five(olga_client, series):
    page = olga_client.get("/analysis/compare/", {"question": "Is the toolkit clear?"}).content.decode()
    assert "fewer than 5 — suppressed" in page
    industry = page.split("Industry")[1].split("</tr>")[0]
    academia = page.split("Academia</th>")[1].split("</tr>")[0]
    assert ">5<" in industry and "2.1 Transparency: 5" in industry
    assert "suppressed" in academia and "4" not in academia and "Transparency" not in academia


def test_comparison_by_question_id_follows_its_text(olga_client, series):
    question = Question.objects.get(consultation=series["Industry"])
    rows = olga_client.get("/analysis/compare/", {"question": str(question.pk)}).context["question_rows"]
    assert [(row.stakeholder_group, row.is_suppressed, row.participants) for row in rows] == [
        ("Academia", True, 0),
        ("Industry", False, 5),
    ]


def test_comparison_by_theme_suppresses_small_groups(olga_client, series):
    rows = olga_client.get("/analysis/compare/", {"theme": "2.1"}).context["theme_rows"]
    figures = {row.stakeholder_group: (row.is_suppressed, row.participants, row.answers) for row in rows}
    assert figures == {"Academia": (True, 0, 0), "Industry": (False, 5, 5)}


def test_comparison_counts_participants_not_answers_towards_the_threshold(series):
    # A sixth academic whose answer is hidden does not lift the group over the threshold.
    academia = series["Academia"]
    question = Question.objects.get(consultation=academia)
    add_participants(academia, 1, question)
    Answer.objects.filter(question=question, text="Answer 4").update(status=Answer.Status.HIDDEN)
    rows = {row.stakeholder_group: row for row in reports.compare_question("Is the toolkit clear?")}
    assert rows["Academia"].is_suppressed


def test_comparison_is_for_staff_who_may_read_answers(client, series):
    assert client.get("/analysis/compare/").status_code == 302
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("eve", is_staff=True))
    assert client.get("/analysis/compare/").status_code == 404


# Publishing to the participants


def test_organisers_publish_and_withdraw_with_an_audit_trail(olga_client, consultation):
    response = olga_client.post(f"/analysis/{consultation.slug}/insights/publish/")
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.insights_published_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, object_type="consultation")
    assert event.before == {"insights_published_at": None}
    assert event.after["insights_published_at"] is not None and event.actor_name == "olga"
    olga_client.post(f"/analysis/{consultation.slug}/insights/withdraw/")
    consultation.refresh_from_db()
    assert consultation.insights_published_at is None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).count() == 2


@pytest.mark.parametrize("persona", ["mona", "ann"])
def test_only_organisers_can_publish(client, consultation, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/analysis/{consultation.slug}/insights/").status_code == 200
    assert client.post(f"/analysis/{consultation.slug}/insights/publish/").status_code == 404
    consultation.refresh_from_db()
    assert consultation.insights_published_at is None
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_publishing_needs_a_post(olga_client, consultation):
    assert olga_client.get(f"/analysis/{consultation.slug}/insights/publish/").status_code == 405


def test_participants_see_the_report_only_once_published(alice_client, consultation, quoted):
    url = f"/c/{consultation.slug}/insights/"
    assert alice_client.get(url).status_code == 404
    assert "Read the insights report" not in alice_client.get(f"/c/{consultation.slug}/").content.decode()
    Answer.objects.filter(pk=quoted["Bob Okafor"].pk).update(moderator_note="Check with Bob")
    consultation.insights_published_at = timezone.now()
    consultation.save()
    assert "Read the insights report" in alice_client.get(f"/c/{consultation.slug}/").content.decode()
    page = alice_client.get(url).content.decode()
    assert "Bob Okafor, Northbridge Cloud" in page and "Sentinel Analytics" in page
    assert "Alice Martin" not in page and "Dave Quist" not in page and "Quiet Vision" not in page
    assert "Words of Erin." not in page and "Erin Silent" not in page
    assert "Check with Bob" not in page
    assert "Withdraw" not in page and "Download as CSV" not in page


def test_participants_see_only_their_own_consultations_report(alice_client, consultation, other_consultation):
    other_consultation.insights_published_at = timezone.now()
    other_consultation.save()
    assert alice_client.get("/c/academia/insights/").status_code == 404


# Query-count guards: the same number of queries for 2 and for 20 participants.


def test_report_pages_take_constant_queries(olga_client, alice, consultation, questions, resource):
    consultation.insights_published_at = timezone.now()
    consultation.save()
    participant_client = Client()
    participant_client.post(f"/i/{alice.token}/")
    urls = [
        (olga_client, f"/analysis/{consultation.slug}/insights/"),
        (olga_client, f"/analysis/{consultation.slug}/insights.csv"),
        (olga_client, f"/analysis/{consultation.slug}/resources/{resource.pk}/resolution/"),
        (olga_client, f"/analysis/{consultation.slug}/resources/{resource.pk}/resolution.csv"),
        (olga_client, "/analysis/compare/?question=What+are+your+thoughts%3F&theme=1.1"),
        (participant_client, f"/c/{consultation.slug}/insights/"),
    ]
    add_participants(consultation, 2, questions[0], resource)
    # Once first: a participant page reads the process's snapshot of the consultation on its first request only.
    for client, url in urls:
        client.get(url)
    few = [query_count(client, url) for client, url in urls]
    add_participants(consultation, 18, questions[0], resource)
    many = [query_count(client, url) for client, url in urls]
    assert few == many
    assert max(few) <= 20


def test_comparison_follows_the_english_text_for_an_analyst_reading_in_french(olga_client, series):
    Question.objects.filter(consultation=series["Industry"]).update(
        text_fr="La boîte à outils est-elle claire ?"
    )
    question = Question.objects.get(consultation=series["Industry"])
    olga_client.post("/language", {"language": "fr", "next": "/"})

    rows = olga_client.get("/analysis/compare/", {"question": str(question.pk)}).context["question_rows"]

    assert [(row.stakeholder_group, row.participants) for row in rows] == [("Academia", 0), ("Industry", 5)]
