"""The participant's journey in French, Spanish and Arabic (English: test_journey.py), with axe on every page.

The browser asks for the language (Accept-Language from the context's locale); every label the test clicks is
looked up in the catalogue, so a page left in English fails here.
"""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from feedback.models import Answer, Consultation, ConsultationResource, Participant, Question, Resource
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# What organisers entered per language, and what the participant writes back in it.
CONTENT = {
    "fr": {
        "question": "Quels risques la Boîte à outils devrait-elle mieux traiter ?",
        "choices": "Les principes\nLa feuille de route",
        "section": "Licéité",
        "answer": "Les audits indépendants des fournisseurs, avec accès aux données d'entraînement.",
    },
    "es": {
        "question": "¿Qué riesgos debería tratar mejor el Kit de herramientas?",
        "choices": "Los principios\nLa hoja de ruta",
        "section": "Legalidad",
        "answer": "Las auditorías independientes de los proveedores, con acceso a los datos de entrenamiento.",
    },
    "ar": {
        "question": "ما المخاطر التي ينبغي أن تعالجها مجموعة الأدوات بشكل أفضل؟",
        "choices": "المبادئ\nخارطة الطريق",
        "section": "المشروعية",
        # Mixed scripts, as experts write: a product name and a figure inside Arabic text.
        "answer": "ينبغي إجراء تدقيق مستقل لأنظمة Face-ID مرة كل 12 شهراً على الأقل.",
    },
}


def t(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


@pytest.fixture
def invite_url(live_server) -> str:
    now = timezone.now()
    consultation = Consultation.objects.create(
        title="Technology providers' consultation",
        title_fr="Consultation des fournisseurs de technologies",
        title_es="Consulta a los proveedores de tecnología",
        title_ar="مشاورة مزوّدي التكنولوجيا",
        slug="tech",
        stakeholder_group="Technology providers",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
    )
    Question.objects.create(
        consultation=consultation,
        number=1,
        text="Which risks should the Toolkit address better?",
        is_required=True,
        **{f"text_{code}": content["question"] for code, content in CONTENT.items()},
    )
    Question.objects.create(
        consultation=consultation,
        number=2,
        kind=Question.Kind.SINGLE_CHOICE,
        text="Which resource matters most?",
        choices="Principles\nRoadmap",
        **{f"choices_{code}": content["choices"] for code, content in CONTENT.items()},
    )
    resource = Resource.objects.create(title="Principles for Responsible AI Innovation", category="primary")
    resource.sections.create(
        position=1,
        heading="Lawfulness",
        body="Legitimacy; necessity; proportionality.",
        **{f"heading_{code}": content["section"] for code, content in CONTENT.items()},
    )
    ConsultationResource.objects.create(consultation=consultation, resource=resource, position=1)
    participant = Participant(consultation=consultation, name="Amira Haddad", email="amira@example.org")
    token = participant.issue_token()
    participant.save()
    return f"{live_server.url}/i/{token}/"


@pytest.fixture(
    params=[("fr", DESKTOP), ("fr", PHONE), ("es", DESKTOP), ("ar", DESKTOP), ("ar", PHONE)],
    ids=["fr-desktop", "fr-phone", "es-desktop", "ar-desktop", "ar-phone"],
)
def language_page(request: pytest.FixtureRequest, browser: Browser):
    language, viewport = request.param
    context = browser.new_context(viewport=viewport, locale=language, timezone_id="Asia/Singapore")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.viewport_name = request.node.callspec.id
    yield language, page
    context.close()


def check_page(page: Page, language: str, name: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    screenshot(page, name)
    assert axe_violations(page) == [], f"{language} {name}"


def test_the_journey_in_each_language(language_page, invite_url: str):
    language, page = language_page
    content = CONTENT[language]

    page.goto(invite_url)
    check_page(page, language, "1-invite")
    if language == "ar":
        # Right to left: Bootstrap's RTL sheet, and the text really runs from the right.
        assert page.locator("link[href*='bootstrap.rtl']").count() == 1
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    page.get_by_role("button", name=t(language, "Continue to the consultation")).click()

    check_page(page, language, "2-profile")
    page.locator("#id_organisation").fill("Sentinel Forensics")
    page.locator("#id_role").fill("Head of Responsible AI")
    page.locator("#id_organisation_type").select_option("provider_le_only")
    page.locator("#id_country").select_option("GB")
    page.locator("input[name=attribution][value=unattributed]").check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name=t(language, "Save and continue to the questions")).click()

    expect(page.get_by_text(content["question"])).to_be_visible()
    page.locator("#id_q1").fill(content["answer"])
    page.get_by_label(content["choices"].splitlines()[1]).check()
    check_page(page, language, "3-questions")
    page.get_by_role("button", name=t(language, "Save answers")).click()

    page.get_by_role("link", name=t(language, "3. Review and submit")).click()
    expect(page.get_by_text(content["answer"])).to_be_visible()
    check_page(page, language, "4-review")
    page.get_by_role("button", name=t(language, "Submit my feedback")).click()

    expect(page.get_by_role("heading", name=t(language, "Receipt of your feedback"))).to_be_visible()
    check_page(page, language, "5-receipt")

    # The overview: the progress bar fills from the start of the line, the right in Arabic.
    page.get_by_role("link", name=t(language, "Overview")).click()
    check_page(page, language, "6-overview")
    progress = page.locator("progress").first
    expect(progress).to_be_visible()
    assert progress.evaluate("(bar) => getComputedStyle(bar).direction") == (
        "rtl" if language == "ar" else "ltr"
    )

    participant = Participant.objects.get(email="amira@example.org")
    assert participant.language == language
    stored = {
        a.question.number: (a.text, a.selected, a.language) for a in Answer.objects.select_related("question")
    }
    # The choice is stored in English whatever language it was picked in; the answer keeps its language.
    assert stored == {1: (content["answer"], [], language), 2: ("", ["Roadmap"], language)}


def test_the_switcher_changes_the_language_and_it_sticks(page: Page, invite_url: str):
    page.goto(invite_url)
    page.get_by_role("button", name="Continue to the consultation").click()

    page.get_by_role("button", name="العربية").click()

    check_page(page, "ar", "switched-profile")
    expect(page).to_have_url(invite_url.split("/i/")[0] + "/c/tech/profile/")
    page.goto(page.url.replace("/profile/", "/"))
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.get_by_role("heading", level=1)).to_have_text("مشاورة مزوّدي التكنولوجيا")
    assert Participant.objects.get(email="amira@example.org").language == "ar"


def test_an_organiser_translates_a_question_in_the_admin_in_arabic(page: Page, invite_url: str, live_server):
    from tests.browser.conftest import organiser, sign_in

    sign_in(page, live_server.url, *organiser())
    page.get_by_role("button", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    question = Question.objects.get(number=2)

    page.goto(f"{live_server.url}/admin/feedback/question/{question.pk}/change/")
    page.locator("#id_text_ar").fill("ما المورد الأهم بالنسبة إليك؟")
    screenshot(page, "admin-question-ar")
    page.locator("input[name=_save]").click()

    expect(page.locator(".messagelist")).to_be_visible()
    question.refresh_from_db()
    assert (question.text_en, question.text_ar) == (
        "Which resource matters most?",
        "ما المورد الأهم بالنسبة إليك؟",
    )
    with translation.override("fr"):
        # No French yet: French readers get the English.
        assert question.text == "Which resource matters most?"
