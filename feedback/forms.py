"""Participant forms: they clean input only; the views hand the cleaned data to services."""

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from feedback import invitees
from feedback.models import COMMENT_MAX_LENGTH, Consultation, Participant, Question


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
        if self.instance.consented_at:
            self.fields["consent"].initial = True
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        if disabled:
            for field in self.fields.values():
                field.disabled = True


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

    @staticmethod
    def field_name(question: Question) -> str:
        return f"q{question.number}"

    @staticmethod
    def make_field(question: Question) -> forms.Field:
        label = f"{question.number}. {question.text}"
        if question.is_required:
            label += " " + str(_("(required)"))
        common = {"label": label, "help_text": question.help_text, "required": False}
        kind = question.kind
        if kind == Question.Kind.SHORT_TEXT:
            return forms.CharField(max_length=min(question.max_length, 300), **common)
        if kind == Question.Kind.SCALE:
            low = question.scale_min_label or "1"
            high = question.scale_max_label or "5"
            choices = [("1", f"1 – {low}"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", f"5 – {high}")]
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        if kind == Question.Kind.SINGLE_CHOICE:
            choices = [(c, c) for c in question.choice_list()]
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        if kind == Question.Kind.MULTIPLE_CHOICE:
            choices = [(c, c) for c in question.choice_list()]
            return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
        if kind == Question.Kind.YES_NO:
            choices = [("yes", _("Yes")), ("no", _("No")), ("unsure", _("Unsure"))]
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        return forms.CharField(
            max_length=question.max_length, widget=forms.Textarea(attrs={"rows": 6}), strip=False, **common
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


# The organisers' invitation forms in the admin


class InviteeUploadForm(forms.Form):
    consultation = forms.ModelChoiceField(queryset=Consultation.objects.all(), label=_("Consultation"))
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, up to 1 MB and 5,000 rows, with a header row naming the columns name, email, organisation, "
            "organisation_type, country. Organisation type: its code or English name; country: its two-letter "
            "code or English name."
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
