"""Rules the database itself enforces."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from feedback.models import Answer, Consultation, Response
from tests.conftest import answer


def test_one_answer_per_response_and_question(alice, questions):
    answer(alice, questions[0], "First")
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(response=alice.response, question=questions[0], text="Second")


def test_one_response_per_participant(alice):
    Response.objects.create(participant=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(participant=alice)


def test_statuses_outside_the_list_are_refused(alice, questions):
    saved = answer(alice, questions[0], "Text")
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.filter(pk=saved.pk).update(status="deleted")
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.filter(pk=alice.response.pk).update(status="archived")


def test_a_submitted_response_has_a_submission_time(alice):
    response = Response.objects.create(participant=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.filter(pk=response.pk).update(status="submitted", submitted_at=None)


def test_feedback_window_must_close_after_it_opens(db):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Consultation.objects.create(
            title="x", slug="x", stakeholder_group="x", opens_at=now, closes_at=now - timedelta(1)
        )


def test_participant_input_cannot_be_deleted_by_accident(alice, questions):
    answer(alice, questions[0], "Text")
    with pytest.raises(ProtectedError):
        alice.consultation.delete()
    with pytest.raises(ProtectedError):
        alice.delete()
    with pytest.raises(ProtectedError):
        questions[0].delete()
