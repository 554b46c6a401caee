"""The participant's comment sheet: comments written offline in a spreadsheet (the comment sheet's columns),
uploaded, previewed with the rows refused and why, and stored as theirs while the feedback window is open."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import limits
from feedback.exports.blank_sheet import COLUMN_HELP, HOW_TO, blank_sheet_response
from feedback.models import Participant
from feedback.organising import comment_sheet
from feedback.participation.access import closed_message, page_context, participant_for, response_for

SHEET_PAYLOAD_SALT = "feedback.comment-sheet.participant"
SHEET_PAYLOAD_MAX_AGE = timedelta(hours=6)


class SheetUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Your comment sheet"),
        help_text=gettext_lazy("CSV (UTF-8) or Excel (.xlsx), up to 2 MB and 2,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> object:
        file = self.cleaned_data["file"]
        if file.size > comment_sheet.MAX_BYTES:
            raise forms.ValidationError(
                gettext_lazy("The file is larger than %(size)d MB."),
                code="too_large",
                params={"size": comment_sheet.MAX_BYTES // (1024 * 1024)},
            )
        return file


class SheetConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)


def _page(request: HttpRequest, participant: Participant, status: int = 200, **extra: object) -> HttpResponse:
    context = page_context(participant, column_help=COLUMN_HELP.items(), how_to=HOW_TO, **extra)
    return render(request, "feedback/comment_sheet.html", context, status=status)


def _preview(
    request: HttpRequest, participant: Participant, sheet: comment_sheet.Sheet, **extra: object
) -> HttpResponse:
    payload = signing.dumps(
        {"participant": participant.pk, "rows": sheet.good_raw()}, salt=SHEET_PAYLOAD_SALT, compress=True
    )
    confirm = SheetConfirmForm(initial={"payload": payload})
    return _page(request, participant, sheet=sheet, confirm=confirm, **extra)


def _refused_before_starting(request: HttpRequest, participant: Participant) -> HttpResponse | None:
    if not participant.has_confirmed_profile:
        messages.info(request, _("Please confirm your profile and how you may be quoted first."))
        return redirect("feedback:profile", slug=participant.consultation.slug)
    return None


@require_http_methods(["GET", "POST"])
@limits.accepts_files
def comment_sheet_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: what the sheet holds and the upload form; POST: the preview, nothing stored yet."""
    participant = participant_for(request, slug)
    refused = _refused_before_starting(request, participant)
    if refused is not None:
        return refused
    if request.method == "GET" or closed_message(participant.consultation):
        return _page(request, participant, form=SheetUploadForm())
    if limits.is_limited(request, "submit", slug=slug):
        return limits.too_many_requests(request)
    form = SheetUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            sheet = comment_sheet.read_sheet(
                upload, filename=upload.name, consultation=participant.consultation, participant=participant
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return _preview(request, participant, sheet)
    return _page(request, participant, form=form)


@require_GET
def comment_sheet_blank(request: HttpRequest, slug: str, file_format: str) -> HttpResponse:
    """A blank comment sheet to fill in offline: the draft's places, the participant's code filled in."""
    participant = participant_for(request, slug)
    return blank_sheet_response(
        participant.consultation, file_format=file_format, participant_code=participant.pseudonym
    )


@require_POST
def comment_sheet_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """Check the previewed rows again and store them as the participant's comments, all or none."""
    participant = participant_for(request, slug)
    refused = _refused_before_starting(request, participant)
    if refused is not None:
        return refused
    if limits.is_limited(request, "submit", slug=slug):
        return limits.too_many_requests(request)
    closed = closed_message(participant.consultation)
    if closed:
        messages.error(request, closed)
        return redirect("feedback:comment-sheet", slug=slug)
    form = SheetConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise signing.BadSignature
        data = signing.loads(
            form.cleaned_data["payload"], salt=SHEET_PAYLOAD_SALT, max_age=SHEET_PAYLOAD_MAX_AGE
        )
        if data["participant"] != participant.pk:
            raise signing.BadSignature
        raw = comment_sheet.rows_from_payload(data["rows"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        error = _("The preview was changed or is too old. Upload the file again.")
        return _page(request, participant, status=400, form=SheetUploadForm(), error=error)
    sheet = comment_sheet.check_rows(raw, consultation=participant.consultation, participant=participant)
    if sheet.refused:
        changed = _("Some rows can no longer be stored since the preview. Check them and confirm again.")
        return _preview(request, participant, sheet, changed=changed)
    try:
        stored = comment_sheet.store_comments(response=response_for(participant), rows=sheet.rows)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("feedback:comment-sheet", slug=slug)
    messages.success(
        request,
        ngettext(
            "%(count)d comment from your sheet is saved. You can see it below.",
            "%(count)d comments from your sheet are saved. You can see them below.",
            len(stored),
        )
        % {"count": len(stored)},
    )
    return redirect("feedback:review", slug=slug)
