"""Entering a participant's offline comment sheet in the admin: choose the participant, upload the sheet, see
which rows would be stored and which are refused and why, confirm. The rows travel to the confirmation
signed, and are checked again there; the audit trail records who entered them for whom."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.admin.forms import CommentSheetUploadForm, InviteeConfirmForm
from feedback.exports.blank_sheet import BLANK_FORMATS, blank_sheet_response
from feedback.models import Consultation, Participant, Response
from feedback.organising import comment_sheet

SHEET_PAYLOAD_SALT = "feedback.comment-sheet.admin"
SHEET_PAYLOAD_MAX_AGE = timedelta(hours=6)


class ConsultationCommentSheet:
    """The consultation admin's "Enter a comment sheet" pages."""

    def has_comment_sheet_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("feedback.add_comment")

    def comment_sheet_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/comment-sheet/",
                self.admin_site.admin_view(self.comment_sheet_view),
                name="feedback_consultation_comment_sheet",
            ),
            path(
                "<path:object_id>/comment-sheet/confirm/",
                self.admin_site.admin_view(self.comment_sheet_confirm_view),
                name="feedback_consultation_comment_sheet_confirm",
            ),
            path(
                "<path:object_id>/comment-sheet/blank.<str:file_format>",
                self.admin_site.admin_view(self.comment_sheet_blank_view),
                name="feedback_consultation_comment_sheet_blank",
            ),
        ]

    def _sheet_consultation(self, request: HttpRequest, object_id: str) -> Consultation:
        if not self.has_comment_sheet_permission(request):
            raise PermissionDenied
        consultation = self.get_object(request, unquote(object_id))
        if consultation is None:
            raise Http404
        return consultation

    def _sheet_page(
        self, request: HttpRequest, consultation: Consultation, template: str, status: int = 200, **extra: Any
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": consultation,
            "title": _("Enter a comment sheet for a participant"),
            **extra,
        }
        return TemplateResponse(request, f"admin/feedback/sheets/{template}", context, status=status)

    def _sheet_preview(
        self,
        request: HttpRequest,
        consultation: Consultation,
        participant: Participant,
        sheet: comment_sheet.Sheet,
        **extra: Any,
    ) -> TemplateResponse:
        payload = signing.dumps(
            {"participant": participant.pk, "user": request.user.pk, "rows": sheet.good_raw()},
            salt=SHEET_PAYLOAD_SALT,
            compress=True,
        )
        return self._sheet_page(
            request,
            consultation,
            "preview.html",
            participant=participant,
            sheet=sheet,
            form=InviteeConfirmForm(initial={"payload": payload}),
            **extra,
        )

    def comment_sheet_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: choose the participant and the file; POST: the preview, nothing stored yet."""
        consultation = self._sheet_consultation(request, object_id)
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if request.method == "GET":
            form = CommentSheetUploadForm(consultation=consultation)
            return self._sheet_page(request, consultation, "upload.html", form=form)
        form = CommentSheetUploadForm(request.POST, request.FILES, consultation=consultation)
        if form.is_valid():
            participant = form.cleaned_data["participant"]
            upload = form.cleaned_data["file"]
            try:
                sheet = comment_sheet.read_sheet(
                    upload, filename=upload.name, consultation=consultation, participant=participant
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return self._sheet_preview(request, consultation, participant, sheet)
        return self._sheet_page(request, consultation, "upload.html", form=form)

    def comment_sheet_blank_view(
        self, request: HttpRequest, object_id: str, file_format: str
    ) -> HttpResponse:
        """A blank comment sheet of the consultation's drafts, to send to a participant or fill in for them."""
        consultation = self._sheet_consultation(request, object_id)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        if file_format not in BLANK_FORMATS:
            raise Http404
        return blank_sheet_response(consultation, file_format=file_format)

    def comment_sheet_confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Check the previewed rows again and store them as the participant's, all or none."""
        consultation = self._sheet_consultation(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:feedback_consultation_comment_sheet", args=[consultation.pk])
            )
        form = InviteeConfirmForm(request.POST)
        try:
            if not form.is_valid():
                raise signing.BadSignature
            data = signing.loads(
                form.cleaned_data["payload"], salt=SHEET_PAYLOAD_SALT, max_age=SHEET_PAYLOAD_MAX_AGE
            )
            if data["user"] != request.user.pk:
                raise signing.BadSignature
            participant = consultation.participants.get(pk=data["participant"], is_erased=False)
            raw = comment_sheet.rows_from_payload(data["rows"])
        except (signing.BadSignature, Participant.DoesNotExist, KeyError, TypeError, ValueError):
            error = _("The preview was changed or is too old. Upload the file again.")
            upload = CommentSheetUploadForm(consultation=consultation)
            return self._sheet_page(
                request, consultation, "upload.html", status=400, form=upload, error=error
            )
        sheet = comment_sheet.check_rows(raw, consultation=consultation, participant=participant)
        if sheet.refused:
            changed = _("Some rows can no longer be stored since the preview. Check them and confirm again.")
            return self._sheet_preview(request, consultation, participant, sheet, changed=changed)
        response, _created = Response.objects.get_or_create(participant=participant)
        stored = comment_sheet.store_comments(response=response, rows=sheet.rows, by=request.user)
        self.message_user(
            request,
            ngettext(
                "Stored %(count)d comment for %(participant)s.",
                "Stored %(count)d comments for %(participant)s.",
                len(stored),
            )
            % {"count": len(stored), "participant": participant.pseudonym},
            messages.SUCCESS,
        )
        changelist = reverse("admin:feedback_comment_changelist")
        return HttpResponseRedirect(
            f"{changelist}?response__participant__consultation__id__exact={consultation.pk}&status=all"
        )
