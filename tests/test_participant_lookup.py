"""The participant lookup of every participant request is one hand-written query (feedback/participation/access.py,
rows.py): it finds exactly whom the ORM's query would, and builds the same participant and response."""

from datetime import timedelta

import pytest
from django.db.models import Model
from django.utils import timezone

from feedback.models import Consultation, Participant, Question, Response
from feedback.participation.access import find_participant
from tests.conftest import answer


def orm_lookup(participant_id: int, slug: str) -> Participant | None:
    """What participant_for asked the ORM before."""
    return (
        Participant.objects.select_related("consultation", "response")
        .filter(pk=participant_id, consultation__slug=slug, consultation__is_published=True, is_revoked=False)
        .exclude(invite_expires_at__lte=timezone.now())
        .first()
    )


def values(instance: Model) -> dict[str, object]:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.mark.parametrize(
    "case",
    [
        "bound",
        "no response yet",
        "submitted",
        "expires later",
        "expired",
        "revoked",
        "unpublished",
        "another consultation's slug",
        "unknown slug",
        "unknown participant",
    ],
)
def test_the_lookup_finds_whom_the_orm_finds_with_the_same_fields(case, alice, carol, consultation):
    now = timezone.now()
    Response.objects.create(participant=alice, last_edited_at=now)
    participant_id, slug = alice.pk, consultation.slug
    if case == "no response yet":
        Response.objects.filter(participant=alice).delete()
    elif case == "submitted":
        Response.objects.filter(participant=alice).update(status="submitted", submitted_at=now)
    elif case == "expires later":
        Participant.objects.filter(pk=alice.pk).update(invite_expires_at=now + timedelta(days=1))
    elif case == "expired":
        Participant.objects.filter(pk=alice.pk).update(invite_expires_at=now - timedelta(seconds=1))
    elif case == "revoked":
        Participant.objects.filter(pk=alice.pk).update(is_revoked=True)
    elif case == "unpublished":
        Consultation.objects.filter(pk=consultation.pk).update(is_published=False)
    elif case == "another consultation's slug":
        slug = carol.consultation.slug
    elif case == "unknown slug":
        slug = "no-such-consultation"
    elif case == "unknown participant":
        participant_id = carol.pk + alice.pk + 1000

    expected = orm_lookup(participant_id, slug)
    found = find_participant(participant_id, slug)

    if expected is None:
        assert found is None
        return
    participant, kept = found
    assert values(participant) == values(expected)
    assert participant._state.adding is False and participant._state.db == "default"
    assert participant.consultation.pk == expected.consultation.pk
    assert participant.consultation.content_version == kept.version
    try:
        expected_response = expected.response
    except Response.DoesNotExist:
        with pytest.raises(Response.DoesNotExist):
            participant.response  # noqa: B018
    else:
        assert values(participant.response) == values(expected_response)
        assert participant.response.participant is participant


def test_the_participant_found_can_be_saved_and_read_like_any_other(
    alice, consultation, django_assert_num_queries
):
    Response.objects.create(participant=alice)
    participant, _kept = find_participant(alice.pk, consultation.slug)

    with django_assert_num_queries(0):
        assert participant.response.participant_id == alice.pk
        assert participant.consultation.slug == consultation.slug
        assert participant.has_confirmed_profile
    participant.role = "Chief scientist"
    participant.save(update_fields=["role"])

    assert Participant.objects.get(pk=alice.pk).role == "Chief scientist"


def test_the_question_page_reads_the_answers_the_orm_would(alice, questions):
    from feedback.participation.views import ANSWER_FORM_COLUMNS

    answer(alice, questions[0], "Line one\nline «two» & three")
    choice = Question.objects.create(
        consultation=questions[0].consultation,
        number=3,
        text="Which?",
        kind="multiple_choice",
        choices="A\nB\nC",
    )
    answer(alice, choice, "", selected=["A", "C"])
    response = Response.objects.get(participant=alice)
    fields = ["id", "response_id", "question_id", "text", "selected", "updated_at"]

    read = ANSWER_FORM_COLUMNS.where("default", response=response.pk)
    expected = response.answers.order_by().only(*fields)

    assert sorted(({f: getattr(a, f) for f in fields} for a in read), key=lambda a: a["id"]) == sorted(
        ({f: getattr(a, f) for f in fields} for a in expected), key=lambda a: a["id"]
    )
    assert {tuple(a.selected) for a in read} == {(), ("A", "C")}
