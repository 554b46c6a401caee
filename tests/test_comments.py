"""Comments on draft resources, down to a section: the resource page, review, receipt, exports, the admin queue."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.exports.formats import csv_chunks
from feedback.exports.shapes import answers_for_export, comments_for_export
from feedback.models import (
    Comment,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    ResourceParagraph,
    ResourceSection,
    ResourceVersion,
    Response,
)
from feedback.participation import services
from tests.conftest import make_participant, submit

PAGE = "/c/tech-providers/resources/{}/"
COMMENT = "/c/tech-providers/resources/{}/comment/"
EDIT = "/c/tech-providers/comments/{}/edit/"


def comment(participant: Participant, resource: Resource, text: str, section=None, **extra) -> Comment:
    response, _created = Response.objects.get_or_create(participant=participant)
    return Comment.objects.create(response=response, resource=resource, section=section, text=text, **extra)


def close_window(consultation) -> None:
    consultation.opens_at = timezone.now() - timedelta(days=30)
    consultation.closes_at = timezone.now() - timedelta(days=1)
    consultation.save()


@pytest.fixture
def section(resource) -> ResourceSection:
    return resource.sections.get(position=1)


@pytest.fixture
def other_resource(consultation) -> Resource:
    """A second resource of the same consultation, with a section of its own."""
    other = Resource.objects.create(
        title="Risk Assessment Questionnaire", category=Resource.Category.PRACTICAL
    )
    other.sections.create(position=1, heading="Likelihood", body="How likely ...")
    ConsultationResource.objects.create(consultation=consultation, resource=other, position=2)
    return other


@pytest.fixture
def carols_resource(other_consultation) -> Resource:
    elsewhere = Resource.objects.create(title="Academic reading list", category=Resource.Category.SUPPORTING)
    ConsultationResource.objects.create(consultation=other_consultation, resource=elsewhere, position=1)
    return elsewhere


# The resource page


def test_participant_comments_on_a_section_and_sees_it_again(alice_client, alice, resource, section):
    response = alice_client.post(
        COMMENT.format(resource.pk), {"section": section.pk, "text": "Add 'proportionality'."}
    )

    assert response.status_code == 302
    saved = Comment.objects.get()
    assert response["Location"] == f"/c/tech-providers/resources/{resource.pk}/#comment-{saved.pk}"
    assert (saved.response.participant, saved.resource, saved.section) == (alice, resource, section)
    assert saved.text == "Add 'proportionality'."
    assert saved.status == Comment.Status.PENDING
    page = alice_client.get(PAGE.format(resource.pk)).content.decode()
    assert "Add &#x27;proportionality&#x27;." in page
    assert "Your comment was saved at" in page
    assert "New comment on section 1" in page
    assert '<label class="form-label" for="new-section-1-text">Your comment</label>' in page
    assert 'maxlength="5000"' in page


def test_participant_comments_on_the_whole_resource(alice_client, alice, resource):
    response = alice_client.post(COMMENT.format(resource.pk), {"text": "Too long overall."})

    saved = Comment.objects.get()
    assert response["Location"].endswith(f"#comment-{saved.pk}")
    assert saved.section is None
    assert "Too long overall." in alice_client.get(PAGE.format(resource.pk)).content.decode()


def test_several_comments_at_the_same_place_are_all_kept(alice_client, alice, resource, section):
    for text in ("First", "Second thoughts"):
        alice_client.post(COMMENT.format(resource.pk), {"section": section.pk, "text": text})
        alice_client.post(COMMENT.format(resource.pk), {"text": f"{text} on the whole"})

    assert Comment.objects.count() == 4
    assert sorted(Comment.objects.filter(section=section).values_list("text", flat=True)) == [
        "First",
        "Second thoughts",
    ]
    page = alice_client.get(PAGE.format(resource.pk)).content.decode()
    assert "First on the whole" in page and "Second thoughts on the whole" in page


def test_deleting_a_comment_clears_its_text_but_keeps_the_row(alice_client, alice, resource, section):
    alice_client.post(COMMENT.format(resource.pk), {"section": section.pk, "text": "Soon gone"})
    saved = Comment.objects.get()

    response = alice_client.post(f"/c/tech-providers/comments/{saved.pk}/delete/")

    assert response["Location"] == f"/c/tech-providers/resources/{resource.pk}/#section-1"
    saved.refresh_from_db()
    assert (saved.text, saved.proposed_change) == ("", "")
    assert "Soon gone" not in alice_client.get(PAGE.format(resource.pk)).content.decode()


def test_an_empty_first_comment_creates_nothing(alice_client, alice, resource):
    alice_client.post(COMMENT.format(resource.pk), {"text": "   "})

    assert not Comment.objects.exists()


def test_participant_never_sees_another_participants_comment(alice_client, alice, bob, resource, section):
    comment(bob, resource, "Bob's private remark", section=section)
    comment(bob, resource, "Bob on the whole")
    submit(bob)

    for path in (PAGE.format(resource.pk), "/c/tech-providers/review/"):
        page = alice_client.get(path).content.decode()
        assert "private remark" not in page, path
        assert "Bob on the whole" not in page, path


def test_a_section_of_another_resource_is_not_found(alice_client, alice, resource, other_resource):
    foreign_section = other_resource.sections.get()

    response = alice_client.post(COMMENT.format(resource.pk), {"section": foreign_section.pk, "text": "Hi"})

    assert response.status_code == 404
    assert not Comment.objects.exists()


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "١"])
def test_a_tampered_section_value_is_not_found(alice_client, alice, resource, value):
    assert alice_client.post(COMMENT.format(resource.pk), {"section": value, "text": "Hi"}).status_code == 404
    assert not Comment.objects.exists()


def test_a_resource_of_another_consultation_is_not_found(alice_client, alice, carols_resource):
    assert alice_client.get(PAGE.format(carols_resource.pk)).status_code == 404
    assert alice_client.post(COMMENT.format(carols_resource.pk), {"text": "Hi"}).status_code == 404
    assert not Comment.objects.exists()


def test_commenting_needs_a_bound_session(client, alice, resource):
    assert client.post(COMMENT.format(resource.pk), {"text": "Hi"}).status_code == 404
    assert not Comment.objects.exists()


def test_commenting_needs_a_confirmed_profile(client, consultation, resource):
    newcomer = make_participant(consultation, "New", "new@example.org")
    client.post(f"/i/{newcomer.token}/")

    page = client.get(PAGE.format(resource.pk)).content.decode()
    assert "confirm your profile and how you may be quoted" in page
    assert "Save comment" not in page
    response = client.post(COMMENT.format(resource.pk), {"text": "Hi"})
    assert response["Location"] == "/c/tech-providers/profile/"
    assert not Comment.objects.exists()


def test_an_overlong_comment_is_refused_with_a_message_and_nothing_lost(
    alice_client, alice, resource, section
):
    alice_client.post(COMMENT.format(resource.pk), {"section": section.pk, "text": "Kept"})

    response = alice_client.post(COMMENT.format(resource.pk), {"section": section.pk, "text": "y" * 5001})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Your comment was not saved" in page
    assert "at most 5000 characters" in page
    assert "y" * 5001 in page  # what was typed is still in the form
    assert 'aria-invalid="true"' in page
    assert Comment.objects.get().text == "Kept"


def test_after_the_deadline_the_resource_page_is_read_only_and_comments_are_refused(
    alice_client, alice, consultation, resource, section
):
    comment(alice, resource, "Saved in time", section=section)
    close_window(consultation)

    page = alice_client.get(PAGE.format(resource.pk)).content.decode()
    assert "The feedback window closed on" in page
    assert "Saved in time" in page
    assert "Save comment" not in page and "<textarea" not in page

    response = alice_client.post(
        COMMENT.format(resource.pk), {"section": section.pk, "text": "Too late"}, follow=True
    )
    assert "The feedback window closed on" in response.content.decode()
    assert Comment.objects.get().text == "Saved in time"


def test_the_service_refuses_comments_outside_the_window(alice, consultation, resource):
    response = Response.objects.create(participant=alice)
    close_window(consultation)

    with pytest.raises(services.ConsultationClosed):
        services.add_comment(
            response=response,
            resource=resource,
            version=resource.latest_version(),
            kind="general",
            text="Late",
        )


def test_the_service_refuses_a_place_outside_the_consultation(
    alice, resource, other_resource, carols_resource
):
    response = Response.objects.create(participant=alice)

    with pytest.raises(ValueError):
        services.add_comment(
            response=response,
            resource=resource,
            version=resource.latest_version(),
            section=other_resource.sections.get(),
            kind="general",
            text="x",
        )
    with pytest.raises(ValueError):
        services.add_comment(
            response=response,
            resource=carols_resource,
            version=carols_resource.latest_version(),
            kind="general",
            text="x",
        )
    assert not Comment.objects.exists()


def test_an_edited_comment_goes_back_to_the_moderation_queue(alice_client, alice, resource, olga):
    alice_client.post(COMMENT.format(resource.pk), {"text": "First"})
    Comment.objects.update(status=Comment.Status.APPROVED, moderated_by=olga, moderated_at=timezone.now())

    alice_client.post(EDIT.format(Comment.objects.get().pk), {"kind": "general", "text": "Second thoughts"})

    edited = Comment.objects.get()
    assert (edited.status, edited.moderated_by, edited.moderated_at) == (Comment.Status.PENDING, None, None)


def test_resource_page_links_the_guiding_questions_about_it(alice_client, alice, resource, questions):
    questions[1].resource = resource
    questions[1].save()

    page = alice_client.get(PAGE.format(resource.pk)).content.decode()

    assert "Guiding questions on this resource" in page
    assert "2. Anything problematic?" in page
    assert 'href="/c/tech-providers/questions/#id_q2"' in page
    assert "What are your thoughts?" not in page


def test_comment_text_is_escaped_on_every_page(alice_client, alice, resource):
    alice_client.post(COMMENT.format(resource.pk), {"text": "<script>alert(1)</script>"})
    alice_client.post("/c/tech-providers/submit/")

    for path in (PAGE.format(resource.pk), "/c/tech-providers/review/", "/c/tech-providers/receipt/"):
        page = alice_client.get(path).content.decode()
        assert "<script>alert(1)</script>" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


def test_resource_page_costs_the_same_for_1_and_20_commented_sections(
    alice_client, alice, resource, questions, django_assert_max_num_queries
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(PAGE.format(resource.pk)).status_code == 200
        return len(captured)

    comment(alice, resource, "On section 1", section=resource.sections.get())
    queries()  # warm the per-process caches
    few = queries()
    for position in range(2, 21):
        new = resource.sections.create(position=position, heading=f"Heading {position}")
        comment(alice, resource, f"On section {position}", section=new)
    # New sections change the draft: the first request reads it again, as it does after any change.
    queries()

    with django_assert_max_num_queries(few):
        page = alice_client.get(PAGE.format(resource.pk)).content.decode()
    assert "On section 20" in page
    assert few <= 10


# Review, submit, receipt


def test_review_lists_comments_grouped_by_resource_with_links_back(
    alice_client, alice, resource, section, other_resource
):
    comment(alice, resource, "Section remark", section=section)
    comment(alice, resource, "Whole remark")
    comment(alice, other_resource, "Questionnaire remark")
    comment(alice, other_resource, "   ", section=other_resource.sections.get())

    page = alice_client.get("/c/tech-providers/review/").content.decode()

    assert "Your comments on the resources" in page
    assert page.index("Principles for Responsible AI Innovation") < page.index("Whole remark")
    assert page.index("Whole remark") < page.index("Section remark")
    assert page.index("Risk Assessment Questionnaire") < page.index("Questionnaire remark")
    for remark in Comment.objects.exclude(text="   "):
        assert f'href="/c/tech-providers/resources/{remark.resource_id}/#comment-{remark.pk}"' in page
    assert "Likelihood" not in page  # the blank comment is not listed


def test_a_comment_alone_is_something_to_submit(alice_client, alice, resource):
    refused = alice_client.post("/c/tech-providers/submit/", follow=True)
    assert "There is nothing to submit yet" in refused.content.decode()

    comment(alice, resource, "Only a comment")
    response = alice_client.post("/c/tech-providers/submit/")

    assert response["Location"] == "/c/tech-providers/receipt/"
    assert Response.objects.get(participant=alice).is_submitted


def test_receipt_page_and_email_list_the_comments(
    alice_client, alice, resource, section, questions, django_capture_on_commit_callbacks
):
    alice_client.post("/c/tech-providers/questions/", {"q1": "My answer", "q2": ""})
    alice_client.post(COMMENT.format(resource.pk), {"section": section.pk, "text": "Section remark"})

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/c/tech-providers/submit/")

    page = alice_client.get("/c/tech-providers/receipt/").content.decode()
    assert "Your comments on the resources" in page
    assert "Section remark" in page and "1. Core principles" in page
    body = mail.outbox[0].body
    assert "Principles for Responsible AI Innovation" in body
    assert "1. Core principles" in body and "Section remark" in body
    assert body.index("My answer") < body.index("Section remark")


# Exports


@pytest.fixture
def commented(alice, bob, resource, section) -> list[Comment]:
    """alice (organisation only) and bob (named) have submitted comments; carol-like drafts are left out."""
    created = [
        comment(alice, resource, "Whole: too long"),
        comment(alice, resource, "=HYPERLINK(1)", section=section),
        comment(bob, resource, "Hide me", section=section, status=Comment.Status.HIDDEN),
    ]
    submit(alice)
    submit(bob)
    return created


def export_rows(consultation, profile: str) -> list[dict[str, str]]:
    text = "".join(
        csv_chunks(
            answers_for_export(consultation), profile=profile, comments=comments_for_export(consultation)
        )
    )
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (
            "identified",
            [
                ("Alice Martin", "Sentinel Analytics", "", "Whole: too long"),
                ("Alice Martin", "Sentinel Analytics", "Core principles", "'=HYPERLINK(1)"),
                ("Bob Okafor", "Northbridge Cloud", "Core principles", "Hide me"),
            ],
        ),
        (
            "pseudonymised",
            [
                ("alice", "", "", "Whole: too long"),
                ("alice", "", "Core principles", "'=HYPERLINK(1)"),
                ("bob", "", "Core principles", "[hidden by moderator]"),
            ],
        ),
        (
            "chatham-house",
            [
                ("alice", "Sentinel Analytics", "", "Whole: too long"),
                ("alice", "Sentinel Analytics", "Core principles", "'=HYPERLINK(1)"),
                ("Bob Okafor", "Northbridge Cloud", "Core principles", "[hidden by moderator]"),
            ],
        ),
    ],
)
def test_comments_are_exported_after_the_answers_in_every_profile(
    consultation, alice, bob, commented, profile, expected
):
    pseudonyms = {"alice": alice.pseudonym, "bob": bob.pseudonym}

    rows = [row for row in export_rows(consultation, profile) if row["item_type"] == "comment"]

    assert [(row["participant"], row["organisation"], row["section"], row["answer"]) for row in rows] == [
        (pseudonyms.get(who, who), org, sec, text) for who, org, sec, text in expected
    ]
    assert {row["resource"] for row in rows} == {"Principles for Responsible AI Innovation"}
    assert {(row["question_no"], row["question"]) for row in rows} == {("", "")}


def test_comments_of_participants_who_may_not_be_quoted_are_withheld(consultation, resource):
    eve = make_participant(consultation, "Eve", "eve@example.org", attribution="not_quoted")
    comment(eve, resource, "Off the record")
    submit(eve)

    rows = export_rows(consultation, "chatham-house")

    assert [row["answer"] for row in rows] == ["[not to be quoted]"]


def test_draft_and_empty_comments_are_not_exported(consultation, alice, bob, resource, section):
    comment(bob, resource, "Draft only")
    comment(alice, resource, "  ")
    submit(alice)

    assert export_rows(consultation, "identified") == []


def test_exporting_comments_costs_the_same_for_3_and_30(
    consultation, resource, section, django_assert_max_num_queries
):
    def export_with(start: int, count: int) -> int:
        for i in range(start, start + count):
            participant = make_participant(consultation, f"P {i}", f"p{i}@example.org", attribution="named")
            comment(participant, resource, f"Comment {i}", section=section)
            submit(participant)
        # The answers (none here), the comments, and the comments' themes.
        with django_assert_max_num_queries(3):
            return len(export_rows(consultation, "chatham-house"))

    assert export_with(0, 3) == 3
    assert export_with(3, 27) == 30


def test_the_export_command_includes_comments(consultation, commented, tmp_path):
    out = tmp_path / "export.csv"

    call_command("export_feedback", "tech-providers", "-o", str(out), stderr=io.StringIO())

    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    assert [row["item_type"] for row in rows] == ["comment"] * 3
    assert "Alice Martin" not in out.read_text()


# The organisers' comment queue


def post_action(client, action: str, objects: list, url: str = "/admin/feedback/comment/"):
    return client.post(url, {"action": action, "index": 0, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects]})


def test_the_comment_queue_shows_pending_comments_by_default(olga_client, commented):
    commented[0].status = Comment.Status.APPROVED
    commented[0].save()

    page = olga_client.get("/admin/feedback/comment/").content.decode()

    assert "HYPERLINK" in page
    assert "Whole: too long" not in page
    assert "Hide me" not in page  # hidden, not pending
    everything = olga_client.get("/admin/feedback/comment/?status=all").content.decode()
    assert "Whole: too long" in everything and "Hide me" in everything


@pytest.mark.parametrize(
    ("action", "status"),
    [("approve", Comment.Status.APPROVED), ("hide", Comment.Status.HIDDEN), ("flag", Comment.Status.FLAGGED)],
)
def test_moderation_actions_on_comments_set_the_status_and_who(olga_client, olga, commented, action, status):
    response = post_action(olga_client, action, commented[:2])

    assert response.status_code == 302
    for moderated in Comment.objects.filter(pk__in=[c.pk for c in commented[:2]]):
        assert (moderated.status, moderated.moderated_by) == (status, olga)
        assert moderated.moderated_at is not None
    page = olga_client.get(response["Location"]).content.decode()
    assert f"Marked 2 comments as {status.label.lower()}." in page


def test_organisers_record_a_disposition_and_reply_but_never_change_the_text(olga_client, olga, commented):
    target = commented[1]

    response = olga_client.post(
        f"/admin/feedback/comment/{target.pk}/change/",
        {
            "status": "approved",
            "moderator_note": "Useful",
            "disposition": "partly_accepted",
            "organiser_reply": "We added proportionality to principle 3.",
            "text": "Rewritten by an organiser",
        },
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.text == "=HYPERLINK(1)"
    assert (target.disposition, target.organiser_reply) == (
        "partly_accepted",
        "We added proportionality to principle 3.",
    )
    assert (target.status, target.moderated_by, target.moderator_note) == ("approved", olga, "Useful")


def test_staff_outside_the_organiser_group_cannot_open_the_comment_queue(client, db, commented):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("sam", "sam@example.org", "pw", is_staff=True))

    assert client.get("/admin/feedback/comment/").status_code == 403


def test_comments_cannot_be_added_or_deleted_in_the_admin(olga_client, commented):
    assert olga_client.get("/admin/feedback/comment/add/").status_code == 403
    assert olga_client.get(f"/admin/feedback/comment/{commented[0].pk}/delete/").status_code == 403


def test_the_comment_queue_escapes_the_participants_text(olga_client, alice, resource):
    comment(alice, resource, "<b>bold</b>")

    page = olga_client.get("/admin/feedback/comment/").content.decode()

    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_the_comment_queue_costs_the_same_for_2_and_20_comments(
    olga_client, consultation, resource, section, django_assert_max_num_queries
):
    def add(start: int, count: int) -> None:
        for i in range(start, start + count):
            participant = make_participant(consultation, f"Person {i}", f"person{i}@example.org")
            comment(participant, resource, f"Remark {i}", section=section if i % 2 else None)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert olga_client.get("/admin/feedback/comment/").status_code == 200
        return len(captured)

    add(0, 2)
    queries()
    few = queries()
    add(2, 18)
    with django_assert_max_num_queries(few):
        page = olga_client.get("/admin/feedback/comment/").content.decode()
    assert "Person 19" in page


def test_a_response_page_lists_its_comments_read_only(olga_client, alice, commented):
    page = olga_client.get(f"/admin/feedback/response/{alice.response.pk}/change/").content.decode()

    assert "Whole: too long" in page
    assert 'name="comments-0-text"' not in page


def test_exporting_selected_comments_and_a_whole_consultation(
    olga_client, consultation, commented, questions
):
    from tests.conftest import answer

    answer(Participant.objects.get(name="Alice Martin"), questions[0], "An answer")

    selected = post_action(olga_client, "export_csv", commented[:1])
    rows = list(csv.DictReader(io.StringIO(b"".join(selected.streaming_content).decode())))
    assert [(row["item_type"], row["answer"]) for row in rows] == [("comment", "Whole: too long")]

    whole = post_action(
        olga_client, "export_answers_csv", [consultation], url="/admin/feedback/consultation/"
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(whole.streaming_content).decode())))
    assert [row["item_type"] for row in rows] == ["answer", "comment", "comment", "comment"]


# The model's own rules


def test_the_database_takes_several_comments_at_the_same_place(alice, resource, section):
    comment(alice, resource, "Section", section=section)
    comment(alice, resource, "Section again", section=section)
    comment(alice, resource, "Whole")
    comment(alice, resource, "Whole again")

    assert Comment.objects.count() == 4


def test_a_quoted_passage_needs_a_paragraph_in_the_database(alice, resource, section):
    with pytest.raises(IntegrityError):
        comment(alice, resource, "Adrift", section=section, quote="Lawfulness")


def test_a_comment_on_a_section_of_another_resource_does_not_validate(alice, resource, other_resource):
    response = Response.objects.create(participant=alice)
    stray = Comment(response=response, resource=resource, section=other_resource.sections.get(), text="x")

    with pytest.raises(ValidationError) as error:
        stray.full_clean()

    assert "section" in error.value.message_dict


def test_questions_without_a_resource_are_not_listed_on_it(alice_client, alice, resource, consultation):
    Question.objects.create(consultation=consultation, number=5, text="General question")

    assert (
        "Guiding questions on this resource"
        not in alice_client.get(PAGE.format(resource.pk)).content.decode()
    )


# Paragraphs, passages, proposed changes; editing and deleting one's own

PRINCIPLE = "An agency uses AI only where the law allows it, and only as far as the purpose requires."


@pytest.fixture
def paragraphs(section) -> list[ResourceParagraph]:
    return [
        section.paragraphs.create(number=1, text=PRINCIPLE),
        section.paragraphs.create(number=2, kind="list_item", level=1, text="Necessity | Proportionality"),
    ]


def passage_post(section, paragraph, passage: str, **extra) -> dict[str, object]:
    return {
        "section": section.pk,
        "paragraph": paragraph.pk,
        "quote": passage,
        "quote_start": paragraph.text.index(passage),
        "kind": "technical",
        "text": "Say which law.",
        "proposed_change": "where national law and international human rights law allow it",
        **extra,
    }


def test_participant_comments_on_a_passage_with_a_proposed_change(
    alice_client, alice, resource, section, paragraphs
):
    response = alice_client.post(
        COMMENT.format(resource.pk), passage_post(section, paragraphs[0], "the law allows it")
    )

    saved = Comment.objects.get()
    assert response["Location"] == f"/c/tech-providers/resources/{resource.pk}/#comment-{saved.pk}"
    assert (saved.section, saved.paragraph, saved.version) == (
        section,
        paragraphs[0],
        resource.latest_version(),
    )
    assert (saved.quote, saved.quote_start, saved.kind) == ("the law allows it", 29, "technical")
    assert saved.quote_prefix == PRINCIPLE[:29][-32:]
    assert saved.quote_suffix == PRINCIPLE[46:][:32]
    assert saved.proposed_change.startswith("where national law")
    page = alice_client.get(PAGE.format(resource.pk)).content.decode()
    assert (
        f'An agency uses AI only where <mark class="own-passage" id="passage-{saved.pk}" tabindex="-1">'
        "the law allows it</mark>"
    ) in page
    assert f'<a class="passage-link" href="#comment-{saved.pk}" data-offset-skip>' in page
    assert f'href="#passage-{saved.pk}">Show passage 1 in the text</a>' in page
    assert "1 ¶1" in page and "Technical" in page and "where national law and international" in page
    assert f'action="/c/tech-providers/comments/{saved.pk}/delete/"' in page
    assert f'href="?edit={saved.pk}#comment-{saved.pk}" data-edit-comment="{saved.pk}" data-saved-at=' in page
    assert f'action="/c/tech-providers/comments/{saved.pk}/edit/"' not in page  # written when editing only


def test_the_page_shows_numbered_paragraphs_and_a_paragraph_choice_for_every_one(
    alice_client, alice, resource, section, paragraphs
):
    page = alice_client.get(PAGE.format(resource.pk)).content.decode()

    assert '<span class="para-number">¶1</span>' in page and '<span class="para-number">¶2</span>' in page
    assert 'class="doc-para doc-list_item doc-level-1"' in page
    assert "Necessity | Proportionality" in page
    assert '<option value="">The whole section 1</option>' in page
    assert f'<option value="{paragraphs[1].pk}">¶2 · Necessity | Proportionality</option>' in page
    assert '<span class="section-number">1</span> Core principles' in page


def test_without_javascript_a_passage_typed_by_hand_is_found_in_the_paragraph(
    alice_client, alice, resource, section, paragraphs
):
    data = passage_post(
        section, paragraphs[0], "the law allows it", quote=" the law allows it ", quote_start=""
    )

    alice_client.post(COMMENT.format(resource.pk), data)

    assert (Comment.objects.get().quote, Comment.objects.get().quote_start) == ("the law allows it", 29)


@pytest.mark.parametrize(
    ("quote", "start"), [("the law forbids it", ""), ("the law allows it", "3"), ("the law allows it", "999")]
)
def test_a_passage_not_in_the_paragraph_is_refused_and_what_was_typed_stays(
    alice_client, alice, resource, section, paragraphs, quote, start
):
    data = passage_post(section, paragraphs[0], "the law allows it", quote=quote, quote_start=start)

    response = alice_client.post(COMMENT.format(resource.pk), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "The quoted passage is not in 1 ¶1 as it reads now" in page
    assert "Say which law." in page and "where national law and international" in page
    assert not Comment.objects.exists()


def test_a_proposed_change_without_a_comment_is_refused_with_a_message(alice_client, alice, resource):
    response = alice_client.post(COMMENT.format(resource.pk), {"text": " ", "proposed_change": "Shorter"})

    assert "Please write your comment as well" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_paragraph_of_another_section_is_not_found(alice_client, alice, resource, section, other_resource):
    foreign = other_resource.sections.get().paragraphs.create(number=1, text="How likely is harm?")
    elsewhere = resource.sections.create(position=2, heading="Fairness")

    for section_id in (section.pk, elsewhere.pk):
        data = {"section": section_id, "paragraph": foreign.pk, "text": "Hi"}
        assert alice_client.post(COMMENT.format(resource.pk), data).status_code == 404
    assert (
        alice_client.post(COMMENT.format(resource.pk), {"paragraph": foreign.pk, "text": "Hi"}).status_code
        == 404
    )
    assert not Comment.objects.exists()


def test_only_the_version_under_consultation_takes_new_comments(
    alice_client, alice, resource, section, paragraphs
):
    newer = ResourceVersion.objects.create(resource=resource, number=2)
    new_section = ResourceSection.objects.create(
        resource=resource, version=newer, position=1, heading="Principles"
    )
    new_paragraph = new_section.paragraphs.create(number=1, text="Rewritten principle.")

    old = {"section": section.pk, "paragraph": paragraphs[0].pk, "text": "On the old words"}
    assert alice_client.post(COMMENT.format(resource.pk), old).status_code == 404
    page = alice_client.get(PAGE.format(resource.pk)).content.decode()
    assert "Rewritten principle." in page and PRINCIPLE not in page

    # An organiser keeps the consultation on version 1: then version 2 takes none.
    ConsultationResource.objects.filter(resource=resource).update(version=resource.versions.get(number=1))
    new = {"section": new_section.pk, "paragraph": new_paragraph.pk, "text": "On the new words"}
    assert alice_client.post(COMMENT.format(resource.pk), new).status_code == 404
    assert alice_client.post(COMMENT.format(resource.pk), old).status_code == 302
    assert list(Comment.objects.values_list("text", flat=True)) == ["On the old words"]


def test_the_service_refuses_a_paragraph_of_another_version_or_section(alice, resource, section, paragraphs):
    response = Response.objects.create(participant=alice)
    newer = ResourceVersion.objects.create(resource=resource, number=2)
    common = {"response": response, "resource": resource, "kind": "general", "text": "x"}

    with pytest.raises(ValueError):  # the section is on version 1, not 2
        services.add_comment(**common, version=newer, section=section, paragraph=paragraphs[0])
    other = resource.sections.create(version=newer, position=2, heading="Elsewhere")
    with pytest.raises(ValueError):  # the paragraph is in another section
        services.add_comment(**common, version=newer, section=other, paragraph=paragraphs[0])
    assert not Comment.objects.exists()


def test_the_service_refuses_a_passage_not_found_at_its_offset(alice, resource, section, paragraphs):
    response = Response.objects.create(participant=alice)

    with pytest.raises(ValidationError) as error:
        services.add_comment(
            response=response,
            resource=resource,
            version=resource.latest_version(),
            section=section,
            paragraph=paragraphs[0],
            quote="the law allows it",
            quote_start=0,
            kind="editorial",
            text="x",
        )

    assert error.value.code == "quote_not_found"
    assert not Comment.objects.exists()


def test_participant_edits_their_comment_and_it_goes_back_to_moderation(
    alice_client, alice, olga, resource, section, paragraphs
):
    alice_client.post(COMMENT.format(resource.pk), passage_post(section, paragraphs[0], "the law allows it"))
    saved = Comment.objects.get()
    Comment.objects.update(status=Comment.Status.APPROVED, moderated_by=olga, moderated_at=timezone.now())

    form = alice_client.get(PAGE.format(resource.pk) + f"?edit={saved.pk}").content.decode()
    assert f'action="/c/tech-providers/comments/{saved.pk}/edit/"' in form
    assert f'id="comment-{saved.pk}-text"' in form and "Say which law.</textarea>" in form
    response = alice_client.post(
        EDIT.format(saved.pk), {"kind": "editorial", "text": "Name the law.", "proposed_change": ""}
    )

    assert response["Location"] == f"/c/tech-providers/resources/{resource.pk}/#comment-{saved.pk}"
    saved.refresh_from_db()
    assert (saved.kind, saved.text, saved.proposed_change) == ("editorial", "Name the law.", "")
    assert (saved.quote, saved.paragraph) == ("the law allows it", paragraphs[0])
    assert (saved.status, saved.moderated_by) == (Comment.Status.PENDING, None)


def test_edits_and_deletions_after_submitting_are_kept_on_record(alice_client, alice, resource):
    alice_client.post(COMMENT.format(resource.pk), {"text": "First"})
    submit(alice)
    saved = Comment.objects.get()

    alice_client.post(EDIT.format(saved.pk), {"kind": "general", "text": "Second"})
    alice_client.post(f"/c/tech-providers/comments/{saved.pk}/delete/")

    assert list(saved.revisions.order_by("pk").values_list("previous_text", flat=True)) == ["First", "Second"]


def test_an_invalid_edit_is_shown_again_with_what_was_typed(alice_client, alice, resource):
    alice_client.post(COMMENT.format(resource.pk), {"text": "Kept"})
    saved = Comment.objects.get()

    response = alice_client.post(
        EDIT.format(saved.pk), {"kind": "general", "text": "", "proposed_change": "Alone"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Please write your comment as well" in page and "Alone</textarea>" in page
    assert Comment.objects.get().text == "Kept"


def test_someone_elses_comment_cannot_be_edited_deleted_or_opened(alice_client, alice, bob, resource):
    bobs = comment(bob, resource, "Bob's own")

    for path, data in (
        (EDIT.format(bobs.pk), {"kind": "general", "text": "Taken over"}),
        (f"/c/tech-providers/comments/{bobs.pk}/delete/", {}),
        (f"/c/tech-providers/comments/{bobs.pk}/autosave/", {"field": "text", "text": "Taken over"}),
    ):
        assert alice_client.post(path, data).status_code == 404, path
    page = alice_client.get(PAGE.format(resource.pk) + f"?edit={bobs.pk}").content.decode()
    assert "Bob's own" not in page and "Taken over" not in page
    assert Comment.objects.get().text == "Bob's own"


def test_only_ones_own_passages_are_highlighted(alice_client, alice, bob, resource, section, paragraphs):
    comment(bob, resource, "Bob's", section=section, paragraph=paragraphs[0], quote="AI", quote_start=15)

    page = alice_client.get(PAGE.format(resource.pk)).content.decode()

    assert "<mark" not in page and "Bob&#x27;s" not in page


def test_after_the_deadline_comments_cannot_be_edited_or_deleted(alice_client, alice, consultation, resource):
    saved = comment(alice, resource, "In time")
    close_window(consultation)

    page = alice_client.get(PAGE.format(resource.pk)).content.decode()
    assert "In time" in page and "Delete" not in page and "/edit/" not in page
    for path in (EDIT.format(saved.pk), f"/c/tech-providers/comments/{saved.pk}/delete/"):
        response = alice_client.post(path, {"kind": "general", "text": "Late"}, follow=True)
        assert "The feedback window closed on" in response.content.decode()
    assert Comment.objects.get().text == "In time"
    with pytest.raises(services.ConsultationClosed):
        services.delete_comment(comment=saved)
    with pytest.raises(services.ConsultationClosed):
        services.edit_comment(comment=saved, text="Late", kind="general", proposed_change="")


# Autosave of comments


def test_the_first_autosave_creates_the_comment_and_later_ones_edit_it(
    alice_client, alice, resource, section, paragraphs
):
    data = passage_post(section, paragraphs[0], "the law allows it", field="text")

    first = alice_client.post(f"/c/tech-providers/resources/{resource.pk}/comment/autosave/", data).json()

    saved = Comment.objects.get()
    assert first["autosave_url"] == f"/c/tech-providers/comments/{saved.pk}/autosave/"
    assert first["action"] == f"/c/tech-providers/comments/{saved.pk}/edit/"
    assert first["storage_key"] == f"feedback:tech-providers:{alice.pk}:comment-{saved.pk}"
    assert first["saved_at"]
    later = alice_client.post(first["autosave_url"], {**data, "text": "Say which law, please."})
    assert later.status_code == 200
    assert Comment.objects.get().text == "Say which law, please."


def test_an_autosave_and_a_post_of_the_same_new_form_crossing_make_one_comment(
    alice_client, alice, resource, section, paragraphs
):
    """On a slow connection the form's post can leave before its first autosave's answer came back: both name
    the form's key, so the second edits what the first made."""
    data = {
        **passage_post(section, paragraphs[0], "the law allows it", field="text"),
        "draft_key": "form-key-1",
    }

    alice_client.post(f"/c/tech-providers/resources/{resource.pk}/comment/autosave/", data)
    posted = alice_client.post(
        f"/c/tech-providers/resources/{resource.pk}/comment/", {**data, "text": "Say which law, please."}
    )

    assert posted.status_code == 302
    assert list(Comment.objects.values_list("text", flat=True)) == ["Say which law, please."]
    other_form = {**data, "draft_key": "form-key-2", "text": "A second point."}
    alice_client.post(f"/c/tech-providers/resources/{resource.pk}/comment/", other_form)
    assert Comment.objects.count() == 2


