"""An organiser imports invitees from a CSV file in Chromium: upload, preview with refused rows, confirm."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from feedback.models import Consultation, Participant
from tests.browser.conftest import organiser, screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CSV = (
    "name,email,organisation,organisation_type,country\n"
    "Dara Quinn,dara@example.org,Lumen Vision,provider_le_only,IE\n"
    "Bad Email,not-an-email,,,\n"
    "Eli Sato,eli@example.org,Kaiju Labs,Industry,Japan\n"
)


@pytest.fixture
def signed_in(live_server, page: Page) -> Page:
    now = timezone.now()
    Consultation.objects.create(
        title="Technology providers",
        slug="tech",
        stakeholder_group="Technology providers",
        opens_at=now,
        closes_at=now + timedelta(days=20),
    )
    sign_in(page, live_server.url, *organiser())
    return page


def test_an_organiser_imports_invitees_with_a_preview(signed_in: Page, live_server, tmp_path):
    page = signed_in
    csv_file = tmp_path / "invitees.csv"
    csv_file.write_text(CSV)

    page.goto(f"{live_server.url}/admin/feedback/participant/")
    page.get_by_role("link", name="Import invitees").click()
    page.select_option("#id_consultation", label="Technology providers")
    page.set_input_files("#id_file", str(csv_file))
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#refused-rows")).to_contain_text("Invalid email address.")
    expect(page.locator("#rows-to-add")).to_contain_text("Kaiju Labs")
    screenshot(page, "import-preview")
    assert not Participant.objects.exists()

    page.get_by_role("button", name="Add 2 invitees").click()

    expect(page.locator(".messagelist")).to_contain_text("Added 2 invitees to Technology providers.")
    assert set(Participant.objects.values_list("email", flat=True)) == {"dara@example.org", "eli@example.org"}
