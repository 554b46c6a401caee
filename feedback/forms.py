"""Participant forms: they clean input only; the views hand the cleaned data to services."""

import html
import zipfile
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from feedback import i18n, invitees
from feedback.exports import ExportFilters
from feedback.models import COMMENT_MAX_LENGTH, Answer, Consultation, Participant, Question, Resource, Theme


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


class AnswersForm(forms.Form):
    """One field per guiding question. Nothing is required here: a draft may be partial; submit checks."""

    def __init__(self, *args: Any, questions: list[Question], disabled: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = {self.field_name(q): q for q in questions}
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
    """The text of one comment; which resource and section it is on is checked by the view, not here."""

    text = forms.CharField(
        label=_("Your comment"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text=_("Up to 5,000 characters. Only you and the organisers can read it."),
    )


# The organisers' forms in the admin


def file_content_matches(file: UploadedFile, extension: str) -> bool:
    """Whether the file's bytes are what its extension claims, so a renamed HTML page or program is refused."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if extension == "pdf":
        return head.startswith(b"%PDF")
    if extension in ("docx", "xlsx", "pptx", "odt"):
        try:
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
                is_odt = (
                    "mimetype" in names
                    and archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
                )
        except zipfile.BadZipFile:
            return False
        finally:
            file.seek(0)
        return is_odt if extension == "odt" else "[Content_Types].xml" in names
    if extension == "txt":
        text = file.read()
        file.seek(0)
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return b"\0" not in text
    return False


class ResourceForm(forms.ModelForm):
    """A draft resource; an uploaded file must be what its name says (the model checks extension and size)."""

    class Meta:
        model = Resource
        fields = ["title", "category", "version_label", "summary", "file"]

    def clean_file(self) -> Any:
        file = self.cleaned_data.get("file")
        if isinstance(file, UploadedFile):
            extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
            if not file_content_matches(file, extension):
                raise forms.ValidationError(
                    _("The file's content is not a %(kind)s document, as its name says."),
                    code="file_content",
                    params={"kind": extension.upper() or "?"},
                )
        return file


# The organisers' invitation forms in the admin


class InviteeUploadForm(forms.Form):
    consultation = forms.ModelChoiceField(queryset=Consultation.objects.all(), label=_("Consultation"))
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, up to 1 MB and 5,000 rows, with a header row naming the columns name, email, organisation, "
            "organisation_type, country, language. Organisation type: its code or English name; country: its "
            "two-letter code or English name; language of the invitation and pages: en, fr, es or ar."
        ),
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > invitees.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."), code="file_too_large")
        return file


class InviteeConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)
    send = forms.BooleanField(label=_("Send invitation links now"), required=False)


class InviteExpiryForm(forms.Form):
    expires_at = forms.DateTimeField(
        label=_("Links stop working at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In the site's time zone."),
    )
    no_expiry = forms.BooleanField(label=_("No expiry"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("no_expiry") and cleaned.get("expires_at"):
            raise forms.ValidationError(
                _("Give a date and time, or choose no expiry, not both."), code="both"
            )
        if not cleaned.get("no_expiry") and not cleaned.get("expires_at") and not self.errors:
            raise forms.ValidationError(_("Give a date and time, or choose no expiry."), code="neither")
        return cleaned


class ExportForm(forms.Form):
    """The admin export page's choices: shape, format, profile (only those the user may use) and filters."""

    shape = forms.ChoiceField(
        label=_("Shape"),
        choices=[
            ("long", _("Long: one row per answer or comment")),
            ("wide", _("Wide: one row per participant, one column per question")),
        ],
        initial="long",
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX"), ("json", "JSON")], initial="csv"
    )
    profile = forms.ChoiceField(label=_("Profile"))
    bom = forms.BooleanField(
        label=_("Start the CSV with a byte order mark (for Excel)"), required=False, initial=False
    )
    status = forms.MultipleChoiceField(
        label=_("Moderation status"), required=False, widget=forms.CheckboxSelectMultiple
    )
    questions = forms.TypedMultipleChoiceField(
        label=_("Questions"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    resources = forms.TypedMultipleChoiceField(
        label=_("Resources"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    themes = forms.MultipleChoiceField(label=_("Themes"), required=False)
    organisation_types = forms.MultipleChoiceField(
        label=_("Organisation types"),
        required=False,
        choices=Participant.OrganisationType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    countries = forms.MultipleChoiceField(label=_("Countries"), required=False)
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        consultation: Consultation,
        profiles: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = profiles
        self.fields["profile"].initial = (
            "pseudonymised" if "pseudonymised" in dict(profiles) else profiles[0][0]
        )
        self.fields["status"].choices = Answer.Status.choices
        self.fields["questions"].choices = [
            (number, f"Q{number}. {text[:80]}")
            for number, text in consultation.questions.order_by("number").values_list("number", "text")
        ]
        self.fields["resources"].choices = list(
            Resource.objects.filter(consultations=consultation).order_by("title").values_list("pk", "title")
        )
        self.fields["themes"].choices = [
            (code, f"{code} {name}")
            for code, name in Theme.objects.filter(codebook_id=consultation.codebook_id)
            .order_by("code")
            .values_list("code", "name")
        ]
        codes = sorted(
            set(consultation.participants.exclude(country="").values_list("country", flat=True).distinct())
        )
        self.fields["countries"].choices = [(code, f"{code} {countries.name(code)}") for code in codes]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The date range ends before it starts."), code="date_range")
        return cleaned

    CHOICE_FIELDS = ("shape", "format", "profile", "bom")

    def choice_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CHOICE_FIELDS]

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.CHOICE_FIELDS]

    def export_filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            statuses=tuple(data["status"]),
            questions=tuple(data["questions"]),
            resources=tuple(data["resources"]),
            themes=tuple(data["themes"]),
            organisation_types=tuple(data["organisation_types"]),
            countries=tuple(data["countries"]),
            submitted_from=data["submitted_from"],
            submitted_to=data["submitted_to"],
        )


class AnalysisSearchForm(forms.Form):
    """The analysis search page: words to find and one value per filter, each optional."""

    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Moderation status"), required=False)
    question = forms.TypedChoiceField(label=_("Question"), required=False, coerce=int, empty_value=None)
    resource = forms.TypedChoiceField(label=_("Resource"), required=False, coerce=int, empty_value=None)
    theme = forms.TypedChoiceField(label=_("Theme"), required=False, coerce=int, empty_value=None)
    organisation_type = forms.ChoiceField(label=_("Organisation type"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args: Any, consultation: Consultation, see_hidden: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django_countries import countries

        from feedback.models import Moderated, Resource, Theme

        anything = [("", _("Any"))]
        statuses = Moderated.Status.choices
        if not see_hidden:
            statuses = [(value, label) for value, label in statuses if value != Moderated.Status.HIDDEN]
        self.fields["status"].choices = anything + statuses
        self.fields["question"].choices = anything + [
            (pk, f"Q{number}. {text[:60]}")
            for pk, number, text in consultation.questions.order_by("number").values_list(
                "pk", "number", "text"
            )
        ]
        self.fields["resource"].choices = anything + list(
            Resource.objects.filter(consultations=consultation).order_by("title").values_list("pk", "title")
        )
        themes = Theme.objects.order_by("code")
        if consultation.codebook_id is not None:
            themes = themes.filter(codebook_id=consultation.codebook_id)
        self.fields["theme"].choices = anything + [
            (pk, f"{code} {name}") for pk, code, name in themes.values_list("pk", "code", "name")
        ]
        self.fields["organisation_type"].choices = anything + Participant.OrganisationType.choices
        codes = consultation.participants.exclude(country="").order_by().values_list("country", flat=True)
        self.fields["country"].choices = anything + sorted(
            ((code, countries.name(code)) for code in set(codes)), key=lambda pair: pair[1]
        )
