"""Who may do what in the organisers' workspace: the Organiser, Moderator and Analyst roles on each admin page."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.test import Client

from feedback.models import Answer, Comment
from tests.conftest import answer, submit

ALL_PAGES = [
    "consultation",
    "resource",
    "question",
    "participant",
    "response",
    "answer",
    "comment",
    "codebook",
    "theme",
    "auditevent",
]
# What moderators and analysts may open: the set-up, the code book and the queues; never who took part.
WORK_PAGES = {"consultation", "resource", "question", "answer", "comment", "codebook", "theme"}
ALLOWED = {
    "olga": set(ALL_PAGES),
    "mona": WORK_PAGES,
    "ann": WORK_PAGES,
    "sam": set(),
}


@pytest.fixture
def sam(db) -> User:
    """Staff in no group: may sign in to the admin and open nothing of the feedback."""
    return User.objects.create_user("sam", "sam@example.org", "sam-password", is_staff=True)


@pytest.fixture
def answers(alice, bob, questions) -> list[Answer]:
    """Alice and bob have both submitted one answer."""
    created = [
        answer(alice, questions[0], "Transparency about training data matters."),
        answer(bob, questions[0], "Vendors need clearer procurement rules."),
    ]
    submit(alice)
    submit(bob)
    return created


@pytest.fixture
def comments(alice, resource) -> list[Comment]:
    return [Comment.objects.create(response=alice.response, resource=resource, text="Define 'lawful'.")]


def signed_in(request: pytest.FixtureRequest, persona: str) -> Client:
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    return client


def post_action(client: Client, url: str, action: str, objects: list):
    return client.post(url, {"action": action, "index": 0, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects]})


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode()


# Each page for each persona


@pytest.mark.parametrize("page", ALL_PAGES)
@pytest.mark.parametrize("persona", sorted(ALLOWED))
def test_each_role_opens_exactly_its_admin_pages(request, answers, comments, persona, page):
    client = signed_in(request, persona)

    response = client.get(f"/admin/feedback/{page}/")

    assert response.status_code == (200 if page in ALLOWED[persona] else 403)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_from_every_admin_page(client, db, page):
    url = f"/admin/feedback/{page}/"

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


@pytest.mark.parametrize("persona", ["mona", "ann", "sam"])
def test_only_organisers_see_the_site_administration_of_users_and_groups(request, persona):
    client = signed_in(request, persona)

    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403


# Moderation


def test_the_moderator_approves_answers(request, answers, mona):
    client = signed_in(request, "mona")

    response = post_action(client, "/admin/feedback/answer/", "approve", answers)

    assert response.status_code == 302
    assert set(Answer.objects.values_list("status", flat=True)) == {Answer.Status.APPROVED}
    assert set(Answer.objects.values_list("moderated_by", flat=True)) == {mona.pk}


@pytest.mark.parametrize("action", ["approve", "hide", "flag", "add_themes", "remove_themes"])
def test_the_analyst_is_not_offered_moderation_and_cannot_post_it(request, answers, comments, action):
    client = signed_in(request, "ann")

    for url, items, model in [
        ("/admin/feedback/answer/", answers, Answer),
        ("/admin/feedback/comment/", comments, Comment),
    ]:
        page = client.get(url).content.decode()
        assert f'value="{action}"' not in page
        response = post_action(client, url, action, items)
        assert response.status_code == 302
        assert "No action selected." in client.get(response["Location"]).content.decode()
        assert set(model.objects.values_list("status", flat=True)) == {model.Status.PENDING}


def test_the_analyst_cannot_save_an_answer_page(request, answers):
    client = signed_in(request, "ann")
    url = f"/admin/feedback/answer/{answers[0].pk}/change/"

    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "hidden", "moderator_note": "x"}).status_code == 403
    answers[0].refresh_from_db()
    assert answers[0].status == Answer.Status.PENDING
    assert answers[0].moderator_note == ""


# Exports


@pytest.mark.parametrize("url", ["/admin/feedback/answer/", "/admin/feedback/consultation/"])
def test_identified_exports_are_offered_to_organisers_only(request, answers, url):
    for persona, offered in [("olga", True), ("mona", False), ("ann", False)]:
        page = signed_in(request, persona).get(url).content.decode()
        action = "export_csv" if "answer" in url else "export_answers_csv"
        assert (f'value="{action}"' in page) is offered, persona


def test_the_organiser_exports_identified_answers(request, answers):
    client = signed_in(request, "olga")

    response = post_action(client, "/admin/feedback/answer/", "export_csv", answers)

    assert response.status_code == 200
    assert "Alice Martin" in csv_text(response)


@pytest.mark.parametrize("persona", ["mona", "ann"])
def test_moderators_and_analysts_cannot_post_an_identified_export(request, answers, consultation, persona):
    client = signed_in(request, persona)

    for url, action, items in [
        ("/admin/feedback/answer/", "export_csv", answers),
        ("/admin/feedback/consultation/", "export_answers_csv", [consultation]),
    ]:
        response = post_action(client, url, action, items)
        # Refused: back to the list (or the list itself, when the page offers no action at all), no file.
        assert response.status_code in (200, 302)
        assert not response.streaming
        assert "Content-Disposition" not in response


def test_the_moderator_cannot_export_pseudonymised_data_either(request, answers):
    client = signed_in(request, "mona")

    page = client.get("/admin/feedback/answer/").content.decode()
    response = post_action(client, "/admin/feedback/answer/", "export_pseudonymised_csv", answers)

    assert 'value="export_pseudonymised_csv"' not in page
    assert "Content-Disposition" not in response


@pytest.mark.parametrize(
    ("url", "action", "items"),
    [
        ("/admin/feedback/answer/", "export_pseudonymised_csv", "answers"),
        ("/admin/feedback/comment/", "export_pseudonymised_csv", "comments"),
        ("/admin/feedback/consultation/", "export_pseudonymised_csv", "consultation"),
    ],
)
def test_the_analyst_exports_pseudonymised_data_without_names(request, answers, comments, url, action, items):
    client = signed_in(request, "ann")
    chosen = request.getfixturevalue(items)
    chosen = chosen if isinstance(chosen, list) else [chosen]

    assert f'value="{action}"' in client.get(url).content.decode()
    response = post_action(client, url, action, chosen)

    assert response.status_code == 200
    text = csv_text(response)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    alice, bob = answers[0].response.participant, answers[1].response.participant
    for secret in [alice.name, bob.name, alice.email, bob.email, alice.organisation, bob.organisation]:
        assert secret not in text
    assert {row["participant"] for row in rows} <= {alice.pseudonym, bob.pseudonym}


# Identities


@pytest.mark.parametrize("persona", ["mona", "ann"])
@pytest.mark.parametrize("url", ["/admin/feedback/answer/", "/admin/feedback/comment/"])
def test_moderators_and_analysts_see_pseudonyms_not_names_in_the_queues(
    request, answers, comments, persona, url
):
    client = signed_in(request, persona)
    alice = answers[0].response.participant

    content = client.get(url).content.decode()

    assert alice.pseudonym in content
    assert alice.name not in content
    assert alice.organisation not in content


def test_the_organiser_sees_names_in_the_queue(request, answers):
    content = signed_in(request, "olga").get("/admin/feedback/answer/").content.decode()

    assert "Alice Martin" in content


@pytest.mark.parametrize("persona", ["mona", "ann"])
def test_moderators_and_analysts_cannot_find_answers_by_participant_name(request, answers, persona):
    client = signed_in(request, persona)

    content = client.get("/admin/feedback/answer/?q=Alice").content.decode()

    assert "Transparency about training data matters." not in content
    assert (
        "Transparency about training data matters."
        in client.get("/admin/feedback/answer/?q=training").content.decode()
    )


@pytest.mark.parametrize("persona", ["mona", "ann"])
def test_answer_and_comment_pages_show_the_pseudonym_to_moderators_and_analysts(
    request, answers, comments, persona
):
    client = signed_in(request, persona)
    alice = answers[0].response.participant

    for url in [
        f"/admin/feedback/answer/{answers[0].pk}/change/",
        f"/admin/feedback/comment/{comments[0].pk}/change/",
    ]:
        response = client.get(url)
        content = response.content.decode()
        assert response.status_code == 200
        assert alice.pseudonym in content
        assert alice.name not in content
        assert alice.organisation not in content


def test_the_moderator_saves_a_note_on_an_answer_page(request, answers, mona):
    client = signed_in(request, "mona")
    url = f"/admin/feedback/answer/{answers[0].pk}/change/"

    response = client.post(url, {"status": "flagged", "moderator_note": "Check with legal."})

    assert response.status_code == 302
    answers[0].refresh_from_db()
    assert answers[0].status == Answer.Status.FLAGGED
    assert answers[0].moderator_note == "Check with legal."


# The workspace's own pages


def test_the_analyst_cannot_open_the_redaction_page(request, answers, comments):
    client = signed_in(request, "ann")

    for url in [
        f"/admin/feedback/answer/{answers[0].pk}/redact/",
        f"/admin/feedback/comment/{comments[0].pk}/redact/",
    ]:
        assert client.get(url).status_code == 403
        assert client.post(url, {"passage": "training", "reason": "x"}).status_code == 403
    answers[0].refresh_from_db()
    assert answers[0].redacted_text == ""


@pytest.mark.parametrize("persona", ["mona", "ann", "sam"])
def test_only_organisers_may_import_invitees(request, db, persona):
    client = signed_in(request, persona)

    assert client.get("/admin/feedback/participant/import/").status_code == 403
    assert client.post("/admin/feedback/participant/import/").status_code == 403


@pytest.mark.parametrize("persona", ["mona", "ann"])
def test_moderators_and_analysts_cannot_duplicate_a_consultation(request, consultation, persona):
    client = signed_in(request, persona)

    assert 'value="duplicate"' not in client.get("/admin/feedback/consultation/").content.decode()
    post_action(client, "/admin/feedback/consultation/", "duplicate", [consultation])

    assert type(consultation).objects.count() == 1


@pytest.mark.parametrize(("persona", "recorded"), [("olga", True), ("mona", False)])
def test_only_organisers_record_what_was_done_with_a_comment(request, answers, comments, persona, recorded):
    client = signed_in(request, persona)
    comment = comments[0]
    url = f"/admin/feedback/comment/{comment.pk}/change/"
    page = client.get(url).content.decode()
    assert ('name="disposition"' in page) is recorded

    client.post(
        url,
        {"status": "pending", "moderator_note": "", "disposition": "accepted", "organiser_reply": "Done."},
    )

    comment.refresh_from_db()
    assert (comment.disposition == "accepted") is recorded
