"""The organisers' workspace in the admin: who gets in, what each page shows, moderation, invitations, exports."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from feedback.models import Answer, Consultation, Participant, Question, Response
from tests.conftest import answer, make_participant, submit

CHANGELISTS = [
    "/admin/feedback/consultation/",
    "/admin/feedback/resource/",
    "/admin/feedback/question/",
    "/admin/feedback/participant/",
    "/admin/feedback/response/",
    "/admin/feedback/answer/",
]


@pytest.fixture
def sam(db) -> User:
    """Staff, but not in the Organiser group: may sign in to the admin and see nothing of the feedback."""
    return User.objects.create_user("sam", "sam@example.org", "sam-password", is_staff=True)


@pytest.fixture
def answers(alice, bob, questions, resource) -> dict[str, Answer]:
    """Alice has submitted two answers; bob has a draft with one."""
    created = {
        "alice_1": answer(alice, questions[0], "Transparency about training data matters."),
        "alice_2": answer(alice, questions[1], "Audit logs are missing."),
        "bob_1": answer(bob, questions[0], "Vendors need clearer procurement rules."),
    }
    submit(alice)
    return created


def post_action(client: Client, url: str, action: str, objects: list, **extra: object):
    data = {"action": action, "index": 0, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(url, data)


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# Who gets in


@pytest.mark.parametrize("url", CHANGELISTS)
def test_anonymous_visitors_are_sent_to_the_admin_sign_in(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


@pytest.mark.parametrize("url", CHANGELISTS)
def test_staff_outside_the_organiser_group_are_refused(client, sam, url):
    client.force_login(sam)

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", CHANGELISTS)
def test_every_changelist_loads_for_the_organiser(olga_client, answers, url):
    assert olga_client.get(url).status_code == 200


# What each page shows


def test_consultation_list_counts_participants_and_submissions(olga_client, answers, carol):
    content = olga_client.get("/admin/feedback/consultation/").content.decode()

    assert "Technology providers&#x27; consultation" in content
    assert "Academia consultation" in content
    # Two participants, one of whom submitted; the academia consultation has carol and no submission.
    assert '<td class="field-participant_count">2</td><td class="field-submitted_count">1</td>' in content
    assert '<td class="field-participant_count">1</td><td class="field-submitted_count">0</td>' in content


def test_consultation_page_shows_the_meeting_in_its_time_zone_with_resources_and_questions(
    olga_client, consultation, resource, questions
):
    response = olga_client.get(f"/admin/feedback/consultation/{consultation.pk}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "3 November 2022, 13:00 – 14:30 (Europe/Paris)" in content
    assert "Principles for Responsible AI Innovation (Draft)" in content
    assert "What are your thoughts?" in content
    assert "Confidentiality and contact" in content


def test_a_consultation_can_be_set_up_from_the_admin(olga_client, db):
    assert olga_client.get("/admin/feedback/consultation/add/").status_code == 200
    data = {
        # Content is entered per language (django-modeltranslation); English is required, the others optional.
        "title_en": "Judiciary consultation",
        "title_fr": "Consultation de la magistrature",
        "slug": "judiciary",
        "stakeholder_group_en": "Judiciary",
        "is_published": "on",
        "time_zone": "Europe/Paris",
        "opens_at_0": "2030-01-01",
        "opens_at_1": "09:00:00",
        "closes_at_0": "2030-02-01",
        "closes_at_1": "09:00:00",
        "confidentiality_en": "For official use only",
        "resource_links-TOTAL_FORMS": 0,
        "resource_links-INITIAL_FORMS": 0,
        "questions-TOTAL_FORMS": 1,
        "questions-INITIAL_FORMS": 0,
        "questions-0-number": 1,
        "questions-0-text_en": "What should judges know?",
        "questions-0-text_ar": "ما الذي ينبغي أن يعرفه القضاة؟",
        "questions-0-kind": "long_text",
        # The meeting's run of show.
        "agenda_items-TOTAL_FORMS": 1,
        "agenda_items-INITIAL_FORMS": 0,
        "agenda_items-0-position": 1,
        "agenda_items-0-title_en": "Presentation of the Toolkit",
        "agenda_items-0-planned_minutes": 20,
    }

    response = olga_client.post("/admin/feedback/consultation/add/", data)

    assert response.status_code == 302
    consultation = Consultation.objects.get(slug="judiciary")
    assert consultation.questions.get().text == "What should judges know?"
    assert consultation.agenda_items.get().title == "Presentation of the Toolkit"
    with translation.override("fr"):
        # French title given; the French question text was not, so the English one stands in.
        assert consultation.title == "Consultation de la magistrature"
        assert consultation.questions.get().text == "What should judges know?"
    with translation.override("ar"):
        assert consultation.questions.get().text == "ما الذي ينبغي أن يعرفه القضاة؟"
        assert consultation.title == "Judiciary consultation"


def test_resource_list_counts_sections_and_the_page_lists_them(olga_client, resource):
    resource.sections.create(position=2, heading="Instrumental principles", body="Minimisation, ...")

    listing = olga_client.get("/admin/feedback/resource/").content.decode()
    page = olga_client.get(f"/admin/feedback/resource/{resource.pk}/change/")

    assert "Principles for Responsible AI Innovation" in listing
    assert '<td class="field-section_count">2</td>' in listing
    assert page.status_code == 200
    assert "Instrumental principles" in page.content.decode()


def test_question_list_shows_number_text_and_consultation(olga_client, questions, resource):
    questions[1].resource = resource
    questions[1].save()

    listing = olga_client.get("/admin/feedback/question/").content.decode()
    page = olga_client.get(f"/admin/feedback/question/{questions[0].pk}/change/")

    assert "What are your thoughts?" in listing
    assert "Anything problematic?" in listing
    assert "Technology providers&#x27; consultation" in listing
    assert "Principles for Responsible AI Innovation (Draft)" in listing
    assert page.status_code == 200


def test_participant_list_and_page_show_the_profile(olga_client, alice, carol):
    listing = olga_client.get("/admin/feedback/participant/").content.decode()
    page = olga_client.get(f"/admin/feedback/participant/{alice.pk}/change/")

    assert "Alice Martin" in listing
    assert "Sentinel Analytics" in listing
    assert "Carol Jensen" in listing
    assert page.status_code == 200
    assert alice.pseudonym in page.content.decode()


def test_the_token_hash_never_appears_on_the_participant_pages(olga_client, alice):
    page = olga_client.get(f"/admin/feedback/participant/{alice.pk}/change/").content.decode()
    listing = olga_client.get("/admin/feedback/participant/").content.decode()

    assert alice.token_hash not in page
    assert alice.token_hash not in listing
    assert "token hash" not in page.lower()


def test_the_invitation_state_follows_the_participant_through_the_invitation(
    olga_client, consultation, questions
):
    not_sent = Participant.objects.create(
        consultation=consultation, name="Nadia Notsent", email="n@example.org"
    )
    sent = make_participant(consultation, "Sami Sent", "s@example.org")
    opened = make_participant(consultation, "Olu Opened", "o@example.org", first_opened_at=timezone.now())
    Response.objects.create(participant=opened)
    draft = make_participant(consultation, "Dana Draft", "d@example.org", first_opened_at=timezone.now())
    answer(draft, questions[0], "Thinking...")
    Response.objects.filter(participant=draft).update(last_edited_at=timezone.now())
    done = make_participant(consultation, "Sofia Submitted", "f@example.org", first_opened_at=timezone.now())
    answer(done, questions[0], "Done.")
    submit(done)
    expected = {
        not_sent: Participant.InvitationState.NOT_SENT,
        sent: Participant.InvitationState.SENT,
        opened: Participant.InvitationState.OPENED,
        draft: Participant.InvitationState.DRAFT,
        done: Participant.InvitationState.SUBMITTED,
    }

    for participant, state in expected.items():
        fetched = Participant.objects.select_related("response").get(pk=participant.pk)
        assert fetched.invitation_state() == state
        listing = olga_client.get(f"/admin/feedback/participant/?invitation={state.value}").content.decode()
        shown = {p.name for p in expected if p.name in listing}
        assert shown == {participant.name}, state


def test_response_list_shows_status_and_answer_count(olga_client, answers, alice):
    content = olga_client.get("/admin/feedback/response/").content.decode()

    assert "Alice Martin (Sentinel Analytics)" in content
    assert "Bob Okafor (Northbridge Cloud)" in content
    assert '<td class="field-answer_count">2</td>' in content
    assert '<td class="field-answer_count">1</td>' in content


def test_a_response_is_read_only_for_organisers(olga_client, answers, alice):
    url = f"/admin/feedback/response/{alice.response.pk}/change/"

    page = olga_client.get(url)

    assert page.status_code == 200
    content = page.content.decode()
    assert "Transparency about training data matters." in content
    assert 'name="_save"' not in content
    assert olga_client.post(url, {"status": "draft"}).status_code == 403
    assert olga_client.get("/admin/feedback/response/add/").status_code == 403
    assert olga_client.get(f"/admin/feedback/response/{alice.response.pk}/delete/").status_code == 403
    alice.response.refresh_from_db()
    assert alice.response.status == Response.Status.SUBMITTED


# The moderation queue


def test_the_answer_queue_shows_pending_answers_by_default(olga_client, answers):
    Answer.objects.filter(pk=answers["alice_2"].pk).update(status=Answer.Status.APPROVED)

    default = olga_client.get("/admin/feedback/answer/").content.decode()
    everything = olga_client.get("/admin/feedback/answer/?status=all").content.decode()
    approved = olga_client.get("/admin/feedback/answer/?status=approved").content.decode()

    assert "Transparency about training data matters." in default
    assert "Audit logs are missing." not in default
    assert "Audit logs are missing." in everything
    assert "Transparency about training data matters." in everything
    assert "Audit logs are missing." in approved
    assert "Transparency about training data matters." not in approved


def test_the_answer_queue_marks_pending_as_the_selected_filter(olga_client, answers):
    content = olga_client.get("/admin/feedback/answer/").content.decode()

    assert re.search(r'<li class="selected">\s*<a href="\?status=pending"', content)


def test_the_answer_queue_counts_each_status_when_facets_are_shown(olga_client, answers):
    Answer.objects.filter(pk=answers["alice_2"].pk).update(status=Answer.Status.HIDDEN)

    content = olga_client.get("/admin/feedback/answer/?_facets=True").content.decode()

    assert "Pending (2)" in content
    assert "Hidden (1)" in content
    assert "All (3)" in content


def test_answer_excerpts_escape_the_participants_text(olga_client, alice, questions):
    answer(alice, questions[0], '<script>alert("x")</script>')

    content = olga_client.get("/admin/feedback/answer/").content.decode()

    assert '<script>alert("x")</script>' not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content


@pytest.mark.parametrize(
    ("action", "status"),
    [("approve", Answer.Status.APPROVED), ("hide", Answer.Status.HIDDEN), ("flag", Answer.Status.FLAGGED)],
)
def test_moderation_actions_set_the_status_and_who_moderated(olga_client, olga, answers, action, status):
    chosen = [answers["alice_1"], answers["bob_1"]]

    response = post_action(olga_client, "/admin/feedback/answer/", action, chosen)

    assert response.status_code == 302
    for moderated in chosen:
        moderated.refresh_from_db()
        assert moderated.status == status
        assert moderated.moderated_by == olga
        assert moderated.moderated_at is not None
    answers["alice_2"].refresh_from_db()
    assert answers["alice_2"].status == Answer.Status.PENDING
    page = olga_client.get(response["Location"]).content.decode()
    assert f"Marked 2 answers as {status.label.lower()}." in page


def test_moderating_from_the_answer_page_keeps_the_participants_words(olga_client, olga, answers):
    moderated = answers["alice_1"]
    url = f"/admin/feedback/answer/{moderated.pk}/change/"
    assert olga_client.get(url).status_code == 200

    response = olga_client.post(
        url, {"status": "flagged", "moderator_note": "Check with legal.", "text": "Rewritten by an organiser"}
    )

    assert response.status_code == 302
    moderated.refresh_from_db()
    assert moderated.text == "Transparency about training data matters."
    assert moderated.status == Answer.Status.FLAGGED
    assert moderated.moderator_note == "Check with legal."
    assert moderated.moderated_by == olga


def test_answers_cannot_be_added_or_deleted_in_the_admin(olga_client, answers):
    assert olga_client.get("/admin/feedback/answer/add/").status_code == 403
    assert olga_client.get(f"/admin/feedback/answer/{answers['alice_1'].pk}/delete/").status_code == 403
    assert "delete_selected" not in olga_client.get("/admin/feedback/answer/").content.decode()


# Invitations


def test_sending_invitations_mails_a_working_link_and_retires_the_old_one(
    olga_client, alice, django_capture_on_commit_callbacks
):
    old_token = alice.token

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(olga_client, "/admin/feedback/participant/", "send_invitations", [alice])

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.org"]
    token = re.search(r"http://testserver/i/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert Participant.objects.by_token(token).get() == alice
    assert not Participant.objects.by_token(old_token).exists()
    page = olga_client.get(response["Location"]).content.decode()
    assert "Sent 1 invitation link. Any earlier link for this participant no longer works." in page


def test_sending_invitations_skips_revoked_participants(
    olga_client, alice, bob, django_capture_on_commit_callbacks
):
    Participant.objects.filter(pk=bob.pk).update(is_revoked=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(olga_client, "/admin/feedback/participant/", "send_invitations", [alice, bob])

    assert [message.to for message in mail.outbox] == [["alice@example.org"]]
    page = olga_client.get(response["Location"]).content.decode()
    assert "Skipped 1 revoked participant." in page


def test_revoking_an_invitation_makes_its_link_a_404(olga_client, alice, bob):
    assert Client().get(f"/i/{alice.token}/").status_code == 200

    response = post_action(olga_client, "/admin/feedback/participant/", "revoke_invitations", [alice])

    alice.refresh_from_db()
    assert alice.is_revoked
    assert Client().get(f"/i/{alice.token}/").status_code == 404
    assert Client().get(f"/i/{bob.token}/").status_code == 200
    page = olga_client.get(response["Location"]).content.decode()
    assert "Revoked 1 invitation; its link no longer works." in page


# Exports


def test_exporting_selected_answers_downloads_them_identified(olga_client, answers):
    chosen = [answers["alice_1"], answers["bob_1"]]

    response = post_action(olga_client, "/admin/feedback/answer/", "export_csv", chosen)

    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="answers-{today}.csv"'
    rows = csv_rows(response)
    assert sorted((row["participant"], row["answer"]) for row in rows) == [
        ("Alice Martin", "Transparency about training data matters."),
        ("Bob Okafor", "Vendors need clearer procurement rules."),
    ]


def test_exporting_a_consultation_downloads_its_submitted_answers(olga_client, consultation, answers):
    response = post_action(olga_client, "/admin/feedback/consultation/", "export_answers_csv", [consultation])

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="answers-tech-providers-')
    rows = csv_rows(response)
    # Bob's draft is not part of the export.
    assert [(row["participant"], row["question_no"]) for row in rows] == [
        ("Alice Martin", "1"),
        ("Alice Martin", "2"),
    ]


def test_exporting_needs_exactly_one_consultation(olga_client, consultation, other_consultation):
    response = post_action(
        olga_client, "/admin/feedback/consultation/", "export_answers_csv", [consultation, other_consultation]
    )

    assert response.status_code == 302
    assert (
        "Select exactly one consultation to export." in olga_client.get(response["Location"]).content.decode()
    )


def test_staff_who_may_moderate_but_not_see_participants_cannot_export(client, sam, answers):
    sam.user_permissions.add(*Permission.objects.filter(codename__in=["view_answer", "change_answer"]))
    client.force_login(sam)

    content = client.get("/admin/feedback/answer/").content.decode()
    response = post_action(client, "/admin/feedback/answer/", "export_csv", [answers["alice_1"]])

    assert 'value="approve"' in content
    assert 'value="export_csv"' not in content
    assert response.status_code == 302
    assert "Content-Disposition" not in response
    assert "No action selected." in client.get(response["Location"]).content.decode()


# Query counts: a list page costs the same whatever the number of rows


def add_participants(consultation: Consultation, questions: list[Question], start: int, count: int) -> None:
    for i in range(start, start + count):
        participant = make_participant(
            consultation, f"Person {i}", f"person{i}@example.org", organisation=f"Org {i}"
        )
        for question in questions:
            answer(participant, question, f"Answer {i} to {question.number}")
        submit(participant)


def add_consultations(start: int, count: int) -> None:
    now = timezone.now()
    for i in range(start, start + count):
        consultation = Consultation.objects.create(
            title=f"Consultation {i}",
            slug=f"consultation-{i}",
            stakeholder_group="Industry",
            opens_at=now,
            closes_at=now + timedelta(days=10),
        )
        make_participant(consultation, f"Person {i}", f"person{i}@example.org")


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    ["/admin/feedback/answer/", "/admin/feedback/participant/", "/admin/feedback/response/"],
)
def test_feedback_lists_cost_the_same_for_2_and_20_participants(
    olga_client, consultation, questions, url, django_assert_max_num_queries
):
    add_participants(consultation, questions, 0, 2)
    queries_for(olga_client, url)  # warm the per-process caches
    few = queries_for(olga_client, url)

    add_participants(consultation, questions, 2, 18)
    with django_assert_max_num_queries(few):
        content = olga_client.get(url).content.decode()
    assert "Person 19" in content


def test_the_consultation_list_costs_the_same_for_2_and_20_consultations(
    olga_client, django_assert_max_num_queries
):
    url = "/admin/feedback/consultation/"
    add_consultations(0, 2)
    queries_for(olga_client, url)
    few = queries_for(olga_client, url)

    add_consultations(2, 18)
    with django_assert_max_num_queries(few):
        content = olga_client.get(url).content.decode()
    assert "Consultation 19" in content