def test_an_empty_new_comment_autosaves_nothing(alice_client, alice, resource):
    url = f"/c/tech-providers/resources/{resource.pk}/comment/autosave/"

    assert alice_client.post(url, {"field": "kind", "kind": "editorial", "text": ""}).json() == {
        "empty": True
    }
    refused = alice_client.post(url, {"field": "proposed_change", "text": "", "proposed_change": "New words"})

    assert refused.status_code == 400
    assert "Please write your comment as well" in refused.json()["error"]
    assert not Comment.objects.exists()


def test_comment_autosave_is_refused_after_the_deadline(alice_client, alice, consultation, resource):
    saved = comment(alice, resource, "In time")
    close_window(consultation)

    for url in (
        f"/c/tech-providers/resources/{resource.pk}/comment/autosave/",
        f"/c/tech-providers/comments/{saved.pk}/autosave/",
    ):
        response = alice_client.post(url, {"field": "text", "text": "Late", "kind": "general"})
        assert response.status_code == 409
        assert "The feedback window closed on" in response.json()["error"]
    assert list(Comment.objects.values_list("text", flat=True)) == ["In time"]


def test_resource_page_with_200_paragraphs_and_50_comments_costs_a_fixed_number_of_queries(
    alice_client, alice, resource, section, django_assert_max_num_queries
):
    version = resource.latest_version()
    made = []
    for position in range(2, 21):
        new = ResourceSection.objects.create(
            resource=resource, version=version, position=position, heading="H"
        )
        for number in range(1, 11):
            made.append(
                new.paragraphs.create(number=number, text=f"Paragraph {position}.{number} of the draft.")
            )
    for number in range(1, 11):
        made.append(section.paragraphs.create(number=number, text=f"Paragraph 1.{number} of the draft."))
    for index, paragraph in enumerate(made[:50]):
        comment(
            alice,
            resource,
            f"Remark {index}",
            section=paragraph.section,
            paragraph=paragraph,
            quote="of the draft",
            quote_start=paragraph.text.index("of the draft"),
        )

    # The first request of a process also reads the consultation and its questions (snapshot.py).
    alice_client.get(PAGE.format(resource.pk))
    with django_assert_max_num_queries(10):
        page = alice_client.get(PAGE.format(resource.pk)).content.decode()

    assert len(made) == 200
    assert page.count('class="doc-para ') == 200
    assert page.count('<mark class="own-passage"') == 50
    assert "Remark 49" in page
