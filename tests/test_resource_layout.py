"""Each process keeps a draft's sections and paragraphs, and the markup that is the same for every participant,
until the content version of a consultation using the draft rises (feedback/participation/document.py); every
change to the draft's text raises it, so the next resource page of any process shows the change."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from feedback.models import (
    Comment,
    Consultation,
    Resource,
    ResourceParagraph,
    ResourceVersion,
    Response,
    touch_resource_consultations,
)
from feedback.organising import drafts, versions

PAGE = "/c/tech-providers/resources/{}/"


@pytest.fixture
def paragraphs(resource) -> list[ResourceParagraph]:
    section = resource.sections.get(position=1)
    return [
        section.paragraphs.create(number=1, text="Agencies should document every model they deploy."),
        section.paragraphs.create(number=2, text="Audits happen once a year."),
    ]


def version(consultation: Consultation) -> int:
    return Consultation.objects.values_list("content_version", flat=True).get(pk=consultation.pk)


def page(client: Client, resource: Resource) -> str:
    response = client.get(PAGE.format(resource.pk))
    assert response.status_code == 200
    return response.content.decode()


def test_the_draft_is_read_once_per_process_and_version(alice_client, resource, paragraphs):
    page(alice_client, resource)
    with CaptureQueriesContext(connection) as captured:
        again = page(alice_client, resource)

    assert "Audits happen once a year." in again
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    for table in (
        "feedback_resourceparagraph",
        "feedback_resourcesection",
        'feedback_resource"',
        "feedback_resourceversion",
    ):
        assert table not in tables
    # The participant, then their comments on the draft (and the session, where no cache holds it).
    queries = [query["sql"] for query in captured.captured_queries if "django_session" not in query["sql"]]
    assert len(queries) == 2, queries


def test_an_edited_paragraph_and_heading_are_on_the_next_page(alice_client, resource, paragraphs):
    page(alice_client, resource)
    paragraph = ResourceParagraph.objects.get(pk=paragraphs[1].pk)  # as the admin would read it
    paragraph.text = "Audits happen twice a year."
    paragraph.save()
    section = resource.sections.get(position=1)
    section.heading = "Principles, revised"
    section.save()

    shown = page(alice_client, resource)

    assert "Audits happen twice a year." in shown
    assert "once a year" not in shown
    assert "Principles, revised" in shown


def test_a_renamed_resource_is_on_the_next_page(alice_client, resource, paragraphs):
    page(alice_client, resource)
    renamed = Resource.objects.get(pk=resource.pk)
    renamed.title = "Principles, second draft"
    renamed.save()

    assert "Principles, second draft" in page(alice_client, resource)


def test_a_draft_imported_again_is_on_the_next_page(alice_client, resource, paragraphs, olga):
    page(alice_client, resource)
    draft = drafts.read_draft(b"# New principles\n\nEverything was rewritten.\n", filename="draft.md")

    stored = versions.import_version(resource=resource, draft=draft, source_name="draft.md", by=olga)

    assert stored.replaced  # nobody had commented: the text is replaced, in the same version
    shown = page(alice_client, resource)
    assert "Everything was rewritten." in shown
    assert "Audits happen once a year." not in shown


def test_a_new_version_is_what_the_next_page_shows(alice_client, alice, resource, paragraphs, olga):
    response, _created = Response.objects.get_or_create(participant=alice)
    Comment.objects.create(
        response=response,
        resource=resource,
        section=paragraphs[0].section,
        paragraph=paragraphs[0],
        text="Which?",
    )
    page(alice_client, resource)
    draft = drafts.read_draft(b"# Principles\n\nA second version.\n", filename="v2.md")

    stored = versions.import_version(resource=resource, draft=draft, source_name="v2.md", by=olga)

    assert not stored.replaced and stored.version.number == 2
    shown = page(alice_client, resource)
    assert "A second version." in shown
    assert "Your comments on an earlier version" in shown


@pytest.mark.parametrize(
    "change", ["paragraph saved", "section saved", "resource saved", "version added", "bulk"]
)
def test_every_change_to_a_draft_raises_the_version_of_its_consultations(
    change, consultation, resource, paragraphs
):
    before = version(consultation)
    if change == "paragraph saved":
        paragraphs[0].save()
    elif change == "section saved":
        resource.sections.get(position=1).save()
    elif change == "resource saved":
        Resource.objects.get(pk=resource.pk).save()
    elif change == "version added":
        ResourceVersion.objects.create(resource=resource, number=2)
    else:
        ResourceParagraph.objects.filter(pk=paragraphs[0].pk).update(text="Bulk")
        touch_resource_consultations([resource.pk])
    assert version(consultation) > before


def test_update_behind_the_models_back_shows_only_once_the_version_rises(alice_client, resource, paragraphs):
    page(alice_client, resource)
    ResourceParagraph.objects.filter(pk=paragraphs[1].pk).update(text="Changed without a word.")
    assert "Audits happen once a year." in page(alice_client, resource)

    touch_resource_consultations([resource.pk])
    assert "Changed without a word." in page(alice_client, resource)


def test_kept_forms_carry_each_participants_own_tokens_and_a_new_draft_key(
    alice_client, alice, bob, resource, paragraphs
):
    bob_client = Client()
    bob_client.post(f"/i/{bob.token}/")

    first, second, bobs = (
        page(alice_client, resource),
        page(alice_client, resource),
        page(bob_client, resource),
    )

    def tokens(html: str) -> tuple[set[str], list[str], set[str]]:
        csrf = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        keys = re.findall(r'name="draft_key" value="([^"]+)"', html)
        storage = set(re.findall(r'data-storage-key="(feedback:[^":]+:\d+)', html))
        return csrf, keys, storage

    alice_csrf, alice_keys, alice_storage = tokens(first)
    _csrf, later_keys, _storage = tokens(second)
    bob_csrf, bob_keys, bob_storage = tokens(bobs)
    # One new-comment form for the section and one for the whole resource, each with a draft key of its own.
    assert len(alice_keys) == len(set(alice_keys)) == 2
    assert not set(alice_keys) & set(later_keys) and not set(alice_keys) & set(bob_keys)
    assert len(alice_csrf) == len(bob_csrf) == 1 and alice_csrf != bob_csrf
    assert alice_storage == {f"feedback:tech-providers:{alice.pk}"}
    assert bob_storage == {f"feedback:tech-providers:{bob.pk}"}
    for stand_in in ("csrf", "storage", "draftkey"):
        assert not re.search(rf"{stand_in}[0-9a-f]{{24}}", first)
