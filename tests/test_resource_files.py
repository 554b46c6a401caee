"""Files attached to draft resources: only invited participants of a consultation using the resource get them."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback.models import RESOURCE_FILE_MAX_BYTES, ConsultationResource, Resource

FILE = "/c/{}/resources/{}/file/"


@pytest.fixture
def with_file(resource) -> Resource:
    resource.file = SimpleUploadedFile(
        "toolkit-principles.pdf", b"%PDF-1.7 draft", content_type="application/pdf"
    )
    resource.save()
    return resource


def test_an_invited_participant_downloads_the_file_as_a_private_attachment(alice_client, alice, with_file):
    response = alice_client.get(FILE.format("tech-providers", with_file.pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 draft"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "toolkit-principles" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_the_resource_page_links_the_download(alice_client, alice, with_file):
    page = alice_client.get(f"/c/tech-providers/resources/{with_file.pk}/").content.decode()

    assert f'href="/c/tech-providers/resources/{with_file.pk}/file/"' in page


def test_a_visitor_without_an_invitation_gets_not_found(client, alice, with_file):
    assert client.get(FILE.format("tech-providers", with_file.pk)).status_code == 404


def test_a_participant_of_another_consultation_gets_not_found(client, carol, with_file):
    client.post(f"/i/{carol.token}/")

    assert client.get(FILE.format("academia", with_file.pk)).status_code == 404
    assert client.get(FILE.format("tech-providers", with_file.pk)).status_code == 404


def test_a_revoked_participant_gets_not_found(alice_client, alice, with_file):
    alice.is_revoked = True
    alice.save()

    assert alice_client.get(FILE.format("tech-providers", with_file.pk)).status_code == 404


def test_a_resource_without_a_file_has_no_download(alice_client, alice, resource):
    assert alice_client.get(FILE.format("tech-providers", resource.pk)).status_code == 404
    assert "/file/" not in alice_client.get(f"/c/tech-providers/resources/{resource.pk}/").content.decode()


def test_a_file_shared_by_two_consultations_downloads_in_both(client, other_consultation, carol, with_file):
    ConsultationResource.objects.create(consultation=other_consultation, resource=with_file, position=1)
    client.post(f"/i/{carol.token}/")

    assert client.get(FILE.format("academia", with_file.pk)).status_code == 200


@pytest.mark.parametrize("name", ["macro.docm", "page.html", "run.exe", "noextension"])
def test_only_document_formats_are_accepted(resource, name):
    resource.file = SimpleUploadedFile(name, b"content")

    with pytest.raises(ValidationError) as error:
        resource.full_clean()

    assert "file" in error.value.message_dict


def test_files_over_20_mb_are_refused(resource):
    big = SimpleUploadedFile("big.pdf", b"")
    big.size = RESOURCE_FILE_MAX_BYTES + 1
    resource.file = big

    with pytest.raises(ValidationError) as error:
        resource.full_clean()

    assert error.value.message_dict["file"] == ["The file is larger than 20 MB."]


@pytest.mark.parametrize(
    "name", ["draft.pdf", "draft.DOCX", "sheet.xlsx", "notes.txt", "slides.pptx", "d.odt"]
)
def test_document_formats_up_to_20_mb_are_accepted(resource, name):
    resource.file = SimpleUploadedFile(name, b"content")

    resource.full_clean()


def test_organisers_upload_a_file_in_the_admin(olga_client, resource):
    olga_client.post(
        f"/admin/feedback/resource/{resource.pk}/change/",
        {
            "title_en": resource.title,
            "category": resource.category,
            "version_label": resource.version_label,
            "summary_en": "",
            "file": SimpleUploadedFile("upload.pdf", b"%PDF uploaded"),
            "sections-TOTAL_FORMS": 1,
            "sections-INITIAL_FORMS": 1,
            "sections-0-id": resource.sections.get().pk,
            "sections-0-resource": resource.pk,
            "sections-0-position": 1,
            "sections-0-heading_en": "Core principles",
            "sections-0-body_en": "Lawfulness, ...",
        },
    )

    resource.refresh_from_db()
    assert resource.file.name.startswith("resources/upload")
    assert resource.file.read() == b"%PDF uploaded"


def test_media_is_never_served_from_a_public_url(client, with_file):
    assert client.get("/media/" + with_file.file.name).status_code == 404


def post_resource_file(client, resource: Resource, upload: SimpleUploadedFile):
    return client.post(
        f"/admin/feedback/resource/{resource.pk}/change/",
        {
            "title_en": resource.title,
            "category": resource.category,
            "version_label": resource.version_label,
            "summary_en": "",
            "file": upload,
            "sections-TOTAL_FORMS": 0,
            "sections-INITIAL_FORMS": 0,
        },
    )


def office_file(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"<html><script>alert(1)</script></html>"),
        ("report.docx", b"MZ\x90\x00 a program"),
        ("report.xlsx", office_file({"payload.html": b"<script>"})),
        ("report.odt", office_file({"mimetype": b"text/html"})),
        ("notes.txt", b"\x00\x01binary"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(olga_client, resource, name, content):
    response = post_resource_file(olga_client, resource, SimpleUploadedFile(name, content))

    assert response.status_code == 200
    assert "content is not a" in response.content.decode()
    resource.refresh_from_db()
    assert not resource.file


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("draft.docx", office_file({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})),
        ("draft.odt", office_file({"mimetype": b"application/vnd.oasis.opendocument.text"})),
        ("notes.txt", "Notes, UTF-8: é".encode()),
    ],
)
def test_real_documents_are_accepted_in_the_admin(olga_client, resource, name, content):
    assert post_resource_file(olga_client, resource, SimpleUploadedFile(name, content)).status_code == 302

    resource.refresh_from_db()
    assert resource.file.read() == content


def test_a_file_name_with_markup_is_stored_and_served_without_it(olga_client, alice_client, alice, resource):
    upload = SimpleUploadedFile('"><img src=x onerror=alert(1)>.pdf', b"%PDF-1.7")
    post_resource_file(olga_client, resource, upload)

    resource.refresh_from_db()
    download = alice_client.get(FILE.format("tech-providers", resource.pk))
    assert "<" not in resource.file.name and '"' not in resource.file.name
    assert download["Content-Disposition"].startswith("attachment;")
    page = olga_client.get(f"/admin/feedback/resource/{resource.pk}/change/").content.decode()
    assert "<img src=x" not in page
