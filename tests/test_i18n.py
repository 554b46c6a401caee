"""The four languages: choosing one, keeping it, right to left, translated content and the language of answers."""

import csv
import io
import re
import shutil

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from feedback.exports.formats import export_text
from feedback.exports.shapes import Export
from feedback.models import Answer, Comment, Consultation, Participant, Question
from feedback.organising import invitations, lifecycle
from feedback.organising.invitees import validate_rows
from feedback.participation import services
from tests.conftest import make_participant, submit

LANGUAGES = ["en", "fr", "es", "ar"]


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


def translated(language: str, message: str) -> str:
    with translation.override(language):
        text = gettext(message)
    if language != "en":
        assert text != message, f"{message!r} has no {language} translation"
    return text


@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_follow_the_browser_language(client, db, language):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5").content.decode()

    assert f'lang="{language}"' in html_tag(page)
    assert translated(language, "Skip to main content") in page


def test_arabic_pages_read_right_to_left_with_bootstraps_rtl_stylesheet(alice_client, alice, questions):
    alice_client.post("/language", {"language": "ar", "next": "/c/tech-providers/questions/"})

    page = alice_client.get("/c/tech-providers/questions/").content.decode()

    assert html_tag(page) == '<html lang="ar" dir="rtl">'
    assert "bootstrap.rtl.min.css" in page
    assert "bootstrap.min.css" not in page


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_other_languages_read_left_to_right(client, db, language):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert 'dir="ltr"' in html_tag(page)
    assert "bootstrap.min.css" in page and "bootstrap.rtl.min.css" not in page


def test_every_page_has_the_switcher_with_each_language_named_in_itself(alice_client, olga_client, questions):
    for page in (
        Client().get("/").content.decode(),
        alice_client.get("/c/tech-providers/questions/").content.decode(),
        olga_client.get("/admin/").content.decode(),
        Client().get("/admin/login/").content.decode(),
    ):
        assert 'action="/language"' in page
        for code, name in [("en", "English"), ("fr", "Français"), ("es", "Español"), ("ar", "العربية")]:
            assert f'value="{code}" lang="{code}"' in page
            assert name in page


def test_the_switcher_sets_the_language_and_goes_back_to_the_page(client, db):
    response = client.post("/language", {"language": "fr", "next": "/"})

    assert response.status_code == 302 and response["Location"] == "/"
    assert 'lang="fr"' in html_tag(client.get("/", HTTP_ACCEPT_LANGUAGE="es").content.decode())


