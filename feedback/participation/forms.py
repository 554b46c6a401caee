"""Participant forms: they clean input only; the views hand the cleaned data to services."""

import html
import os
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.template.loader import get_template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from feedback import i18n
from feedback.models import COMMENT_MAX_LENGTH, QUOTE_MAX_LENGTH, Comment, Participant, Question


class ProfileForm(forms.ModelForm):
    consent = forms.BooleanField(
        label=_(
            "I agree that the organisers record my feedback and use it for the purpose of this consultation, "
            "quoting me only as I chose above."
        ),
        required=True,
    )

    class Meta:
        model = Participant
        fields = [
            "name",
            "organisation",
            "role",
            "organisation_type",
            "country",
            "answer_language",
            "attribution",
            "conflict_of_interest",
        ]
        widgets = {
            "attribution": forms.RadioSelect,
            "conflict_of_interest": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, disabled: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("organisation", "role", "organisation_type", "country", "attribution"):
            self.fields[name].required = True
        # A radio list has no empty choice: the participant must pick one on purpose.
        self.fields["attribution"].choices = Participant.Attribution.choices
        # Any language, not only the four of the pages: the export records it with every answer.
        self.fields["answer_language"] = forms.ChoiceField(
            label=_("Language of your answers"),
            choices=[("", _("The language of these pages"))] + i18n.answer_language_choices(),
            required=False,
            help_text=_("Write in whichever language you prefer; the organisers see which one you chose."),
        )
        if self.instance.consented_at:
            self.fields["consent"].initial = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        if disabled:
            for field in self.fields.values():
                field.disabled = True


def escaped(value: Any) -> str:
    """What a template's {{ value }} writes: safe strings as they are, anything else as escaped text (Django's
    conditional_escape without its lazy-string wrapper, which cost most of the widgets' time below)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def widget_attrs_html(attrs: dict[str, Any]) -> str:
    """Django's django/forms/widgets/attrs.html written out: ` name="value"` per attribute, the name alone for
    True, nothing for False; every name and value escaped."""
    return "".join(
        f" {escaped(name)}" if value is True else f' {escaped(name)}="{escaped(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class AnswerTextarea(forms.Textarea):
    """Django's Textarea with its template's markup written out: its template and the included attrs.html cost
    over a thousand function calls per field, most of the question page's form. The attributes (maxlength,
    disabled, aria-describedby, ...) still come from Django's get_context; tests/test_question_form.py checks
    that the HTML is byte for byte what Django's template renders."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        text = escaped(widget["value"]) if widget["value"] else ""
        # Every piece is escaped above, as the template's autoescaping would.
        return mark_safe(  # noqa: S308  # nosec B308 B703
            f'<textarea name="{escaped(widget["name"])}"{widget_attrs_html(widget["attrs"])}>\n{text}</textarea>'
        )


