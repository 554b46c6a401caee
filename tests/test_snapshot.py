"""Each process keeps what participant pages read of a consultation (the consultation, its questions, whether
responses are published) until the consultation's content version rises; every change to those rows raises it in
the same transaction, so the next request of any process sees the change (feedback/participation/snapshot.py).
tests/test_scale_out.py checks the same across two gunicorn instances."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import Consultation, ConsultationResource, Question, Resource, touch_consultations
from feedback.participation import snapshot

PAGE = "/c/tech-providers/questions/"


def version(consultation: Consultation) -> int:
    return Consultation.objects.values_list("content_version", flat=True).get(pk=consultation.pk)


def test_the_question_page_reads_the_questions_once_per_process_and_version(alice_client, questions):
    first = alice_client.get(PAGE)
    with CaptureQueriesContext(connection) as captured:
        again = alice_client.get(PAGE)

    assert first.status_code == again.status_code == 200
    assert "What are your thoughts?" in again.content.decode()
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert "feedback_question" not in tables
    assert "feedback_consultationresource" not in tables


def test_a_change_to_a_question_is_on_the_next_page(alice_client, questions, consultation):
    assert "What are your thoughts?" in alice_client.get(PAGE).content.decode()
    question = Question.objects.get(pk=questions[0].pk)  # as another process (the admin) would read it

    question.text = "What do you think now?"
    question.save()

    page = alice_client.get(PAGE).content.decode()
    assert "What do you think now?" in page
    assert "What are your thoughts?" not in page


def test_a_process_reads_the_rows_again_only_when_the_version_rises(alice_client, questions, consultation):
    """As a process sees a change made by another one: only through the version read with the participant."""
    alice_client.get(PAGE)
    # Behind the models' back (update() sends no signal): this process keeps what it read...
    Question.objects.filter(pk=questions[0].pk).update(text="Changed without a word")
    assert "What are your thoughts?" in alice_client.get(PAGE).content.decode()

    # ...until the version rises, as every model write does in the same transaction.
    touch_consultations([consultation.pk])
    assert "Changed without a word" in alice_client.get(PAGE).content.decode()


def test_a_new_question_and_a_deleted_one_are_on_the_next_page(alice_client, questions, consultation):
    alice_client.get(PAGE)
    Question.objects.create(consultation=consultation, number=3, text="A third question?")
    questions[1].delete()

    page = alice_client.get(PAGE).content.decode()
    assert "A third question?" in page
    assert "Anything problematic?" not in page


def test_autosave_takes_a_question_added_since_the_page_was_read(alice_client, questions, consultation):
    alice_client.get(PAGE)
    Question.objects.create(consultation=consultation, number=3, text="A third question?")

    saved = alice_client.post("/c/tech-providers/autosave/", {"field": "q3", "q3": "Yes"})
    assert saved.status_code == 200, saved.content


def test_published_responses_show_in_the_navigation_on_the_next_page(alice_client, questions, resource):
    assert "Responses to your comments" not in alice_client.get(PAGE).content.decode()
    link = ConsultationResource.objects.get(resource=resource)

    link.responses_published_at = timezone.now()
    link.save()

    assert "Responses to your comments" in alice_client.get(PAGE).content.decode()


def test_a_change_to_the_consultation_is_on_the_next_page(alice_client, questions, consultation):
    alice_client.get(PAGE)
    copy = Consultation.objects.get(pk=consultation.pk)

    copy.confidentiality = "Restricted: organisers only"
    copy.save(update_fields=["confidentiality"])

    assert "Restricted: organisers only" in alice_client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    "change",
    [
        "consultation saved",
        "consultation saved with update_fields",
        "question added",
        "question changed",
        "question deleted",
        "resource linked",
        "resource link changed",
        "resource unlinked",
    ],
)
def test_every_change_to_what_the_pages_keep_raises_the_version(change, consultation, questions, resource):
    before = version(consultation)
    link = ConsultationResource.objects.get(consultation=consultation, resource=resource)
    if change == "consultation saved":
        Consultation.objects.get(pk=consultation.pk).save()
    elif change == "consultation saved with update_fields":
        fresh = Consultation.objects.get(pk=consultation.pk)
        fresh.closes_at += timedelta(days=1)
        fresh.save(update_fields=["closes_at"])
    elif change == "question added":
        Question.objects.create(consultation=consultation, number=9, text="Nine?")
    elif change == "question changed":
        questions[0].help_text = "Help"
        questions[0].save()
    elif change == "question deleted":
        questions[1].delete()
    elif change == "resource linked":
        other = Resource.objects.create(title="Another draft", category=Resource.Category.SUPPORTING)
        ConsultationResource.objects.create(consultation=consultation, resource=other, position=2)
    elif change == "resource link changed":
        link.responses_published_at = timezone.now()
        link.save()
    elif change == "resource unlinked":
        link.delete()
    assert version(consultation) > before


def test_saving_a_copy_read_earlier_never_lowers_the_version(consultation):
    early = Consultation.objects.get(pk=consultation.pk)
    later = Consultation.objects.get(pk=consultation.pk)
    later.save()
    held = version(consultation)

    early.save()

    assert version(consultation) > held
    assert early.content_version == version(consultation)


def test_a_snapshot_is_shared_and_its_consultation_copied_per_request(consultation, questions):
    kept = snapshot.snapshot(consultation.pk, version(consultation))

    assert snapshot.snapshot(consultation.pk, version(consultation)) is kept
    assert [q.number for q in kept.questions] == [1, 2]
    assert kept.question(2).text == "Anything problematic?"
    assert kept.consultation() is not kept.consultation()
    assert kept.consultation().title == consultation.title
