"""The guiding questions form as crispy-forms renders it (AnswersForm's field template), and the session settings
that keep participant requests cheap (docs/PERFORMANCE.md)."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from feedback.models import Question
from feedback.participation.forms import AnswersForm, AnswerTextarea, AnswerTextInput
from tests.conftest import answer

URL = "/c/tech-providers/questions/"
ROOT = Path(__file__).resolve().parent.parent


def every_kind(consultation) -> list[Question]:
    kinds = [
        ("long_text", {}),
        ("short_text", {}),
        ("scale", {"scale_min_label": "Not useful", "scale_max_label": "Very useful"}),
        ("single_choice", {"choices": "Alpha\nBeta"}),
        ("multiple_choice", {"choices": "Red\nGreen\nBlue"}),
        ("yes_no", {}),
    ]
    return [
        Question.objects.create(
            consultation=consultation, number=number, text=f"Question {number}?", kind=kind,
            help_text=f"Help <b>{number}</b>", **extra,
        )
        for number, (kind, extra) in enumerate(kinds, start=1)
    ]  # fmt: skip


def tag(page: str, pattern: str) -> str:
    """The one HTML tag that matches `pattern`."""
    found = re.findall(rf"<[^<>]*{pattern}[^<>]*>", page)
    assert len(found) == 1, found
    return found[0]


def test_every_answer_kind_renders_as_bootstrap_fields_with_help(alice_client, alice, consultation):
    questions = every_kind(consultation)
    answer(alice, questions[0], "My long answer")
    answer(alice, questions[3], "", selected=["Beta"])
    answer(alice, questions[4], "", selected=["Red", "Blue"])

    page = alice_client.get(URL).content.decode()

    assert '<label for="id_q1" class="form-label">1. Question 1?</label>' in page
    textarea = tag(page, 'name="q1"')
    assert 'class="textarea form-control"' in textarea and 'aria-describedby="id_q1_helptext"' in textarea
    assert re.search(r'<textarea name="q1"[^>]*>\s*My long answer</textarea>', page)
    text_input = tag(page, 'name="q2"')
    assert 'type="text"' in text_input and 'class="textinput form-control"' in text_input
    assert 'maxlength="300"' in text_input
    # Help text is the organisers' plain text: shown, escaped, and tied to its field.
    assert '<div id="id_q1_helptext" class="form-text">Help &lt;b&gt;1&lt;/b&gt;</div>' in page
    # Choices are fieldsets whose legend is the question; the saved choices are checked.
    assert page.count("<fieldset") == 4 and '<legend class="form-label fs-6">3. Question 3?</legend>' in page
    assert page.count('type="radio" class="form-check-input" name="q3"') == 5
    assert "checked" in tag(page, 'name="q4" value="Beta"')
    assert "checked" not in tag(page, 'name="q4" value="Alpha"')
    assert "checked" in tag(page, 'name="q5" value="Red"')
    assert "checked" in tag(page, 'name="q5" value="Blue"')
    assert "checked" not in tag(page, 'name="q5" value="Green"')
    assert '<label for="id_q6_0" class="form-check-label">Yes</label>' in page
    assert "is-invalid" not in page


def test_after_the_deadline_every_answer_field_is_disabled(alice_client, alice, consultation):
    every_kind(consultation)
    consultation.opens_at = timezone.now() - timedelta(days=30)
    consultation.closes_at = timezone.now() - timedelta(days=1)
    consultation.save()

    page = alice_client.get(URL).content.decode()

    fields = re.findall(r'<(?:input|textarea)[^>]* name="q\d"[^>]*>', page)
    assert len(fields) == 1 + 1 + 5 + 2 + 3 + 3
    assert all(" disabled" in field for field in fields)


def test_a_refused_answer_is_marked_invalid_with_its_reason(alice_client, alice, consultation):
    questions = every_kind(consultation)
    questions[1].max_length = 10
    questions[1].save()

    page = alice_client.post(URL, {"q2": "Far too long for ten", "q4": "Gamma"}).content.decode()

    assert "is-invalid" in tag(page, 'name="q2"')
    assert re.search(r'id="error_1_id_q2"><strong>[^<]*at most 10 characters', page)
    assert all("is-invalid" in field for field in re.findall(r"<input[^>]* name=\"q4\"[^>]*>", page))
    assert re.search(r'id="error_1_id_q4"><strong>Select a valid choice', page)
    assert "is-invalid" not in tag(page, 'name="q1"')


def test_autosave_leaves_the_session_as_it_was(alice_client, alice, questions):
    assert [name for name in alice_client.cookies if name.endswith("sessionid")]

    response = alice_client.post("/c/tech-providers/autosave/", {"field": "q1", "q1": "Typing"})

    assert response.status_code == 200
    # No session cookie sent back: the session was read, not written, so autosave costs no session UPDATE.
    assert not [name for name in response.cookies if name.endswith("sessionid")]


def session_engine(**env: str) -> str:
    environment = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    environment.update({"ENV_FILE": "/nonexistent", "SECRET_KEY": "x", **env})
    code = "from consultation import settings; print(settings.SESSION_ENGINE)"
    done = subprocess.run(  # noqa: S603  # nosec B603  # this interpreter, fixed code
        [sys.executable, "-c", code], env=environment, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_sessions_are_read_from_redis_when_there_is_one_and_kept_in_the_database():
    # cached_db: the database stays the record, so a Redis restart signs nobody out.
    with_redis = session_engine(REDIS_URL="redis://127.0.0.1:6379/0")
    assert with_redis == "django.contrib.sessions.backends.cached_db"
    assert session_engine() == "django.contrib.sessions.backends.db"


@pytest.mark.parametrize(
    "value", [None, "", "Plain text", '<b>Tom & "Jerry\'s"</b>', mark_safe("<i>x</i>"), 0]
)
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"id": "id_q1", "maxlength": "4000", "aria-describedby": "id_q1_helptext"},
        {"id": "id_q1", "disabled": True, "required": False, "data-note": '"quoted" <tag>', "cols": 40},
    ],
)
@pytest.mark.parametrize(
    ("ours", "djangos"),
    [(AnswerTextarea, forms.Textarea), (AnswerTextInput, forms.TextInput)],
    ids=["textarea", "text-input"],
)
def test_answer_widgets_write_exactly_what_django_templates_render(ours, djangos, value, attrs):
    # The answers form writes its text widgets' markup in Python for speed (docs/PERFORMANCE.md); should Django
    # change its widget templates, this fails instead of the page drifting from them.
    base = {"class": "textarea form-control", "rows": 6}

    assert ours(attrs=base).render("q1", value, attrs) == djangos(attrs=base).render("q1", value, attrs)


def crispy_html(form: AnswersForm) -> str:
    return Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form}))


ANSWERS = [
    {},
    {"q1": 'My <long> answer & "quotes"\nline two\n\n', "q2": "Short «answer» <b>", "q3": "1", "q4": "Beta"},
    {"q1": "   ", "q2": "0", "q3": "5", "q4": "Alpha", "q5": ["Red", "Blue"], "q6": "unsure"},
    {"q2": " x ", "q5": ["Green"], "q6": "no", "q3": "not an option"},
    {"q5": ["Red", "Green", "Blue"], "q4": "Gamma"},
]


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
@pytest.mark.parametrize("disabled", [False, True])
@pytest.mark.parametrize("initial", ANSWERS)
def test_shared_answer_fields_write_exactly_what_the_field_template_renders(
    consultation, language, disabled, initial
):
    """The question page's fields come from pieces cut from answer_field_markup.html's output (AnswerPieces); a form
    with fields of its own renders that template for every field. Both must write the same bytes."""
    questions = every_kind(consultation)
    questions[0].is_required = True
    questions[3].choices_fr = "Alpha (fr)\nBeta (fr)"
    questions[2].text_fr = "Question 3 en français ?"
    memo: dict = {}
    with translation.override(language):
        shared = AnswersForm.shared_fields(memo, tuple(questions), disabled=disabled)
        fast = crispy_html(
            AnswersForm(initial=initial, questions=questions, disabled=disabled, shared=shared)
        )
        reference = crispy_html(AnswersForm(initial=initial, questions=questions, disabled=disabled))

    assert {field.answer_pieces.kind for field in shared.values()} == {"textarea", "input", "choices"}
    assert fast == reference
    assert fast.count('class="mb-3"') == 6
