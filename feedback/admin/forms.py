"""The organisers' forms in the admin: resources, invitee import and expiry, exports, redaction, theme
choice, erasure. They clean input only."""

import zipfile
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from feedback.exports.shapes import ExportFilters
from feedback.models import (
    Answer,
    Consultation,
    Participant,
    Resource,
    Theme,
)
from feedback.organising import comment_sheet, invitees
from feedback.organising.drafts import FORMATS as DRAFT_FORMATS
from feedback.organising.drafts import MAX_UPLOAD_BYTES as DRAFT_MAX_BYTES

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
            ("comments", _("Comment sheet: one row per comment, as the ISO/IEC commenting template")),
            (
                "acceptance",
                _("Acceptance: what became of the comments, per stakeholder group and round (figures only)"),
            ),
        ],
        initial="long",
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX"), ("json", "JSON")], initial="csv"
    )
    profile = forms.ChoiceField(label=_("Profile"))
    # Ticked by default: most analysts open CSV files in Excel, which reads a file without the mark as Latin-1
    # ("LucÃ­a"); pandas and R's readr skip the mark (docs/EXPORTS.md).
    bom = forms.BooleanField(
        label=_("Start the CSV with a byte order mark (for Excel)"), required=False, initial=True
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


# Drafts and comment sheets


class DraftUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Draft"),
        help_text=_(
            "Word (.docx), OpenDocument (.odt), Markdown (.md) or HTML (.html), up to 20 MB. Headings become "
            "numbered sections (1, 1.2, 1.2.3) and every paragraph, list item, table row and caption a "
            "numbered paragraph (¶1, ¶2, ...)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(DRAFT_FORMATS)}),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=Resource._meta.get_field("title").max_length,
        required=False,
        help_text=_("Empty: the document's own title, else its first heading."),
    )

    def __init__(self, *args: Any, with_title: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_title:
            del self.fields["title"]

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        # Refused on its announced size, before a byte of it is read.
        if file.size > DRAFT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB, the most a draft may be."),
                code="too_large",
                params={"size": DRAFT_MAX_BYTES // (1024 * 1024)},
            )
        return file


class DraftConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)


class CommentSheetUploadForm(forms.Form):
    """An organiser enters a participant's offline comment sheet on their behalf."""

    participant = forms.ModelChoiceField(
        label=_("Participant"),
        queryset=Participant.objects.none(),
        help_text=_("The comments are stored as theirs; the audit trail records that you entered them."),
    )
    file = forms.FileField(
        label=_("Comment sheet"),
        help_text=_(
            "CSV (UTF-8) or XLSX with the comment sheet's columns: resource, version, clause, paragraph, quote, "
            "comment_type (ge, te or ed), comment, proposed_change. Up to 2 MB and 2,000 rows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args: Any, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = consultation.participants.filter(is_erased=False).order_by(
            "name"
        )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > comment_sheet.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB."),
                code="too_large",
                params={"size": comment_sheet.MAX_BYTES // (1024 * 1024)},
            )
        return file


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for erasure"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_(
            "Kept in the audit trail, e.g. the date and reference of the request; do not write their name."
        ),
    )


class RedactionForm(forms.Form):
    passage = forms.CharField(
        label=_("Passage to redact"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_(
            "Copy it exactly from the text as shown; every occurrence is replaced with [redacted], in a comment's "
            "proposed change too."
        ),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))


class ThemeChoiceForm(forms.Form):
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"), queryset=Theme.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, themes: QuerySet[Theme], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["themes"].queryset = themes
