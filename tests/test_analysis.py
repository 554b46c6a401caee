"""The analysis pages: dashboard numbers, who may see them, query counts, and the search."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from feedback.analysis import dashboard
from feedback.models import (
    Answer,
    Codebook,
    Comment,
    Consultation,
    Participant,
    Question,
    Resource,
    Response,
)
from tests.conftest import answer, make_participant, submit

DASHBOARD = "/analysis/tech-providers/"
SEARCH = "/analysis/tech-providers/search/"


@pytest.fixture
def kinds(consultation: Consultation, resource: Resource) -> dict[str, Question]:
    fields = {
        "text": {"kind": "long_text", "text": "What are your thoughts?", "resource": resource},
        "scale": {"kind": "scale", "text": "How useful?", "scale_min_label": "No", "scale_max_label": "Very"},
        "single": {"kind": "single_choice", "text": "Which matters most?", "choices": "Principles\nRoadmap"},
        "multiple": {"kind": "multiple_choice", "text": "What did you read?", "choices": "A\nB\nC"},
        "yes_no": {"kind": "yes_no", "text": "Would you use it?"},
    }
    return {
        key: Question.objects.create(consultation=consultation, number=number, **values)
        for number, (key, values) in enumerate(fields.items(), start=1)
    }


@pytest.fixture
def codebook(consultation: Consultation) -> Codebook:
    codebook = Codebook.objects.create(name="Test principles")
    codebook.themes.create(code="1", name="Lawfulness")
    codebook.themes.create(code="2", name="Fairness")
    codebook.themes.create(code="3", name="Unused")
    consultation.codebook = codebook
    consultation.save()
    return codebook


def choose(participant: Participant, question: Question, *selected: str, **extra: object) -> Answer:
    response, _created = Response.objects.get_or_create(participant=participant)
    return Answer.objects.create(response=response, question=question, selected=list(selected), **extra)


def comment(participant: Participant, resource: Resource, text: str, **extra: object) -> Comment:
    response, _created = Response.objects.get_or_create(participant=participant)
    return Comment.objects.create(response=response, resource=resource, text=text, **extra)


@pytest.fixture
def answered(consultation, kinds, codebook, resource, alice, bob) -> dict[str, object]:
    """alice and bob submitted, carl has a draft, dora opened only, erik was invited, fay was never invited."""
    themes = {theme.code: theme for theme in codebook.themes.all()}
    carl = make_participant(consultation, "Carl Draft", "carl@example.org")
    dora = make_participant(consultation, "Dora Opened", "dora@example.org", first_opened_at=timezone.now())
    make_participant(consultation, "Erik Invited", "erik@example.org")
    Participant.objects.create(consultation=consultation, name="Fay Notsent", email="fay@example.org")

    a_text = answer(alice, kinds["text"], "Proportionality must be assessed before deployment.")
    a_text.themes.add(themes["1"], themes["2"])
    b_text = answer(
        bob, kinds["text"], "Fairness audits cost a lot", status="approved", moderated_at=timezone.now()
    )
    b_text.themes.add(themes["2"])
    choose(alice, kinds["scale"], "2")
    choose(bob, kinds["scale"], "5").themes.add(themes["1"])
    choose(alice, kinds["single"], "Roadmap")
    choose(bob, kinds["single"], "Roadmap")
    choose(alice, kinds["multiple"], "A", "C")
    choose(bob, kinds["multiple"], "C")
    choose(alice, kinds["yes_no"], "yes")
    choose(bob, kinds["yes_no"], "unsure")
    comment(alice, resource, "The section on proportionality is thin.").themes.add(themes["1"])
    comment(bob, resource, "Hidden insult", status="hidden")
    submit(alice)
    submit(bob)

    # Not counted: a draft's answers, a hidden answer and an empty one.
    carl_response = Response.objects.create(participant=carl, last_edited_at=timezone.now())
    Answer.objects.create(response=carl_response, question=kinds["scale"], selected=["1"])
    Response.objects.create(participant=dora)
    return {"carl": carl, "dora": dora, "themes": themes}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# The numbers


def test_response_rate_counts_each_stage(answered, consultation):
    rate = dashboard.response_rate(consultation)
    # alice, bob, carl, dora, erik were invited (fay was not); dora opened; carl has a draft; two submitted.
    assert (rate["participants"], rate["invited"], rate["opened"], rate["draft"], rate["submitted"]) == (
        6,
        5,
        4,
        1,
        2,
    )
    assert rate["submitted_share"] == pytest.approx(0.4)


def test_response_rate_agrees_with_each_participants_invitation_state(answered, consultation):
    participants = consultation.participants.select_related("response")
    states = [p.invitation_state() for p in participants]
    rate = dashboard.response_rate(consultation)
    assert rate["submitted"] == states.count(Participant.InvitationState.SUBMITTED)
    assert rate["draft"] == states.count(Participant.InvitationState.DRAFT)
    assert rate["invited"] == len(states) - states.count(Participant.InvitationState.NOT_SENT)


def test_question_summaries_count_distribute_and_spread(answered, consultation, kinds):
    summaries = {s.question.pk: s for s in dashboard.question_summaries(consultation)}
    text = summaries[kinds["text"].pk]
    assert text.count == 2
    assert text.median_length == (len("Proportionality must be assessed before deployment.") + 26) / 2
    assert text.chart is None

    scale = summaries[kinds["scale"].pk]
    assert scale.count == 2  # carl's draft answer is not counted
    assert scale.chart.rows == [("1 – No", [0]), ("2", [1]), ("3", [0]), ("4", [0]), ("5 – Very", [1])]
    assert scale.mean == pytest.approx(3.5)
    assert scale.sd == pytest.approx(2.1213, abs=1e-4)  # sample standard deviation of 2 and 5

    assert summaries[kinds["single"].pk].chart.rows == [("Principles", [0]), ("Roadmap", [2])]
    multiple = summaries[kinds["multiple"].pk]
    assert multiple.count == 2
    assert multiple.chart.rows == [("A", [1]), ("B", [0]), ("C", [2])]
    yes_no = summaries[kinds["yes_no"].pk]
    assert [(str(label), values) for label, values in yes_no.chart.rows] == [
        ("Yes", [1]),
        ("No", [0]),
        ("Unsure", [1]),
    ]


def test_hidden_and_empty_answers_are_not_counted(answered, consultation, kinds, alice):
    Answer.objects.filter(question=kinds["scale"], response__participant=alice).update(status="hidden")
    Answer.objects.filter(question=kinds["text"], response__participant=alice).update(text="   ")
    summaries = {s.question.pk: s for s in dashboard.question_summaries(consultation)}
    assert summaries[kinds["scale"].pk].count == 1
    assert summaries[kinds["scale"].pk].mean == 5
    assert summaries[kinds["scale"].pk].sd is None
    assert summaries[kinds["text"].pk].count == 1


def test_theme_matrix_counts_tags_per_question_with_totals(answered, consultation, kinds):
    questions = list(kinds.values())
    matrix = dashboard.theme_matrix(consultation, questions)
    # Rows only for used themes: "3 Unused" is left out.
    assert matrix.rows == [
        ("1", "Lawfulness", [1, 1, 0, 0, 0], 2),
        ("2", "Fairness", [2, 0, 0, 0, 0], 2),
    ]
    assert matrix.column_totals == [3, 1, 0, 0, 0]
    assert matrix.total == 4


def test_comments_are_counted_per_resource_and_theme_without_hidden_ones(answered, consultation, resource):
    # General, technical, editorial.
    assert dashboard.comments_per_resource(consultation).rows == [(str(resource), [1, 0, 0])]
    assert dashboard.comments_per_theme(consultation).rows == [("1 Lawfulness", [1])]


def test_latest_moderated_answers_are_the_approved_ones_redacted(answered, consultation, bob, kinds):
    Answer.objects.filter(response__participant=bob, question=kinds["text"]).update(
        redacted_text="Fairness audits cost [redacted]"
    )
    latest = dashboard.latest_moderated(consultation)
    assert [a.shown_value() for a in latest] == ["Fairness audits cost [redacted]"]


# The pages and who may see them


@pytest.mark.parametrize("persona", ["olga", "mona", "ann"])
def test_staff_roles_see_the_dashboard_with_charts_and_tables(persona, answered, request):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(DASHBOARD)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-chart="chart-q2"' in content
    assert '<script id="chart-q2" type="application/json">' in content
    assert '<caption id="chart-q2-caption">How useful?</caption>' in content
    assert "Fairness audits cost a lot" in content  # the latest approved answer
    assert "vendor/chartjs/chart.umd.min.js" in content
    # No inline script or style: the page must run under a strict CSP.
    assert "<script>" not in content and "style=" not in content


def test_chart_data_in_the_page_matches_the_table(answered, ann):
    content = client_for(ann).get(DASHBOARD).content.decode()
    script = content.split('<script id="chart-q2" type="application/json">')[1].split("</script>")[0]
    assert json.loads(script)["series"][0]["data"] == [0, 1, 0, 0, 1]
    table = content.split('<caption id="chart-q2-caption">')[1].split("</table>")[0]
    assert [cell.split("<")[0] for cell in table.split('<td class="text-end">')[1:]] == [
        "0",
        "1",
        "0",
        "0",
        "1",
    ]


def test_names_are_shown_only_to_those_who_may_view_participants(answered, olga, mona, ann):
    assert "Bob Okafor" in client_for(olga).get(DASHBOARD).content.decode()
    for user in (mona, ann):
        for url in (DASHBOARD, SEARCH + "?q=fairness", "/analysis/"):
            content = client_for(user).get(url).content.decode()
            assert "Bob Okafor" not in content and "Alice Martin" not in content, (user, url)
    assert (
        Participant.objects.get(name="Bob Okafor").pseudonym
        in client_for(mona).get(DASHBOARD).content.decode()
    )


def test_participants_and_other_users_get_404(answered, alice_client):
    assert alice_client.get(DASHBOARD).status_code == 302  # no user account: sent to sign in
    plain = User.objects.create_user("plain", is_staff=False)
    staff_without_role = User.objects.create_user("staffer", is_staff=True)
    for user in (plain, staff_without_role):
        for url in ("/analysis/", DASHBOARD, SEARCH):
            assert client_for(user).get(url).status_code == 404, (user, url)


def test_anonymous_visitors_are_sent_to_sign_in(client, consultation):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/analysis/tech-providers/")


def test_an_unknown_consultation_is_404(olga_client, consultation):
    assert olga_client.get("/analysis/no-such-thing/").status_code == 404


def test_index_lists_consultations_with_their_response_rate(answered, olga_client, other_consultation):
    response = olga_client.get("/analysis/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Technology providers&#x27; consultation" in content and "Academia consultation" in content
    rates = {c.slug: (c.invited_count, c.submitted_count) for c in response.context["consultations"]}
    assert rates == {"tech-providers": (5, 2), "academia": (0, 0)}
    assert "40&nbsp;%" in content


def test_the_admin_links_to_the_dashboard(olga_client, consultation):
    response = olga_client.get(f"/admin/feedback/consultation/{consultation.pk}/change/")
    assert f'href="{DASHBOARD}"' in response.content.decode()


# Query counts stay constant whatever the number of participants


def add_submitted_participants(consultation, kinds, start: int, stop: int) -> None:
    for index in range(start, stop):
        participant = make_participant(consultation, f"P{index}", f"p{index}@example.org")
        answer(participant, kinds["text"], f"Words number {index}")
        choose(participant, kinds["scale"], str(index % 5 + 1))
        choose(participant, kinds["multiple"], "A", "B")
        submit(participant)


def count_queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/analysis/", DASHBOARD, SEARCH + "?q=words", SEARCH + "?q="])
def test_pages_run_the_same_number_of_queries_for_2_and_30_participants(
    url, consultation, kinds, codebook, ann, django_assert_max_num_queries
):
    client = client_for(ann)
    add_submitted_participants(consultation, kinds, 0, 2)
    few = count_queries(client, url)
    add_submitted_participants(consultation, kinds, 2, 30)
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200
    # The dashboard's acceptance figures take four queries of their own (tests/test_acceptance.py), the meeting's
    # record one more.
    assert few <= 20


# Search


def search(client: Client, **params: str) -> list:
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    return [item.shown_value() for item in response.context["items"] or []]


def test_search_finds_answers_and_comments_by_every_word(answered, ann):
    client = client_for(ann)
    assert sorted(search(client, q="proportionality")) == [
        "Proportionality must be assessed before deployment.",
        "The section on proportionality is thin.",
    ]
    assert search(client, q="proportionality thin") == ["The section on proportionality is thin."]
    assert search(client, q="nothing-like-this") == []


def test_search_shows_hidden_items_only_to_moderators_with_a_badge(answered, ann, mona):
    assert search(client_for(ann), q="insult") == []
    response = client_for(mona).get(SEARCH, {"q": "insult"})
    assert [c.shown_value() for c in response.context["items"]] == ["Hidden insult"]
    assert ">hidden</span>" in response.content.decode()


def test_search_never_finds_redacted_words(answered, ann, bob, kinds):
    Answer.objects.filter(response__participant=bob, question=kinds["text"]).update(
        redacted_text="Audits cost [redacted]"
    )
    assert search(client_for(ann), q="fairness") == []
    assert search(client_for(ann), q="audits") == ["Audits cost [redacted]"]


def test_search_filters_narrow_the_results(answered, ann, kinds, resource):
    client = client_for(ann)
    themes = answered["themes"]
    assert search(client, q="proportionality", question=str(kinds["text"].pk)) == [
        "Proportionality must be assessed before deployment."
    ]
    assert search(client, q="proportionality", status="approved") == []
    assert search(client, q="fairness", status="approved") == ["Fairness audits cost a lot"]
    assert search(client, q="proportionality", country="NG") == []
    assert search(
        client, q="proportionality", organisation_type="provider_le_only", theme=str(themes["1"].pk)
    )
    assert search(client, q="audits", theme=str(themes["1"].pk)) == []
    assert len(search(client, q="proportionality", resource=str(resource.pk))) == 2


def test_search_results_show_place_status_themes_and_pseudonym(answered, ann, alice):
    content = client_for(ann).get(SEARCH, {"q": "thin"}).content.decode()
    assert "Comment on Principles for Responsible AI Innovation" in content
    assert alice.pseudonym in content and "Alice Martin" not in content
    assert "1 Lawfulness" in content and "Pending" in content


def test_search_pages_by_25(consultation, kinds, ann):
    add_submitted_participants(consultation, kinds, 0, 30)
    client = client_for(ann)
    first = client.get(SEARCH, {"q": "words"})
    assert first.context["page"].paginator.count == 30
    assert len(first.context["items"]) == 25
    second = client.get(SEARCH, {"q": "words", "page": "2"})
    assert len(second.context["items"]) == 5
    assert "q=words&amp;page=1" in second.content.decode()


def test_search_refuses_an_unknown_filter_value(answered, ann):
    response = client_for(ann).get(SEARCH, {"q": "x", "status": "deleted"})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "Select a valid choice" in response.content.decode()
