"""The admin's exports: the export page of a consultation (choices, row counts, download), the export
actions of the consultation list and the queues, and the audited download they share."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from feedback import audit, limits
from feedback.admin.forms import ExportForm
from feedback.exports import formats, shapes
from feedback.models import Answer, Comment, Consultation


class ExportPermissions:
    """The checks behind the export actions' `permissions=["export_identified"]` and the pseudonymised kind."""

    def has_export_identified_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("feedback.export_identified")

    def has_export_pseudonymised_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("feedback.export_pseudonymised")


def export_response(
    request: HttpRequest,
    *,
    answers: QuerySet[Answer],
    comments: QuerySet[Comment] | None,
    profile: str,
    filename: str,
    consultation: Consultation | None = None,
) -> HttpResponse:
    """Write the long CSV to a temporary file, record the export (who, profile, rows, filters), send the file."""
    if limits.is_limited(request, "export"):
        return limits.too_many_requests(request)
    export = shapes.Export(answers=answers, comments=comments, profile=profile, consultation=consultation)
    # No choices here: the byte order mark, as on the export page's default, so that Excel reads it as UTF-8.
    response = formats.file_response(export, file_format="csv", filename=filename, bom=True)
    rows = export.row_count
    filters = dict(request.GET.lists())
    audit.record_export(
        actor=request.user,
        consultation=consultation,
        count=rows,
        details={
            "profile": profile,
            "rows": rows,
            "format": "csv",
            "shape": "long",
            "filters": filters,
            "file": filename,
        },
    )
    return response


class ConsultationExportPage(ExportPermissions):
    """The export page and export actions of the consultation admin."""

    @admin.action(description=_("Export answers and comments as CSV"), permissions=["export_identified"])
    def export_answers_csv(
        self, request: HttpRequest, queryset: QuerySet[Consultation]
    ) -> HttpResponse | None:
        return self._export(request, queryset, profile="identified", prefix="answers")

    @admin.action(
        description=_("Export answers and comments as pseudonymised CSV"),
        permissions=["export_pseudonymised"],
    )
    def export_pseudonymised_csv(
        self, request: HttpRequest, queryset: QuerySet[Consultation]
    ) -> HttpResponse | None:
        return self._export(request, queryset, profile="pseudonymised", prefix="pseudonymised")

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="feedback_consultation_export",
            ),
            *super().get_urls(),
        ]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        columns = list(super().get_list_display(request))
        return [*columns, "export_link"] if self.export_profiles(request) else columns

    @admin.display(description=_("export"))
    def export_link(self, obj: Consultation) -> str:
        url = reverse("admin:feedback_consultation_export", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Export feedback"))

    def export_profiles(self, request: HttpRequest) -> list[tuple[str, str]]:
        """The profiles this user may export: identified is the organisers' alone."""
        identified = self.has_export_identified_permission(request)
        allowed = [("identified", _("Identified: names and organisations"))] if identified else []
        if identified or self.has_export_pseudonymised_permission(request):
            allowed += [
                ("pseudonymised", _("Pseudonymised: participant codes, no names or organisations")),
                ("chatham-house", _("Chatham House: as each participant chose to be quoted")),
            ]
        return allowed

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET shows the choices and, once chosen, how many rows they export; POST downloads the file."""
        profiles = self.export_profiles(request)
        if not profiles:
            raise PermissionDenied
        consultation = self.get_object(request, unquote(object_id))
        if consultation is None:
            raise Http404
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        data = request.POST if request.method == "POST" else (request.GET or None)
        form = ExportForm(data, consultation=consultation, profiles=profiles)
        counts = None
        if form.is_bound and form.is_valid():
            choice = form.cleaned_data
            export = shapes.Export.of(
                consultation, profile=choice["profile"], shape=choice["shape"], filters=form.export_filters()
            )
            if request.method == "POST":
                return self._export_download(request, consultation, export, choice)
            counts = export.counts()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export %(consultation)s") % {"consultation": consultation},
            "opts": self.opts,
            "original": consultation,
            "form": form,
            "counts": counts,
            "query": list(request.GET.lists()) if counts is not None else [],
        }
        return TemplateResponse(request, "admin/feedback/consultation/export.html", context)

    def _export_download(
        self, request: HttpRequest, consultation: Consultation, export: shapes.Export, choice: dict[str, Any]
    ) -> HttpResponse:
        if limits.is_limited(request, "export"):
            return limits.too_many_requests(request)
        file_format = choice["format"]
        bom = choice["bom"] and file_format == "csv"
        today = timezone.localdate().isoformat()
        filename = f"{export.profile}-{export.shape}-{consultation.slug}-{today}.{file_format}"
        response = formats.file_response(export, file_format=file_format, filename=filename, bom=bom)
        audit.record_export(
            actor=request.user,
            consultation=consultation,
            count=export.row_count,
            details={
                "via": "export page",
                "profile": export.profile,
                "shape": export.shape,
                "format": file_format,
                "bom": bom,
                "rows": export.row_count,
                "filters": export.filters.as_dict(),
                "file": filename,
            },
        )
        return response

    def _export(
        self, request: HttpRequest, queryset: QuerySet[Consultation], *, profile: str, prefix: str
    ) -> HttpResponse | None:
        selected = list(queryset[:2])
        if len(selected) != 1:
            self.message_user(request, _("Select exactly one consultation to export."), messages.ERROR)
            return None
        consultation = selected[0]
        return export_response(
            request,
            answers=shapes.answers_for_export(consultation),
            comments=shapes.comments_for_export(consultation),
            profile=profile,
            filename=f"{prefix}-{consultation.slug}-{timezone.localdate().isoformat()}.csv",
            consultation=consultation,
        )