class AnswerTextInput(forms.TextInput):
    """Django's TextInput with its template's markup written out, as AnswerTextarea."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        value_html = "" if widget["value"] is None else f' value="{escaped(widget["value"])}"'
        # Every piece is escaped above, as the template's autoescaping would.
        return mark_safe(  # noqa: S308  # nosec B308 B703
            f'<input type="{escaped(widget["type"])}" name="{escaped(widget["name"])}"{value_html}'
            f"{widget_attrs_html(widget['attrs'])}>"
        )


# The markup of record of an answer field; answer_field.html includes it, or puts pieces cut from its output together.
ANSWER_FIELD_MARKUP = "feedback/answer_field_markup.html"
# A private-use character: the answer probed into the markup to find where the participant's answer goes.
PROBE = "\ue000"


def common_prefix(a: str, b: str) -> int:
    return len(os.path.commonprefix([a, b]))


def common_suffix(a: str, b: str) -> int:
    return len(os.path.commonprefix([a[::-1], b[::-1]]))


class AnswerPieces:
    """One answer field's markup (ANSWER_FIELD_MARKUP) cut once, per process, consultation version, language and
    whether the window is closed, into what never changes and where the participant's answer goes: the answer's
    escaped text between two pieces, or a checked choice's mark inserted into the field's markup. Every cut is
    checked against the template's own output when it is made; a field whose markup does not cut cleanly is
    rendered by the template, as is any field with an error. tests/test_question_form.py compares the two."""

    def __init__(self, name: str, field: forms.Field) -> None:
        self.name = name
        self.field = field
        self.widget = field.widget
        self.empty = self.render(None)
        self.kind = "template"
        if isinstance(self.widget, AnswerTextarea):
            parts = self.render(PROBE).split(PROBE)
            if len(parts) == 2 and "".join(parts) == self.empty:
                self.kind, self.parts = "textarea", parts
        elif isinstance(self.widget, AnswerTextInput):
            parts = self.render(PROBE).split(f' value="{PROBE}"')
            if len(parts) == 2 and "".join(parts) == self.empty:
                self.kind, self.parts = "input", parts
        elif isinstance(self.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
            self.cut_choices()

    def render(self, value: Any) -> str:
        form = forms.Form(initial={} if value is None else {self.name: value})
        form.fields = {self.name: self.field}
        return get_template(ANSWER_FIELD_MARKUP).render({"field": form[self.name], "form_show_errors": True})

    def cut_choices(self) -> None:
        values = [str(value) for value, _label in self.field.choices]
        if len(set(values)) != len(values):
            return
        insertions = []
        for value in values:
            checked = self.render([value] if self.widget.allow_multiple_selected else value)
            start = common_prefix(self.empty, checked)
            end = common_suffix(self.empty[start:], checked[start:])
            if end != len(self.empty) - start:  # not an insertion alone
                return
            insertions.append((start, checked[start : len(checked) - end]))
        self.insertions = dict(zip(values, insertions, strict=True))
        self.kind = "choices"
        every = values if self.widget.allow_multiple_selected else values[-1:]
        if self.choices_html(every) != self.render(
            every if self.widget.allow_multiple_selected else every[0]
        ):
            self.kind = "template"

    def choices_html(self, chosen: list[str]) -> str:
        if not self.widget.allow_multiple_selected:
            chosen = chosen[:1]
        marks = sorted(self.insertions[value] for value in chosen if value in self.insertions)
        html, at = [], 0
        for position, mark in marks:
            html.append(self.empty[at:position])
            html.append(mark)
            at = position
        html.append(self.empty[at:])
        return "".join(html)

    def html(self, bound: forms.BoundField) -> str | None:
        """The field's markup with the participant's answer, or None where only the template may write it."""
        kind = self.kind
        if kind == "template":
            return None
        value = bound.value()
        if kind == "choices":
            formatted = self.widget.format_value(value)
            if not self.widget.allow_multiple_selected:
                # A radio list checks the first option that matches, as ChoiceWidget.optgroups does.
                formatted = [next((v for v in self.insertions if v in formatted), None)]
            return self.choices_html([v for v in formatted if v is not None])
        if value is None or value == "":
            return self.empty
        text = escaped(value)
        if kind == "textarea":
            return f"{self.parts[0]}{text}{self.parts[1]}"
        return f'{self.parts[0]} value="{text}"{self.parts[1]}'


class AnswersForm(forms.Form):
    """One field per guiding question. Nothing is required here: a draft may be partial; submit checks."""

    def __init__(
        self,
        *args: Any,
        questions: list[Question] | tuple[Question, ...],
        disabled: bool = False,
        shared: dict[str, forms.Field] | None = None,
        **kwargs: Any,
    ) -> None:
        """`shared`: fields built once for the consultation (shared_fields), for an unbound form only."""
        super().__init__(*args, **kwargs)
        self.questions = {self.field_name(q): q for q in questions}
        if shared is not None and not self.is_bound:
            self.fields = dict(shared)
        else:
            for name, question in self.questions.items():
                field = self.make_field(question)
                field.disabled = disabled
                self.fields[name] = field
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        # Bootstrap 5 markup for just the widgets below: crispy-bootstrap5's general field.html took most of the
        # question page's time (docs/PERFORMANCE.md).
        self.helper.field_template = "feedback/answer_field.html"

    @staticmethod
    def field_name(question: Question) -> str:
        return f"q{question.number}"

    @staticmethod
    def make_field(question: Question) -> forms.Field:
        label = format_html("{}. {}", question.number, i18n.content_html(question, "text"))
        if question.is_required:
            label = format_html("{} {}", label, _("(required)"))
        common = {"label": label, "help_text": question.help_text, "required": False}
        kind = question.kind
        if kind == Question.Kind.SHORT_TEXT:
            return forms.CharField(
                max_length=min(question.max_length, 300),
                widget=AnswerTextInput(attrs={"class": "textinput form-control"}),
                **common,
            )
        if kind in (Question.Kind.SCALE, Question.Kind.SINGLE_CHOICE, Question.Kind.YES_NO):
            return forms.ChoiceField(choices=question.option_labels(), widget=forms.RadioSelect, **common)
        if kind == Question.Kind.MULTIPLE_CHOICE:
            return forms.MultipleChoiceField(
                choices=question.option_labels(), widget=forms.CheckboxSelectMultiple, **common
            )
        return forms.CharField(
            max_length=question.max_length,
            # The classes crispy-bootstrap5 would add, set here so that the field template renders the widget as is.
            widget=AnswerTextarea(attrs={"rows": 6, "class": "textarea form-control"}),
            strip=False,
            **common,
        )

    @classmethod
    def shared_fields(
        cls, memo: dict, questions: tuple[Question, ...], *, disabled: bool
    ) -> dict[str, forms.Field]:
        """The fields of these questions in the active language, built once and kept in `memo` (the consultation's
        snapshot: dropped with it when the questions change), each with its AnswerPieces. Shared by every request
        and thread of the process: read them, never change them (a bound form builds its own: crispy's error
        markup changes a field's widget)."""
        key = ("answer_fields", get_language(), disabled)
        fields = memo.get(key)
        if fields is None:
            fields = {}
            for question in questions:
                field = cls.make_field(question)
                field.disabled = disabled
                field.answer_pieces = AnswerPieces(cls.field_name(question), field)
                fields[cls.field_name(question)] = field
            memo[key] = fields
        return fields

    def values_by_question(self) -> dict[Question, Any]:
        return {question: self.cleaned_data.get(name) for name, question in self.questions.items()}

    @classmethod
    def initial_from(cls, answers: list[Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for answer in answers:
            name = cls.field_name(answer.question)
            if answer.question.kind == Question.Kind.MULTIPLE_CHOICE:
                initial[name] = answer.selected
            elif answer.selected:
                initial[name] = answer.selected[0]
            else:
                initial[name] = answer.text
        return initial


class CommentForm(forms.Form):
    """A comment's type, text and proposed change; where it is (resource, section, paragraph, passage) is checked
    by the view and the service, not here."""

    kind = forms.ChoiceField(
        label=_("Type of comment"),
        choices=Comment.Kind.choices,
        initial=Comment.Kind.GENERAL,
        widget=forms.RadioSelect,
        required=False,
    )
    text = forms.CharField(
        label=_("Your comment"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text=_("Up to 5,000 characters. Only you and the organisers can read it."),
    )
    proposed_change = forms.CharField(
        label=_("Proposed change (optional)"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("The wording you would put instead of the passage, if you have one in mind."),
    )

    def clean_kind(self) -> str:
        # Left unchosen, a comment is a general one, as the form's preselected choice says.
        return self.cleaned_data["kind"] or Comment.Kind.GENERAL

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("text", "").strip() and cleaned.get("proposed_change", "").strip():
            self.add_error(
                "text", _("Please write your comment as well; the proposed change is saved with it.")
            )
        return cleaned


class NewCommentForm(CommentForm):
    """A new comment: also the quoted passage, whose offset in the paragraph the page's script sends (typed in by
    hand, the view looks the words up). The section and paragraph are looked up by the view."""

    quote = forms.CharField(
        label=_("Quoted passage (optional)"),
        max_length=QUOTE_MAX_LENGTH,
        required=False,
        strip=False,
        help_text=_("The exact words of the paragraph your comment is about."),
    )
    quote_start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    draft_key = forms.RegexField(regex=r"^[A-Za-z0-9_-]{0,40}$", required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("text", "").strip() and "text" not in self.errors:
            self.add_error("text", _("Please write your comment."))
        return cleaned
