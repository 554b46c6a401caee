"""Organisers import drafts in the admin: upload, preview of sections and numbered paragraphs, confirm; hostile
files are refused with their message and nothing is stored; a re-import replaces or makes a new version."""

import io
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback.admin import drafts as admin_drafts
from feedback.models import (
    AuditEvent,
    Comment,
    ConsultationResource,
    Resource,
    ResourceParagraph,
    ResourceSection,
    ResourceVersion,
    Response,
)
from feedback.organising import drafts
from tests.test_draft_import import BILLION_LAUGHS, _docx_bytes, _odt_bytes, _replace_in_zip


def upload(client, url: str, data: bytes, name: str, **fields):
    return client.post(url, {"file": SimpleUploadedFile(name, data), **fields})


def payload_of(page: str) -> str:
    return re.search(r'name="payload" value="([^"]+)"', page).group(1)


def import_url(consultation) -> str:
    return f"/admin/feedback/consultation/{consultation.pk}/import-draft/"


def version_url(resource) -> str:
    return f"/admin/feedback/resource/{resource.pk}/import-draft/"


def nothing_stored() -> bool:
    return not ResourceVersion.objects.filter(source_name__gt="").exists()


@pytest.mark.parametrize(
    ("name", "data"), [("toolkit.docx", _docx_bytes(title="Toolkit draft")), ("toolkit.odt", _odt_bytes())]
)
def test_organiser_previews_then_stores_a_docx_or_odt_as_a_new_resource(
    olga_client, consultation, name, data
):
    form = olga_client.get(import_url(consultation))
    preview = upload(olga_client, import_url(consultation), data, name, title="Toolkit, draft 1")
    page = preview.content.decode()

    assert form.status_code == 200
    assert preview.status_code == 200
    assert "4 sections and 9 numbered paragraphs" in page
    assert "1.1 ¶2" in page and "Table row" in page and "Caption" in page and "List item" in page
    assert "Necessity and proportionality" in page
    assert "Toolkit, draft 1" in page
    assert nothing_stored()
    assert default_storage.listdir(admin_drafts.PENDING_DIR)[1]

    stored = olga_client.post(f"{import_url(consultation)}confirm/", {"payload": payload_of(page)})

    resource = Resource.objects.get(title="Toolkit, draft 1")
    assert stored.status_code == 302
    assert stored["Location"] == f"/admin/feedback/resource/{resource.pk}/change/"
    assert ConsultationResource.objects.filter(consultation=consultation, resource=resource).exists()
    version = resource.versions.get()
    assert (version.number, version.source_name, version.imported_by.username) == (1, name, "olga")
    assert list(version.sections.values_list("number", "heading")) == [
        ("0", ""),
        ("1", "Introduction"),
        ("1.1", "Scope"),
        ("2", "Risk assessment"),
    ]
    assert ResourceParagraph.objects.get(section__version=version, section__number="1.1", number=2).text == (
        "Principle | Kind"
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DRAFT, actor__username="olga").count() == 1
    # The file waited on the server and is gone once stored.
    assert default_storage.listdir(admin_drafts.PENDING_DIR)[1] == []
    change = olga_client.get(stored["Location"]).content.decode()
    assert "Import a new text/version" in change
    assert re.search(
        rf"<td>v1</td><td>{re.escape(name)}</td>.*<td>olga</td><td>4</td><td>9</td><td>0</td>", change
    )


HOSTILE = {
    "wrong type": (
        b"<html><body><h1>Not Word</h1></body></html>",
        "draft.docx",
        "really an HTML or XML text",
    ),
    "entities": (
        _replace_in_zip(_docx_bytes(), "word/document.xml", BILLION_LAUGHS),
        "laughs.docx",
        "XML entities",
    ),
    "no headings": (b"Just text.\n\nMore.\n", "flat.md", "Heading 1"),
    "unsupported": (b"%PDF-1.7", "draft.pdf", "is none of these"),
}


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (drafts.MAX_ZIP_ENTRY_BYTES + 1))
    return buffer.getvalue()


HOSTILE["zip bomb"] = (_zip_bomb(), "bomb.docx", "zip bomb")


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_shows_its_message_on_the_upload_page_and_stores_nothing(
    olga_client, consultation, case
):
    data, name, message = HOSTILE[case]

    page = upload(olga_client, import_url(consultation), data, name)

    assert page.status_code == 200
    assert message in page.content.decode()
    assert 'name="payload"' not in page.content.decode()
    assert nothing_stored()
    assert not Resource.objects.exclude(consultation_links__consultation=consultation).exists()


