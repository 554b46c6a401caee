"""Duplicating a consultation to start the next one in the series."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from feedback.models import AuditEvent, Codebook, Consultation, ConsultationResource, Question, Resource
from feedback.organising import lifecycle
from tests.conftest import answer

CHANGELIST = "/admin/feedback/consultation/"


@pytest.fixture
def series(consultation, resource, questions, alice, bob) -> Consultation:
    """The consultation with a code book, two resources, scale and choice questions, and answers."""
    consultation.codebook = Codebook.objects.create(name="Toolkit principles")
    consultation.summary = "Summary."
    consultation.contact_email = "team@example.org"
    consultation.confidentiality = "Restricted"
    consultation.time_zone = "America/New_York"
    consultation.save()
    annex = Resource.objects.create(title="Annex", category=Resource.Category.SUPPORTING)
    ConsultationResource.objects.create(consultation=consultation, resource=annex, position=5)
    Question.objects.create(
        consultation=consultation,
        number=3,
        text="How mature is it?",
        help_text="Pick one.",
        kind=Question.Kind.SCALE,
        scale_min_label="Not at all",
        scale_max_label="Fully",
        is_required=True,
        max_length=300,
        resource=resource,
    )
    answer(alice, questions[0], "An answer.")
    return consultation


def duplicate(client, consultations):
    data = {"action": "duplicate", "index": 0, ACTION_CHECKBOX_NAME: [c.pk for c in consultations]}
    return client.post(CHANGELIST, data)


QUESTION_FIELDS = [
    "number",
    "text",
    "help_text",
    "kind",
    "choices",
    "scale_min_label",
    "scale_max_label",
    "is_required",
    "max_length",
    "resource_id",
]


def test_the_copy_has_the_set_up_and_no_participants(olga_client, series):
    response = duplicate(olga_client, [series])

    assert response.status_code == 302
    copy = Consultation.objects.get(slug="tech-providers-copy")
    assert copy.title == "Technology providers' consultation (copy)"
    assert not copy.is_published
    for field in [
        "stakeholder_group",
        "summary",
        "background",
        "meeting_starts_at",
        "meeting_ends_at",
        "time_zone",
        "opens_at",
        "closes_at",
        "confidentiality",
        "contact_email",
        "codebook_id",
    ]:
        assert getattr(copy, field) == getattr(series, field), field
    assert list(copy.resource_links.values_list("resource__title", "position")) == list(
        series.resource_links.values_list("resource__title", "position")
    )
    assert list(copy.questions.values_list(*QUESTION_FIELDS)) == list(
        series.questions.values_list(*QUESTION_FIELDS)
    )
    assert not copy.participants.exists()
    assert series.participants.count() == 2
    assert series.questions.get(number=1).answers.count() == 1


def test_duplicating_again_finds_a_free_slug(olga_client, series):
    duplicate(olga_client, [series])
    duplicate(olga_client, [series])
    duplicate(olga_client, [Consultation.objects.get(slug="tech-providers-copy")])

    slugs = set(Consultation.objects.values_list("slug", flat=True))

    assert slugs == {
        "tech-providers",
        "tech-providers-copy",
        "tech-providers-copy-2",
        "tech-providers-copy-copy",
    }


def test_duplicating_is_recorded_and_reported_with_a_link(olga_client, olga, series, other_consultation):
    response = duplicate(olga_client, [series, other_consultation])

    copies = Consultation.objects.filter(slug__in=["tech-providers-copy", "academia-copy"])
    assert copies.count() == 2
    events = AuditEvent.objects.filter(action=AuditEvent.Action.DUPLICATE)
    assert {(e.consultation_id, e.details["from"], e.actor_id) for e in events} == {
        (Consultation.objects.get(slug="tech-providers-copy").pk, series.pk, olga.pk),
        (Consultation.objects.get(slug="academia-copy").pk, other_consultation.pk, olga.pk),
    }
    page = olga_client.get(response["Location"]).content.decode()
    assert "Created 2 unpublished copies, without participants" in page
    for copy in copies:
        assert f'<a href="/admin/feedback/consultation/{copy.pk}/change/">' in page


def test_a_long_title_and_slug_still_fit(olga, series):
    series.title = "T" * 300
    series.slug = "s" * 100
    series.save()

    copy = lifecycle.duplicate_consultation(consultation=series, by=olga)

    assert copy.title.endswith(" (copy)")
    assert len(copy.title) == 300
    assert copy.slug.endswith("-copy")
    assert len(copy.slug) <= 100


@pytest.mark.parametrize("persona", ["mona", "ann"])
def test_moderators_and_analysts_cannot_duplicate(client, series, persona, request):
    client.force_login(request.getfixturevalue(persona))

    duplicate(client, [series])

    assert Consultation.objects.count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DUPLICATE).exists()


def test_duplicating_costs_the_same_for_2_and_20_questions(olga, series, django_assert_max_num_queries):
    with django_assert_max_num_queries(30) as few:
        lifecycle.duplicate_consultation(consultation=series, by=olga)
    for number in range(4, 22):
        Question.objects.create(consultation=series, number=number, text=f"Question {number}")

    with django_assert_max_num_queries(len(few)):
        copy = lifecycle.duplicate_consultation(consultation=series, by=olga)

    assert copy.questions.count() == 21
