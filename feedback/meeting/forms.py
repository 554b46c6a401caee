"""The meeting's forms: a live point, a rapporteur's note, an organiser's summary. They clean input only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import (
    LIVE_POINT_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Participant,
    QuestionSummary,
    RapporteurNote,
)


def live_point_field() -> forms.CharField:
    return forms.CharField(
        label=_("Your point"),
        required=False,
        max_length=LIVE_POINT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class NoteForm(forms.ModelForm):
    class Meta:
        model = RapporteurNote
        fields = ["agenda_item", "kind", "speaker", "participant", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH})}

    def __init__(self, *args: object, consultation: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].queryset = consultation.agenda_items.order_by("position")
        self.fields["agenda_item"].empty_label = None
        self.fields["participant"].queryset = Participant.objects.filter(
            consultation=consultation, is_revoked=False, is_erased=False
        ).order_by("name")
        self.fields["participant"].required = False
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, object]:
        data = super().clean()
        speaker, participant = data.get("speaker"), data.get("participant")
        if speaker == RapporteurNote.Speaker.PARTICIPANT and participant is None:
            raise forms.ValidationError(
                {"participant": _("Choose who said it, or attribute the note to nobody.")}, code="participant"
            )
        if speaker != RapporteurNote.Speaker.PARTICIPANT:
            data["participant"] = None
        return data

    def _post_clean(self) -> None:
        # The service builds and validates the note; the form only cleans what was typed.
        pass


class SummaryForm(forms.ModelForm):
    class Meta:
        model = QuestionSummary
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4, "class": "form-control"})}