def test_a_file_over_the_limit_is_refused_by_its_size_before_it_is_read(
    olga_client, consultation, monkeypatch
):
    monkeypatch.setattr("feedback.admin.forms.DRAFT_MAX_BYTES", 1000)
    monkeypatch.setattr(admin_drafts, "read_draft", lambda *args, **kwargs: pytest.fail("read"))

    page = upload(olga_client, import_url(consultation), b"# Big\n\n" + b"word " * 400, "big.md")

    assert "The file is larger than" in page.content.decode()
    assert 'name="payload"' not in page.content.decode()
    assert nothing_stored()


def test_a_changed_or_foreign_preview_is_refused_and_stores_nothing(olga_client, consultation, resource):
    page = upload(olga_client, import_url(consultation), _docx_bytes(), "toolkit.docx").content.decode()
    payload = payload_of(page)

    edited = olga_client.post(f"{import_url(consultation)}confirm/", {"payload": payload[:-2] + "xx"})
    # Signed for the consultation page: not accepted as a new version of a resource.
    elsewhere = olga_client.post(f"{version_url(resource)}confirm/", {"payload": payload})

    assert edited.status_code == 400
    assert "Upload the file again" in edited.content.decode()
    assert elsewhere.status_code == 400
    assert nothing_stored()


def test_staff_who_may_not_add_resources_cannot_import(client, mona, consultation, resource):
    client.force_login(mona)

    assert client.get(import_url(consultation)).status_code == 403
    assert upload(client, import_url(consultation), _docx_bytes(), "t.docx").status_code == 403
    assert upload(client, version_url(resource), _docx_bytes(), "t.docx").status_code == 403
    assert nothing_stored()


def _import_version(client, resource, data: bytes, name: str) -> str:
    page = upload(client, version_url(resource), data, name).content.decode()
    client.post(f"{version_url(resource)}confirm/", {"payload": payload_of(page)})
    return page


def test_reimporting_before_any_comment_replaces_the_text(olga_client, resource):
    page = _import_version(olga_client, resource, _docx_bytes(), "toolkit.docx")

    assert "its text will be replaced" in page
    assert list(resource.versions.values_list("number", flat=True)) == [1]
    assert resource.versions.get().sections.count() == 4


def test_reimporting_after_comments_makes_version_two_and_previews_what_is_found(
    olga_client, resource, alice
):
    _import_version(olga_client, resource, _docx_bytes(), "toolkit.docx")
    version = resource.versions.get()
    paragraph = ResourceParagraph.objects.get(section__version=version, section__number="1", number=1)
    response, _created = Response.objects.get_or_create(participant=alice)
    Comment.objects.create(
        response=response,
        resource=resource,
        section=paragraph.section,
        paragraph=paragraph,
        quote="responsible AI",
        quote_start=paragraph.text.index("responsible AI"),
        text="Define responsible.",
    )
    Comment.objects.create(
        response=response,
        resource=resource,
        section=ResourceSection.objects.get(version=version, number="2"),
        text="On risk.",
    )
    changed = _docx_bytes().replace(b"Assess each risk.", b"Assess every risk.")

    page = _import_version(olga_client, resource, changed, "toolkit-v2.docx")

    assert "this text will become version 2" in page
    assert "2 comments found exactly" in page
    assert list(resource.versions.values_list("number", flat=True)) == [1, 2]
    assert resource.versions.get(number=2).source_name == "toolkit-v2.docx"
    # Comments stay on the words they were about.
    assert set(Comment.objects.values_list("version__number", flat=True)) == {1}


def test_the_resource_page_lists_versions_and_keeps_hand_typed_sections_editable(
    olga_client, resource, django_assert_max_num_queries
):
    for number in (2, 3):
        ResourceVersion.objects.create(resource=resource, number=number)
    with django_assert_max_num_queries(20):
        page = olga_client.get(f"/admin/feedback/resource/{resource.pk}/change/").content.decode()

    assert re.search(r'<table id="resource-versions">.*<td>v3</td>.*<td>v2</td>.*<td>v1</td><td>—</td>', page)
    # Hand-typed sections edit the newest version, which has none yet.
    assert "Sections of the newest version" in page
    assert "Core principles" not in page
