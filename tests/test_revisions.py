"""Edits after submitting: each change to an answer or comment is kept with its time, and the receipt says so."""

import pytest
from django.db import IntegrityError

from feedback.models import Answer, Comment, Response, Revision
from tests.conftest import answer

COMMENT = "/c/tech-providers/resources/{}/comment/"


def test_edits_before_submitting_leave_no_revisions(alice_client, alice, questions, resource):
    alice_client.post("/c/tech-providers/questions/", {"q1": "Draft", "q2": ""})
    alice_client.post("/c/tech-providers/questions/", {"q1": "Draft, revised", "q2": ""})
    alice_client.post(COMMENT.format(resource.pk), {"text": "Draft comment"})
    alice_client.post(COMMENT.format(resource.pk), {"text": "Draft comment, revised"})

    assert not Revision.objects.exists()


def test_each_answer_edit_after_submitting_keeps_what_it_said_before(alice_client, alice, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "Before", "q2": ""})
    alice_client.post("/c/tech-providers/submit/")

    alice_client.post("/c/tech-providers/questions/", {"q1": "After", "q2": ""})
    alice_client.post("/c/tech-providers/questions/", {"q1": "After", "q2": ""})  # unchanged: no revision
    alice_client.post("/c/tech-providers/questions/", {"q1": "After again", "q2": "New"})

    first = Answer.objects.get(question=questions[0])
    assert list(first.revisions.order_by("edited_at").values_list("previous_text", flat=True)) == [
        "Before",
        "After",
    ]
    added = Answer.objects.get(question=questions[1])
    assert list(added.revisions.values_list("previous_text", flat=True)) == [""]
    assert Revision.objects.count() == 3


def test_choices_changed_after_submitting_keep_the_previous_choice(alice_client, alice, consultation):
    from feedback.models import Question

    Question.objects.create(consultation=consultation, number=1, text="Scale", kind="scale")
    alice_client.post("/c/tech-providers/questions/", {"q1": "2"})
    alice_client.post("/c/tech-providers/submit/")

    alice_client.post("/c/tech-providers/questions/", {"q1": "5"})

    assert Revision.objects.get().previous_selected == ["2"]


def test_comment_edits_after_submitting_are_recorded(alice_client, alice, resource):
    alice_client.post(COMMENT.format(resource.pk), {"text": "Before"})
    alice_client.post("/c/tech-providers/submit/")

    saved = Comment.objects.get()
    alice_client.post(f"/c/tech-providers/comments/{saved.pk}/edit/", {"kind": "general", "text": "After"})
    alice_client.post(f"/c/tech-providers/comments/{saved.pk}/delete/")

    assert list(saved.revisions.order_by("edited_at").values_list("previous_text", flat=True)) == [
        "Before",
        "After",
    ]


def test_the_receipt_counts_changes_after_submitting_and_when_the_last_was(alice_client, alice, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "Before", "q2": ""})
    alice_client.post("/c/tech-providers/submit/")
    assert "Changed after submitting" not in alice_client.get("/c/tech-providers/receipt/").content.decode()

    alice_client.post("/c/tech-providers/questions/", {"q1": "After", "q2": ""})
    page = alice_client.get("/c/tech-providers/receipt/").content.decode()
    assert "Changed after submitting" in page
    assert "1 change, on" in page

    alice_client.post("/c/tech-providers/questions/", {"q1": "After again", "q2": ""})
    page = alice_client.get("/c/tech-providers/receipt/").content.decode()
    assert "2 changes, the last on" in page


def test_another_participants_changes_are_not_counted(alice_client, alice, bob, questions):
    alice_client.post("/c/tech-providers/questions/", {"q1": "Mine", "q2": ""})
    alice_client.post("/c/tech-providers/submit/")
    bobs = answer(bob, questions[0], "Bob's")
    Revision.objects.create(answer=bobs, previous_text="Bob's earlier")

    assert "Changed after submitting" not in alice_client.get("/c/tech-providers/receipt/").content.decode()


@pytest.mark.parametrize("both", [True, False])
def test_a_revision_points_at_exactly_one_answer_or_comment(alice, questions, resource, both):
    saved = answer(alice, questions[0], "Text")
    remark = Comment.objects.create(
        response=Response.objects.get(participant=alice), resource=resource, text="x"
    )

    with pytest.raises(IntegrityError):
        Revision.objects.create(answer=saved if both else None, comment=remark if both else None)


def test_a_comment_edit_after_submitting_keeps_its_previous_type_and_proposed_change_too(
    alice_client, alice, resource
):
    alice_client.post(
        COMMENT.format(resource.pk), {"kind": "technical", "text": "Before", "proposed_change": "Old words"}
    )
    alice_client.post("/c/tech-providers/submit/")
    saved = Comment.objects.get()

    alice_client.post(
        f"/c/tech-providers/comments/{saved.pk}/edit/",
        {"kind": "editorial", "text": "After", "proposed_change": "New words"},
    )

    [revision] = saved.revisions.all()
    assert (revision.previous_kind, revision.previous_text, revision.previous_proposed_change) == (
        "technical",
        "Before",
        "Old words",
    )
    saved.refresh_from_db()
    assert (saved.kind, saved.text, saved.proposed_change) == ("editorial", "After", "New words")


def test_organisers_see_a_comments_earlier_versions_on_its_page(client, mona, alice_client, alice, resource):
    alice_client.post(
        COMMENT.format(resource.pk), {"kind": "technical", "text": "Before", "proposed_change": "Old words"}
    )
    alice_client.post("/c/tech-providers/submit/")
    saved = Comment.objects.get()
    alice_client.post(f"/c/tech-providers/comments/{saved.pk}/edit/", {"kind": "general", "text": "After"})
    client.force_login(mona)

    page = client.get(f"/admin/feedback/comment/{saved.pk}/change/").content.decode()

    earlier = page[page.index('class="earlier-versions"') :]
    earlier = earlier[: earlier.index("</ol>")]
    assert "Technical" in earlier and "Before" in earlier and "Old words" in earlier
    assert "After" not in earlier


def test_erasure_empties_the_earlier_proposed_changes(alice_client, alice, resource, olga):
    from feedback.models import Participant
    from feedback.organising import lifecycle

    alice_client.post(COMMENT.format(resource.pk), {"text": "Before", "proposed_change": "Old words"})
    alice_client.post("/c/tech-providers/submit/")
    saved = Comment.objects.get()
    alice_client.post(f"/c/tech-providers/comments/{saved.pk}/edit/", {"kind": "general", "text": "After"})

    lifecycle.erase_participants(
        participants=Participant.objects.filter(pk=alice.pk), by=olga, reason="Asked"
    )

    assert list(Revision.objects.values_list("previous_text", "previous_proposed_change")) == [("", "")]