def test_the_switcher_does_not_redirect_off_site(client, db):
    response = client.post("/language", {"language": "fr", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_a_participants_choice_follows_them_to_another_browser(alice_client, alice, questions):
    alice_client.post("/language", {"language": "es", "next": "/c/tech-providers/"})
    alice.refresh_from_db()
    assert alice.language == "es"

    # Another device, whose browser prefers English: the participant's choice wins there too.
    token = alice.issue_token()
    alice.save()
    other = Client()
    other.post(f"/i/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    page = other.get("/c/tech-providers/questions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'lang="es"' in html_tag(page)
    assert translated("es", "Skip to main content") in page


def test_the_language_a_participant_arrives_in_becomes_theirs(client, alice):
    client.post(f"/i/{alice.token}/", HTTP_ACCEPT_LANGUAGE="fr-CH,fr;q=0.9,en;q=0.5")

    alice.refresh_from_db()
    assert alice.language == "fr"


def test_arriving_does_not_overwrite_a_language_already_chosen(client, consultation):
    dora = make_participant(consultation, "Dora Haddad", "dora@example.org", language="ar")

    client.post(f"/i/{dora.token}/", HTTP_ACCEPT_LANGUAGE="en")

    dora.refresh_from_db()
    assert dora.language == "ar"


def test_emails_are_written_in_the_participants_language(
    alice, questions, django_capture_on_commit_callbacks
):
    Participant.objects.filter(pk=alice.pk).update(language="fr")
    alice.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        invitations.send_invitation(participant=alice)
    response = services.open_invitation(participant=alice)
    submit(alice)
    services.send_receipt(response=response)

    invitation, receipt = mail.outbox
    with translation.override("fr"):
        assert invitation.subject == gettext("Invitation: %(title)s") % {"title": alice.consultation.title}
        assert receipt.subject == gettext("Receipt: your feedback on %(title)s") % {
            "title": alice.consultation.title
        }
    assert invitation.subject != f"Invitation: {alice.consultation.title}"


def test_consultation_content_shows_the_translation_or_else_the_english(
    alice_client, consultation, questions
):
    consultation.title_fr = "Consultation des fournisseurs de technologies"
    consultation.save()
    Question.objects.filter(pk=questions[0].pk).update(text_fr="Qu'en pensez-vous ?")
    alice_client.post("/language", {"language": "fr", "next": "/"})

    page = alice_client.get("/c/tech-providers/questions/").content.decode()

    assert "Consultation des fournisseurs de technologies" in page
    assert "Qu&#x27;en pensez-vous ?" in page
    # No French text for question 2: the English one stands in.
    assert "Anything problematic?" in page


def test_translated_choices_are_shown_in_the_language_and_stored_in_english(alice_client, consultation):
    question = Question.objects.create(
        consultation=consultation,
        number=3,
        text="Which applies?",
        kind=Question.Kind.SINGLE_CHOICE,
        choices_en="Yes, fully\nPartly\nNot at all",
        choices_fr="Oui, entièrement\nEn partie\nPas du tout",
    )
    alice_client.post("/language", {"language": "fr", "next": "/"})

    page = alice_client.get("/c/tech-providers/questions/").content.decode()
    alice_client.post("/c/tech-providers/autosave/", {"field": "q3", "q3": "Partly"})

    assert "En partie" in page and 'value="Partly"' in page
    assert Answer.objects.get(question=question).selected == ["Partly"]


def test_translated_choices_must_match_the_english_line_for_line(consultation):
    question = Question(
        consultation=consultation,
        number=4,
        text="Which?",
        kind=Question.Kind.SINGLE_CHOICE,
        choices_en="A\nB\nC",
        choices_es="A\nB",
    )

    with pytest.raises(Exception) as error:
        question.full_clean()

    assert "choices_es" in error.value.message_dict


def test_answers_and_comments_record_the_language_they_are_written_in(
    alice_client, alice, questions, resource
):
    alice_client.post("/language", {"language": "fr", "next": "/"})
    alice_client.post("/c/tech-providers/autosave/", {"field": "q1", "q1": "Bonne idée"})
    # The participant says they write in German, whatever the language of the pages.
    Participant.objects.filter(pk=alice.pk).update(answer_language="de")
    alice_client.post("/c/tech-providers/autosave/", {"field": "q2", "q2": "Gute Frage"})
    alice_client.post(
        f"/c/tech-providers/resources/{resource.pk}/comment/", {"section": "", "text": "Sehr hilfreich"}
    )

    assert Answer.objects.get(question=questions[0]).language == "fr"
    assert Answer.objects.get(question=questions[1]).language == "de"
    assert Comment.objects.get().language == "de"


def test_the_export_records_the_language_of_each_answer(alice_client, alice, consultation, questions):
    alice_client.post("/language", {"language": "ar", "next": "/"})
    alice_client.post("/c/tech-providers/autosave/", {"field": "q1", "q1": "فكرة جيدة"})
    Participant.objects.filter(pk=alice.pk).update(answer_language="en")
    alice_client.post("/c/tech-providers/autosave/", {"field": "q2", "q2": "Good point"})
    submit(alice)

    long_rows = list(
        csv.DictReader(io.StringIO("".join(export_text(Export.of(consultation), file_format="csv"))))
    )
    wide = Export.of(consultation, shape="wide")
    wide_rows = list(csv.DictReader(io.StringIO("".join(export_text(wide, file_format="csv")))))

    assert [(row["answer"], row["language"]) for row in long_rows] == [
        ("فكرة جيدة", "ar"),
        ("Good point", "en"),
    ]
    # Questions are exported in English, the language every consultation has.
    assert long_rows[0]["question"] == "What are your thoughts?"
    assert wide_rows[0]["language"] == "ar; en"


def test_the_profile_offers_any_language_for_answers(alice_client, alice):
    page = alice_client.get("/c/tech-providers/profile/").content.decode()

    assert 'name="answer_language"' in page
    assert 'value="de"' in page and 'value="sw"' in page and 'value="zh-hans"' in page


def test_check_translations_passes_on_the_committed_catalogues(capsys):
    call_command("check_translations")

    output = capsys.readouterr().out
    for language in ("fr", "es", "ar"):
        assert re.search(rf"^{language}: \d+ translated, 0 fuzzy, 0 untranslated$", output, re.M)


def test_check_translations_fails_on_an_untranslated_or_fuzzy_entry(tmp_path, settings):
    shutil.copytree(settings.BASE_DIR / "locale", tmp_path / "locale")
    po_file = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    text = po_file.read_text()
    text, emptied = re.subn(
        r'\nmsgid "Skip to main content"\nmsgstr "[^"]+"\n',
        '\nmsgid "Skip to main content"\nmsgstr ""\n',
        text,
    )
    text, marked = re.subn(
        r'\nmsgid "Leave on this browser"\n', '\n#, fuzzy\nmsgid "Leave on this browser"\n', text
    )
    assert (emptied, marked) == (1, 1)
    po_file.write_text(text)

    with pytest.raises(CommandError) as error:
        call_command("check_translations", locale_dir=str(tmp_path / "locale"))

    assert 'fr: untranslated: "Skip to main content"' in str(error.value)
    assert 'fr: fuzzy: "Leave on this browser"' in str(error.value)


def test_check_translations_fails_on_a_string_never_extracted(tmp_path, settings):
    """A string added to the code but missing from a catalogue counts as untranslated."""
    shutil.copytree(settings.BASE_DIR / "locale", tmp_path / "locale")
    po_file = tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po"
    text = po_file.read_text()
    text, removed = re.subn(r'\n(#[^\n]*\n)*msgid "Skip to main content"\nmsgstr "[^"]+"\n', "\n", text)
    assert removed == 1
    po_file.write_text(text)

    with pytest.raises(CommandError) as error:
        call_command("check_translations", locale_dir=str(tmp_path / "locale"))

    assert 'es: untranslated: "Skip to main content"' in str(error.value)


def test_invitees_can_be_imported_with_their_language(consultation):
    rows = [
        (2, {"name": "Ana", "email": "ana@example.org", "language": "es"}),
        (3, {"name": "Omar", "email": "omar@example.org", "language": "العربية"}),
        (4, {"name": "Luc", "email": "luc@example.org", "language": "French"}),
        (5, {"name": "Ivo", "email": "ivo@example.org", "language": "Klingon"}),
        (6, {"name": "Eva", "email": "eva@example.org"}),
    ]

    good, bad = validate_rows(rows, consultation)

    assert [(invitee.name, invitee.language) for invitee in good] == [
        ("Ana", "es"),
        ("Omar", "ar"),
        ("Luc", "fr"),
        ("Eva", ""),
    ]
    assert [(row.line, row.reasons) for row in bad] == [(5, ["Unknown language: use en, fr, es or ar."])]
    invitations.import_invitees(consultation=consultation, rows=good, by=None)
    assert Participant.objects.get(email="omar@example.org").language == "ar"


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_the_server_error_page_speaks_the_language_too(language):
    from django.template.loader import render_to_string

    with translation.override(language):
        page = render_to_string("500.html")

    assert f'lang="{language}"' in page
    assert translated(language, "Something went wrong") in page


def test_the_demo_consultation_comes_in_all_four_languages(db):
    from feedback.models import Consultation, Theme

    call_command("seed_demo", stdout=io.StringIO())
    consultation = Consultation.objects.get(slug="tech-providers-2022")
    english = consultation.title_en

    for language in ("fr", "es", "ar"):
        with translation.override(language):
            consultation.refresh_from_db()
            assert consultation.title and consultation.title != english
            texts = [question.text for question in consultation.questions.order_by("number")]
            assert all(getattr(question, f"text_{language}") for question in consultation.questions.all())
            assert len(set(texts)) == 5
            assert all(theme.name == getattr(theme, f"name_{language}") for theme in Theme.objects.all())
    spanish = Participant.objects.get(email="lucia.fernandez@veritas-vision.example")
    assert spanish.language == "es"


def test_organisers_find_content_by_its_english_text_whatever_language_they_read(
    olga_client, consultation, questions
):
    olga_client.post("/language", {"language": "fr", "next": "/admin/"})

    consultations = olga_client.get("/admin/feedback/consultation/", {"q": "providers' consultation"})
    found = olga_client.get("/admin/feedback/question/", {"q": "thoughts"})

    assert list(consultations.context["cl"].result_list) == [consultation]
    assert list(found.context["cl"].result_list) == [questions[0]]


def test_a_duplicated_consultation_says_copy_in_each_language_of_its_title(olga_client, consultation):
    Consultation.objects.filter(pk=consultation.pk).update(title_fr="Consultation des fournisseurs")
    olga_client.post("/language", {"language": "fr", "next": "/"})

    lifecycle.duplicate_consultation(consultation=Consultation.objects.get(pk=consultation.pk), by=None)

    copy = Consultation.objects.get(slug="tech-providers-copy")
    assert copy.title_en == "Technology providers' consultation (copy)"
    assert copy.title_fr == translated("fr", "%(title)s (copy)") % {"title": "Consultation des fournisseurs"}
    assert copy.title_ar is None


def test_titles_are_unique_per_language_not_across_languages(db):
    from django.db import IntegrityError

    from feedback.models import Resource

    glossary = Resource.objects.create(title="Glossary", category="supporting", version_label="Draft")
    # Saved by an organiser reading the admin in French.
    with translation.override("fr"):
        glossary.title_fr = "Glossaire"
        glossary.save()

    # Another resource whose English title is that French word is no clash...
    Resource.objects.create(title="Glossaire", category="supporting", version_label="Draft")
    # ...but the same English title and version twice is.
    with pytest.raises(IntegrityError):
        Resource.objects.create(title="Glossary", category="supporting", version_label="Draft")


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "3 November 2022, 13:00"),
        ("fr", "3 novembre 2022 13:00"),
        ("ar", "3 نوفمبر 2022، 13:00"),
    ],
)
def test_dates_read_naturally_in_each_language(language, expected):
    from datetime import datetime

    from django.utils.formats import date_format

    with translation.override(language):
        assert date_format(datetime(2022, 11, 3, 13, 0), "DATETIME_FORMAT") == expected
