"""The organisers' workspace: consultation set-up, invitations, responses and the moderation queue."""

import json
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import lookup_spawns_duplicates, unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import AbstractUser, Group
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from feedback import audit, exports, invitees, limits, services
from feedback.forms import ExportForm, InviteeConfirmForm, InviteeUploadForm, InviteExpiryForm, ResourceForm
from feedback.models import (
    Answer,
    AuditEvent,
    Codebook,
    Comment,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    ResourceSection,
    Response,
    Theme,
)

EXCERPT_CHARS = 120
# The previewed invitees travel to the confirmation signed, so an edited or stale page is refused.
INVITEE_PAYLOAD_SALT = "feedback.invitees"
INVITEE_PAYLOAD_MAX_AGE = timedelta(hours=6)


def sees_identities(request: HttpRequest) -> bool:
    """Moderators and analysts work on pseudonyms: only those who may view participants see their names."""
    return request.user.has_perm("feedback.view_participant")


def in_every_language(*fields: str) -> list[str]:
    """Search fields for translated content: each language's column, so that an organiser reading the admin in
    French still finds a consultation by its English title (the plain name would search French only)."""
    return [f"{field}_{code}" for field in fields for code, _name in settings.LANGUAGES]


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
    export = exports.Export(answers=answers, comments=comments, profile=profile, consultation=consultation)
    response = exports.file_response(export, file_format="csv", filename=filename)
    rows = export.row_count
    filters = dict(request.GET.lists())
    audit.record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
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


def jsonable(value: object) -> object:
    """A form value as the audit trail stores it: objects by primary key, times as ISO 8601, the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | QuerySet):
        return [jsonable(item) for item in value]
    return str(value)


def record_form_change(
    request: HttpRequest,
    obj: models.Model,
    form: forms.ModelForm,
    change: bool,
    *,
    fields: list[str] | None = None,
    action: str = AuditEvent.Action.CHANGE,
    consultation: Consultation | None = None,
) -> None:
    """One audit event for the fields the organiser changed on an admin form, with their old and new values."""
    changed = [name for name in form.changed_data if fields is None or name in fields]
    if not changed:
        return
    audit.record(
        actor=request.user,
        action=action,
        consultation=consultation,
        obj=obj,
        before={name: jsonable(form.initial.get(name)) for name in changed} if change else {},
        after={name: jsonable(form.cleaned_data.get(name)) for name in changed},
        details={"via": "admin", "added": not change},
    )


# Consultations, resources, questions


class ConsultationResourceInline(admin.TabularInline):
    model = ConsultationResource
    fields = ["position", "resource"]
    autocomplete_fields = ["resource"]
    ordering = ["position"]
    extra = 0


class QuestionInline(TranslationTabularInline):
    model = Question
    fields = ["number", "text", "kind", "is_required"]
    ordering = ["number"]
    extra = 0
    show_change_link = True
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})}}


@admin.register(Consultation)
class ConsultationAdmin(ExportPermissions, TranslationAdmin):
    list_display = [
        "title",
        "stakeholder_group",
        "opens_at",
        "closes_at",
        "is_published",
        "participant_count",
        "submitted_count",
    ]
    list_filter = ["is_published", "stakeholder_group_en"]
    search_fields = [*in_every_language("title", "stakeholder_group"), "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["meeting_in_time_zone", "created_at", "insights_published_at", "analysis_links"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "stakeholder_group", "is_published", "analysis_links"]}),
        (
            _("Description"),
            {"fields": ["summary", "background", "objective", "structure", "expected_outcomes"]},
        ),
        (
            _("Meeting"),
            {
                "fields": ["meeting_starts_at", "meeting_ends_at", "time_zone", "meeting_in_time_zone"],
                "description": _(
                    "Times are entered in the site's time zone; the last line shows them in the meeting's."
                ),
            },
        ),
        (_("Feedback window"), {"fields": ["opens_at", "closes_at", "window_note"]}),
        (
            _("Confidentiality and contact"),
            {"fields": ["confidentiality", "contact_email", "retention_days", "created_at"]},
        ),
        (
            _("Insights report"),
            {
                # Publishing is a button on the report page, so that it is audited; here it is only shown.
                "fields": ["insights_summary", "insights_published_at"],
                "description": _("The summary heads the insights report under /analysis/<slug>/insights/."),
            },
        ),
    ]
    inlines = [ConsultationResourceInline, QuestionInline]
    actions = ["duplicate", "export_answers_csv", "export_pseudonymised_csv"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Consultation]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                participant_count=Count("participants", distinct=True),
                submitted_count=Count(
                    "participants",
                    filter=Q(participants__response__status=Response.Status.SUBMITTED),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=_("participants"), ordering="participant_count")
    def participant_count(self, obj: Consultation) -> int:
        return obj.participant_count

    @admin.display(description=_("submitted"), ordering="submitted_count")
    def submitted_count(self, obj: Consultation) -> int:
        return obj.submitted_count

    @admin.display(description=_("analysis"))
    def analysis_links(self, obj: Consultation) -> str:
        if obj.pk is None:
            return self.get_empty_value_display()
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("feedback:analysis-dashboard", args=[obj.slug]),
            _("Dashboard"),
            reverse("feedback:analysis-search", args=[obj.slug]),
            _("Search answers and comments"),
        )

    @admin.display(description=_("meeting in its time zone"))
    def meeting_in_time_zone(self, obj: Consultation) -> str:
        if obj.meeting_starts_at is None:
            return self.get_empty_value_display()
        with timezone.override(obj.tz):
            starts = timezone.localtime(obj.meeting_starts_at)
            text = date_format(starts, "DATETIME_FORMAT")
            if obj.meeting_ends_at is not None:
                ends = timezone.localtime(obj.meeting_ends_at)
                same_day = ends.date() == starts.date()
                text += " – " + date_format(ends, "TIME_FORMAT" if same_day else "DATETIME_FORMAT")
        return f"{text} ({obj.time_zone})"

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
            export = exports.Export.of(
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
        self, request: HttpRequest, consultation: Consultation, export: exports.Export, choice: dict[str, Any]
    ) -> HttpResponse:
        if limits.is_limited(request, "export"):
            return limits.too_many_requests(request)
        file_format = choice["format"]
        bom = choice["bom"] and file_format == "csv"
        today = timezone.localdate().isoformat()
        filename = f"{export.profile}-{export.shape}-{consultation.slug}-{today}.{file_format}"
        response = exports.file_response(export, file_format=file_format, filename=filename, bom=bom)
        audit.record(
            actor=request.user,
            action=AuditEvent.Action.EXPORT,
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
            answers=exports.answers_for_export(consultation),
            comments=exports.comments_for_export(consultation),
            profile=profile,
            filename=f"{prefix}-{consultation.slug}-{timezone.localdate().isoformat()}.csv",
            consultation=consultation,
        )

    @admin.action(description=_("Duplicate to start the next consultation"), permissions=["add"])
    def duplicate(self, request: HttpRequest, queryset: QuerySet[Consultation]) -> None:
        copies = [
            services.duplicate_consultation(consultation=consultation, by=request.user)
            for consultation in queryset.select_related(None).order_by("pk")
        ]
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:feedback_consultation_change", args=[copy.pk]), copy.title) for copy in copies),
        )
        message = ngettext(
            "Created %(count)d unpublished copy, without participants: {}",
            "Created %(count)d unpublished copies, without participants: {}",
            len(copies),
        ) % {"count": len(copies)}
        self.message_user(request, format_html(message, links), messages.SUCCESS)


class ResourceSectionInline(TranslationStackedInline):
    model = ResourceSection
    fields = ["position", "heading", "body"]
    ordering = ["position"]
    extra = 0
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})}}


@admin.register(Resource)
class ResourceAdmin(TranslationAdmin):
    list_display = ["title", "category", "version_label", "section_count"]
    list_filter = ["category"]
    search_fields = in_every_language("title", "summary")
    form = ResourceForm
    fields = ["title", "category", "version_label", "summary", "file"]
    inlines = [ResourceSectionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Resource]:
        return super().get_queryset(request).annotate(section_count=Count("sections"))

    @admin.display(description=_("sections"), ordering="section_count")
    def section_count(self, obj: Resource) -> int:
        return obj.section_count


@admin.register(Question)
class QuestionAdmin(TranslationAdmin):
    list_display = ["number", "short_text", "consultation", "kind", "is_required", "resource"]
    list_display_links = ["number", "short_text"]
    list_filter = ["consultation", "kind"]
    search_fields = in_every_language("text")
    list_select_related = ["consultation", "resource"]
    ordering = ["consultation", "number"]
    autocomplete_fields = ["resource"]
    fieldsets = [
        (None, {"fields": ["consultation", "number", "text", "help_text", "is_required", "resource"]}),
        (
            _("Answer"),
            {"fields": ["kind", "choices", "scale_min_label", "scale_max_label", "max_length"]},
        ),
    ]

    @admin.display(description=_("question"), ordering="text")
    def short_text(self, obj: Question) -> str:
        return Truncator(obj.text).chars(EXCERPT_CHARS)


# Participants and invitations


class InvitationStateFilter(admin.SimpleListFilter):
    title = _("invitation")
    parameter_name = "invitation"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return Participant.InvitationState.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Participant]) -> QuerySet[Participant]:
        submitted = Q(response__status=Response.Status.SUBMITTED)
        edited = Q(response__status=Response.Status.DRAFT, response__last_edited_at__isnull=False)
        opened = Q(first_opened_at__isnull=False) | Q(response__isnull=False)
        conditions = {
            Participant.InvitationState.NOT_SENT: Q(invited_at__isnull=True) & ~opened,
            Participant.InvitationState.SENT: Q(invited_at__isnull=False) & ~opened,
            Participant.InvitationState.OPENED: opened & ~submitted & ~edited,
            Participant.InvitationState.DRAFT: edited,
            Participant.InvitationState.SUBMITTED: submitted,
        }
        condition = conditions.get(self.value())
        return queryset if condition is None else queryset.filter(condition)


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for erasure"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_(
            "Kept in the audit trail, e.g. the date and reference of the request; do not write their name."
        ),
    )


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organisation",
        "organisation_type",
        "country",
        "consultation",
        "attribution",
        "invitation",
        "invite_expires_at",
        "is_revoked",
    ]
    list_filter = [
        "consultation",
        InvitationStateFilter,
        "organisation_type",
        "attribution",
        "is_revoked",
        "is_erased",
    ]
    search_fields = ["name", "email", "organisation"]
    list_select_related = ["consultation", "response"]
    show_full_result_count = False
    # token_hash is never shown: it is not in these fields, and editable=False keeps it out of the form.
    readonly_fields = ["pseudonym", "invited_at", "first_opened_at", "consented_at", "created_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "consultation",
                    "name",
                    "email",
                    "organisation",
                    "role",
                    "organisation_type",
                    "country",
                    "language",
                    "answer_language",
                ]
            },
        ),
        (_("Quotation and consent"), {"fields": ["attribution", "consented_at", "conflict_of_interest"]}),
        (
            _("Invitation"),
            {"fields": ["invited_at", "invite_expires_at", "first_opened_at", "is_revoked"]},
        ),
        (_("Record"), {"fields": ["pseudonym", "created_at"]}),
    ]
    actions = ["send_invitations", "set_invite_expiry", "revoke_invitations", "erase"]

    @admin.display(description=_("invitation"))
    def invitation(self, obj: Participant) -> str:
        return obj.invitation_state().label

    def save_model(self, request: HttpRequest, obj: Participant, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.changed_data:
            record_form_change(request, obj, form, change, consultation=obj.consultation)

    @admin.action(description=_("Send or resend invitation links"), permissions=["change"])
    def send_invitations(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        participants = list(queryset.filter(is_revoked=False).select_related("consultation"))
        for participant in participants:
            services.send_invitation(participant=participant, by=request.user)
        sent = len(participants)
        self.message_user(
            request,
            ngettext(
                "Sent %(count)d invitation link. Any earlier link for this participant no longer works.",
                "Sent %(count)d invitation links. Any earlier links for these participants no longer work.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )
        skipped = queryset.filter(is_revoked=True).count()
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "Skipped %(count)d revoked participant.",
                    "Skipped %(count)d revoked participants.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Revoke invitations"), permissions=["change"])
    def revoke_invitations(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        revoked = services.revoke_invitations(participants=queryset, by=request.user)
        self.message_user(
            request,
            ngettext(
                "Revoked %(count)d invitation; its link no longer works.",
                "Revoked %(count)d invitations; their links no longer work.",
                revoked,
            )
            % {"count": revoked},
            messages.SUCCESS,
        )

    @admin.action(description=_("Set invitation expiry…"), permissions=["change"])
    def set_invite_expiry(
        self, request: HttpRequest, queryset: QuerySet[Participant]
    ) -> TemplateResponse | None:
        form = InviteExpiryForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            expires_at = None if form.cleaned_data["no_expiry"] else form.cleaned_data["expires_at"]
            count = services.set_invite_expiry(participants=queryset, expires_at=expires_at, by=request.user)
            if expires_at is None:
                message = ngettext(
                    "%(count)d invitation link no longer expires.",
                    "%(count)d invitation links no longer expire.",
                    count,
                ) % {"count": count}
            else:
                message = ngettext(
                    "%(count)d invitation link now stops working at %(at)s.",
                    "%(count)d invitation links now stop working at %(at)s.",
                    count,
                ) % {"count": count, "at": date_format(timezone.localtime(expires_at), "DATETIME_FORMAT")}
            self.message_user(request, message, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Set invitation expiry"),
            "form": form,
            "participants": queryset.select_related(None).only("pk", "name", "organisation")[:1000],
            "count": queryset.count(),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "set_invite_expiry",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/feedback/participant/set_invite_expiry.html", context)

    # Erasure cannot be undone and removes a person from every export: only roles that may delete participants.
    @admin.action(description=_("Erase selected participants…"), permissions=["delete"])
    def erase(self, request: HttpRequest, queryset: QuerySet[Participant]) -> TemplateResponse | None:
        form = EraseForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            count = services.erase_participants(
                participants=queryset, by=request.user, reason=form.cleaned_data["reason"]
            )
            self.message_user(
                request,
                ngettext(
                    "Erased %(count)d participant: their profile and words are gone from every page and export.",
                    "Erased %(count)d participants: their profiles and words are gone from every page and export.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Erase participants"),
            "form": form,
            "participants": queryset.filter(is_erased=False)
            .select_related(None)
            .only("pk", "name", "organisation")[:1000],
            "count": queryset.filter(is_erased=False).count(),
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "erase",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/feedback/participant/erase.html", context)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_invitees_view),
                name="feedback_participant_import",
            ),
            path(
                "import/confirm/",
                self.admin_site.admin_view(self.import_invitees_confirm_view),
                name="feedback_participant_import_confirm",
            ),
            *super().get_urls(),
        ]

    def _import_page(
        self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import invitees"),
            **context,
        }
        return TemplateResponse(request, f"admin/feedback/participant/{template}", context, status=status)

    def _preview(
        self, request: HttpRequest, consultation: Consultation, good: list, bad: list, **extra: Any
    ) -> TemplateResponse:
        payload = signing.dumps(
            {"consultation": consultation.pk, "rows": [row.as_dict() for row in good]},
            salt=INVITEE_PAYLOAD_SALT,
            compress=True,
        )
        form = InviteeConfirmForm(initial={"payload": payload})
        context = {"consultation": consultation, "good": good, "bad": bad, "form": form, **extra}
        return self._import_page(request, "import_preview.html", context)

    def import_invitees_view(self, request: HttpRequest) -> TemplateResponse:
        """Step 1 (GET): choose the consultation and the file; step 2 (POST): preview, nothing saved yet."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            form = InviteeUploadForm(initial={"consultation": request.GET.get("consultation")})
            return self._import_page(request, "import_invitees.html", {"form": form})
        form = InviteeUploadForm(request.POST, request.FILES)
        if form.is_valid():
            consultation = form.cleaned_data["consultation"]
            try:
                good, bad = invitees.parse_invitees(form.cleaned_data["file"], consultation)
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return self._preview(request, consultation, good, bad)
        return self._import_page(request, "import_invitees.html", {"form": form})

    def import_invitees_confirm_view(self, request: HttpRequest) -> HttpResponse:
        """Step 3: validate the previewed rows again and add them, in one transaction."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:feedback_participant_import"))
        form = InviteeConfirmForm(request.POST)
        try:
            if not form.is_valid():
                raise signing.BadSignature
            data = signing.loads(
                form.cleaned_data["payload"], salt=INVITEE_PAYLOAD_SALT, max_age=INVITEE_PAYLOAD_MAX_AGE
            )
            consultation = Consultation.objects.get(pk=data["consultation"])
            rows = invitees.rows_from_payload(data["rows"])
        except (signing.BadSignature, Consultation.DoesNotExist, KeyError, TypeError, ValueError):
            upload = InviteeUploadForm()
            error = _("The preview was changed or is too old. Upload the file again.")
            return self._import_page(
                request, "import_invitees.html", {"form": upload, "error": error}, status=400
            )
        good, bad = invitees.validate_rows(rows, consultation)
        if bad:
            # Someone was added (or the preview was edited) since the preview: show it again, save nothing.
            changed = _("Some rows can no longer be added since the preview. Check them and confirm again.")
            return self._preview(request, consultation, good, bad, changed=changed)
        send = form.cleaned_data["send"]
        try:
            added = services.import_invitees(consultation=consultation, rows=good, by=request.user, send=send)
        except IntegrityError:
            good, bad = invitees.validate_rows(rows, consultation)
            changed = _("Some rows can no longer be added since the preview. Check them and confirm again.")
            return self._preview(request, consultation, good, bad, changed=changed)
        count = len(added)
        message = ngettext(
            "Added %(count)d invitee to %(consultation)s.",
            "Added %(count)d invitees to %(consultation)s.",
            count,
        ) % {"count": count, "consultation": consultation}
        if send:
            message += " " + ngettext(
                "Sent %(count)d invitation link.", "Sent %(count)d invitation links.", count
            ) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)
        changelist = reverse("admin:feedback_participant_changelist")
        return HttpResponseRedirect(f"{changelist}?consultation__id__exact={consultation.pk}")


# Responses and answers: participants own their words, organisers only read and moderate them


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["question", "text", "selected", "status", "moderated_by"]
    readonly_fields = fields
    ordering = ["question__number"]
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Answer]:
        return super().get_queryset(request).select_related("question", "moderated_by")

    def has_add_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False


class CommentInline(admin.TabularInline):
    model = Comment
    fields = ["resource", "section", "text", "status", "disposition"]
    readonly_fields = fields
    ordering = ["resource__title", "section__position"]
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Comment]:
        return super().get_queryset(request).select_related("resource", "section")

    def has_add_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["participant", "consultation", "status", "submitted_at", "last_edited_at", "answer_count"]
    list_filter = ["status", "participant__consultation"]
    search_fields = ["participant__name", "participant__organisation"]
    list_select_related = ["participant__consultation"]
    show_full_result_count = False
    fields = ["participant", "status", "submitted_at", "last_edited_at", "created_at"]
    readonly_fields = fields
    inlines = [AnswerInline, CommentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        return super().get_queryset(request).annotate(answer_count=Count("answers"))

    @admin.display(description=_("consultation"), ordering="participant__consultation")
    def consultation(self, obj: Response) -> Consultation:
        return obj.participant.consultation

    @admin.display(description=_("answers"), ordering="answer_count")
    def answer_count(self, obj: Response) -> int:
        return obj.answer_count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        # View only: the page shows everything, and nothing an organiser does here can alter a response.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Response | None = None) -> bool:
        return False


# Coding and redaction, shared by the answer and comment queues


def excerpt_cell(item: Answer | Comment) -> str:
    """The queue's text cell: what the item shows (the redaction when there is one), marked when redacted."""
    value = item.shown_value()
    marker = ""
    if item.is_redacted:
        marker = format_html(' <strong class="redacted-marker">[{}]</strong>', _("redacted"))
    # format_html escapes the participant's text in both the tooltip and the cell.
    return format_html(
        '<span title="{}">{}</span>{}',
        Truncator(value).chars(500),
        Truncator(value).chars(EXCERPT_CHARS),
        marker,
    )


class ThemeFilter(admin.SimpleListFilter):
    title = _("theme")
    parameter_name = "theme"
    untagged = "none"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        themes = Theme.objects.select_related("codebook").order_by("codebook__name", "code")
        return [(self.untagged, _("Untagged")), *((str(theme.pk), str(theme)) for theme in themes)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.untagged:
            # NOT EXISTS, not Django's LEFT JOIN ... IS NULL: PostgreSQL estimated that at one row and joined and
            # sorted every untagged item (140 ms at 100,000 answers) instead of walking the queue's index.
            tags = queryset.model.themes.through.objects.filter(
                **{queryset.model._meta.model_name: OuterRef("pk")}
            )
            return queryset.filter(~Exists(tags))
        if value and value.isdigit():
            return queryset.filter(themes=value)
        return queryset


class RedactionForm(forms.Form):
    passage = forms.CharField(
        label=_("Passage to redact"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Copy it exactly from the text as shown; every occurrence is replaced with [redacted]."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))


class ThemeChoiceForm(forms.Form):
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"), queryset=Theme.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, themes: QuerySet[Theme], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["themes"].queryset = themes


class CodingAndRedaction:
    """Theme tagging (one by one and in bulk) and redaction, for the answer and comment admins."""

    change_form_template = "admin/feedback/moderated_change_form.html"
    filter_horizontal = ["themes"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # One query for the themes of the whole page, whatever its size.
        return super().get_queryset(request).prefetch_related("themes")

    @admin.display(description=_("themes"))
    def theme_codes(self, obj: Answer | Comment) -> str:
        return ", ".join(sorted(theme.code for theme in obj.themes.all()))

    @admin.display(description=_("redaction"))
    def redaction(self, obj: Answer | Comment | None) -> str:
        if obj is None or not obj.is_redacted:
            return _("Nothing is redacted.")
        return format_html(
            '<div class="pre-wrap">{}</div><p>{}: {}</p><p>{}</p>',
            obj.redacted_text,
            _("Reason"),
            obj.redaction_reason,
            obj.redacted_by or "",
        )

    def get_form(self, request: HttpRequest, obj: Answer | Comment | None = None, **kwargs: object):
        form = super().get_form(request, obj, **kwargs)
        if "themes" in form.base_fields:
            # Only the themes of the code book of this item's consultation may be chosen.
            form.base_fields["themes"].queryset = (
                Theme.objects.filter(codebook__consultations__participants__response=obj.response_id)
                if obj is not None
                else Theme.objects.none()
            )
        return form

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        # Themes go through the service, which records the change in the audit trail.
        if "themes" in form.changed_data:
            services.set_themes(item=form.instance, themes=form.cleaned_data["themes"], by=request.user)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/redact/",
                self.admin_site.admin_view(self.redact_view),
                name="{}_{}_redact".format(*info),
            ),
            path(
                "<path:object_id>/clear-redaction/",
                self.admin_site.admin_view(self.clear_redaction_view),
                name="{}_{}_clear_redaction".format(*info),
            ),
            *super().get_urls(),
        ]

    def _item_to_change(self, request: HttpRequest, object_id: str) -> Answer | Comment:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _change_url(self, obj: Answer | Comment) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    def redact_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._item_to_change(request, object_id)
        form = RedactionForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                services.redact(
                    item=obj,
                    passage=form.cleaned_data["passage"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error("passage", error)
            else:
                self.message_user(
                    request, _("The passage is redacted; the original is kept."), messages.SUCCESS
                )
                return HttpResponseRedirect(self._change_url(obj))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Redact a passage"),
            "opts": self.opts,
            "original": obj,
            "form": form,
            "change_url": self._change_url(obj),
        }
        return TemplateResponse(request, "admin/feedback/redact.html", context)

    def clear_redaction_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._item_to_change(request, object_id)
        services.clear_redaction(item=obj, by=request.user)
        self.message_user(request, _("The redaction is cleared; the original text is shown again."))
        return HttpResponseRedirect(self._change_url(obj))

    @admin.action(description=_("Add themes…"), permissions=["change"])
    def add_themes(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._tag_page(request, queryset, action="add_themes", remove=False)

    @admin.action(description=_("Remove themes…"), permissions=["change"])
    def remove_themes(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._tag_page(request, queryset, action="remove_themes", remove=True)

    def _tag_page(
        self, request: HttpRequest, queryset: QuerySet, *, action: str, remove: bool
    ) -> HttpResponse | None:
        """Like Django's delete confirmation: first a page to choose the themes, then "apply" tags."""
        codebooks = queryset.order_by().values("response__participant__consultation__codebook_id")
        themes = Theme.objects.filter(codebook_id__in=codebooks).select_related("codebook")
        form = ThemeChoiceForm(request.POST if "apply" in request.POST else None, themes=themes)
        if form.is_bound and form.is_valid():
            count = services.tag(
                items=queryset, themes=form.cleaned_data["themes"], by=request.user, remove=remove
            )
            self.message_user(
                request,
                ngettext(
                    "Changed the themes of %(count)d item.", "Changed the themes of %(count)d items.", count
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        select_across = request.POST.get("select_across") == "1"
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Remove themes") if remove else _("Add themes"),
            "opts": self.opts,
            "form": form,
            "action": action,
            "select_across": select_across,
            "selected": [] if select_across else selected,
            "count": queryset.count() if select_across else len(selected),
        }
        return TemplateResponse(request, "admin/feedback/tag_themes.html", context)


class ModerationStatusFilter(admin.SimpleListFilter):
    """Moderation status, defaulting to pending so the queue opens on what needs work."""

    title = _("moderation status")
    parameter_name = "status"
    default = Answer.Status.PENDING
    everything = "all"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*Answer.Status.choices, (self.everything, _("All"))]

    def value(self) -> str:
        return super().value() or self.default

    def queryset(self, request: HttpRequest, queryset: QuerySet[Answer]) -> QuerySet[Answer]:
        value = self.value()
        if value == self.everything:
            return queryset
        return queryset.filter(status=value)

    def choices(self, changelist: ChangeList) -> list[dict[str, object]]:
        # No parameter means pending here, so Django's "All" link is replaced by an explicit "all" lookup.
        facet_counts = self.get_facet_queryset(changelist) if changelist.add_facets else None
        choices = []
        for i, (lookup, title) in enumerate(self.lookup_choices):
            if facet_counts is not None:
                title = f"{title} ({facet_counts.get(f'{i}__c', '-')})"
            choices.append(
                {
                    "selected": self.value() == str(lookup),
                    "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                    "display": title,
                }
            )
        return choices


def consultation_of(item: Answer | Comment) -> Consultation:
    return item.response.participant.consultation


class PseudonymousQueue(ExportPermissions):
    """What the answer and comment queues share: who may not see identities sees the pseudonym instead."""

    def get_list_display(self, request: HttpRequest) -> list[str]:
        columns = list(super().get_list_display(request))
        if sees_identities(request):
            return columns
        return ["pseudonym" if column == "participant" else column for column in columns]

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        fields = list(super().get_search_fields(request))
        if sees_identities(request):
            return fields
        return [field for field in fields if not field.startswith("response__participant__")]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Django's search (each word in one of the fields, case-insensitive), written so that PostgreSQL can use
        indexes: the `text` of words of 3 or more characters is looked up in its trigram index (migration 0015)
        and related fields (the participant's name) in their own table, each as a set of ids. Django's single
        WHERE, text OR name per item, read and joined every item (730 ms at 100,000 answers)."""
        fields = list(self.get_search_fields(request))
        if connection.vendor != "postgresql" or "text" not in fields or not search_term:
            return super().get_search_results(request, queryset, search_term)
        model = queryset.model

        def matches(field: str, word: str) -> Q:
            if field == "text" and len(word) >= 3:  # shorter words have no trigram to look up
                return Q(pk__in=model.objects.filter(text__icontains=word).values("pk"))
            relation, _sep, rest = field.partition("__")
            if rest:
                related = model._meta.get_field(relation).related_model
                return Q(
                    **{f"{relation}__in": related.objects.filter(**{f"{rest}__icontains": word}).values("pk")}
                )
            return Q(**{f"{field}__icontains": word})

        words = []
        for word in smart_split(search_term):
            if word.startswith(('"', "'")) and word[0] == word[-1]:
                word = unescape_string_literal(word)
            words.append(Q(*(matches(field, word) for field in fields), _connector=Q.OR))
        duplicates = any(lookup_spawns_duplicates(self.opts, field) for field in fields)
        return queryset.filter(*words), duplicates

    def get_fields(self, request: HttpRequest, obj: Answer | Comment | None = None) -> list[str]:
        # The response field reads "name (organisation)", so those who may not see identities get the pseudonym.
        fields = list(super().get_fields(request, obj))
        if sees_identities(request):
            return fields
        return ["pseudonym" if field == "response" else field for field in fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Answer | Comment | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if sees_identities(request):
            return fields
        fields = ["pseudonym" if field == "response" else field for field in fields]
        return fields if "pseudonym" in fields else [*fields, "pseudonym"]

    @admin.display(description=_("participant"), ordering="response__participant__pseudonym")
    def pseudonym(self, obj: Answer | Comment) -> str:
        return obj.response.participant.pseudonym

    # Django renders each row's checkbox through the form widget templates, about a fifth of a 100-row queue
    # page's time; this writes the same markup directly (the column header is Django's, chosen by the name).
    def action_checkbox(self, obj: Answer | Comment) -> str:
        label = format_html(str(_("Select this object for an action - {}")), obj)
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )


@admin.register(Answer)
class AnswerAdmin(CodingAndRedaction, PseudonymousQueue, admin.ModelAdmin):
    # Oldest first, so the queue is worked in arrival order; served by the (status, id) index.
    ordering = ["id"]
    list_display = [
        "question_number",
        "participant",
        "consultation",
        "excerpt",
        "status",
        "theme_codes",
        "moderated_by",
        "updated_at",
    ]
    list_display_links = ["question_number", "excerpt"]
    list_filter = [
        ModerationStatusFilter,
        "response__participant__consultation",
        "question",
        ThemeFilter,
        "response__status",
    ]
    search_fields = ["text", "response__participant__name"]
    list_select_related = ["question", "response__participant__consultation", "moderated_by"]
    show_full_result_count = False
    fields = [
        "question",
        "response",
        "text",
        "selected",
        "status",
        "moderator_note",
        "themes",
        "redaction",
        "moderated_by",
        "moderated_at",
        "created_at",
        "updated_at",
    ]
    # Organisers never rewrite a participant's words; they moderate and annotate them.
    readonly_fields = [
        "question",
        "response",
        "text",
        "selected",
        "redaction",
        "moderated_by",
        "moderated_at",
        "created_at",
        "updated_at",
    ]
    actions = [
        "approve",
        "hide",
        "flag",
        "add_themes",
        "remove_themes",
        "export_csv",
        "export_pseudonymised_csv",
    ]

    @admin.display(description=_("question"), ordering="question__number")
    def question_number(self, obj: Answer) -> str:
        return f"Q{obj.question.number}"

    @admin.display(description=_("participant"), ordering="response__participant__name")
    def participant(self, obj: Answer) -> str:
        return obj.response.participant.name

    @admin.display(description=_("consultation"), ordering="response__participant__consultation")
    def consultation(self, obj: Answer) -> Consultation:
        return obj.response.participant.consultation

    @admin.display(description=_("answer"))
    def excerpt(self, obj: Answer) -> str:
        return excerpt_cell(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Answer | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Answer, form: forms.ModelForm, change: bool) -> None:
        # Save only the note, so a participant's edit made while the form was open is never overwritten.
        if "moderator_note" in form.changed_data:
            obj.save(update_fields=["moderator_note", "updated_at"])
            record_form_change(
                request, obj, form, change, fields=["moderator_note"], consultation=consultation_of(obj)
            )
        if "status" in form.changed_data:
            services.moderate_answers(
                answers=Answer.objects.filter(pk=obj.pk), status=obj.status, by=request.user
            )

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Answer], status: Answer.Status) -> None:
        count = services.moderate_answers(answers=queryset, status=status, by=request.user)
        self.message_user(
            request,
            ngettext(
                "Marked %(count)d answer as %(status)s.",
                "Marked %(count)d answers as %(status)s.",
                count,
            )
            % {"count": count, "status": status.label.lower()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Approve selected answers"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Answer]) -> None:
        self._moderate(request, queryset, Answer.Status.APPROVED)

    @admin.action(description=_("Hide selected answers"), permissions=["change"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Answer]) -> None:
        self._moderate(request, queryset, Answer.Status.HIDDEN)

    @admin.action(description=_("Flag selected answers"), permissions=["change"])
    def flag(self, request: HttpRequest, queryset: QuerySet[Answer]) -> None:
        self._moderate(request, queryset, Answer.Status.FLAGGED)

    @admin.action(description=_("Export selected answers as CSV"), permissions=["export_identified"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Answer]) -> HttpResponse:
        filename = f"answers-{timezone.localdate().isoformat()}.csv"
        return export_response(
            request, answers=queryset, comments=None, profile="identified", filename=filename
        )

    @admin.action(
        description=_("Export selected answers as pseudonymised CSV"), permissions=["export_pseudonymised"]
    )
    def export_pseudonymised_csv(self, request: HttpRequest, queryset: QuerySet[Answer]) -> HttpResponse:
        filename = f"answers-pseudonymised-{timezone.localdate().isoformat()}.csv"
        return export_response(
            request, answers=queryset, comments=None, profile="pseudonymised", filename=filename
        )


@admin.register(Comment)
class CommentAdmin(CodingAndRedaction, PseudonymousQueue, admin.ModelAdmin):
    """The comment queue: moderation as for answers, plus how the organisers dealt with each comment."""

    # Oldest first, so the queue is worked in arrival order; served by the (status, id) index.
    ordering = ["id"]
    list_display = [
        "resource_title",
        "place",
        "participant",
        "excerpt",
        "status",
        "theme_codes",
        "disposition",
        "moderated_by",
        "updated_at",
    ]
    list_display_links = ["resource_title", "excerpt"]
    list_filter = [
        ModerationStatusFilter,
        "response__participant__consultation",
        "resource",
        ThemeFilter,
        "disposition",
        "response__status",
    ]
    search_fields = ["text", "organiser_reply", "response__participant__name"]
    list_select_related = ["resource", "section", "response__participant__consultation", "moderated_by"]
    show_full_result_count = False
    fields = [
        "resource",
        "section",
        "response",
        "text",
        "status",
        "moderator_note",
        "themes",
        "redaction",
        "disposition",
        "organiser_reply",
        "moderated_by",
        "moderated_at",
        "created_at",
        "updated_at",
    ]
    # Organisers never rewrite a participant's words; they moderate, annotate and reply to them.
    readonly_fields = [
        "resource",
        "section",
        "response",
        "text",
        "redaction",
        "moderated_by",
        "moderated_at",
        "created_at",
        "updated_at",
    ]
    actions = [
        "approve",
        "hide",
        "flag",
        "add_themes",
        "remove_themes",
        "export_csv",
        "export_pseudonymised_csv",
    ]

    @admin.display(description=_("resource"), ordering="resource__title")
    def resource_title(self, obj: Comment) -> str:
        return obj.resource.title

    @admin.display(description=_("on"), ordering="section__position")
    def place(self, obj: Comment) -> str:
        return obj.place

    @admin.display(description=_("participant"), ordering="response__participant__name")
    def participant(self, obj: Comment) -> str:
        return obj.response.participant.name

    @admin.display(description=_("comment"))
    def excerpt(self, obj: Comment) -> str:
        return excerpt_cell(obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Comment | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("feedback.dispose_comment"):
            fields += ["disposition", "organiser_reply"]
        return fields

    def save_model(self, request: HttpRequest, obj: Comment, form: forms.ModelForm, change: bool) -> None:
        # Save only the organisers' fields, so a participant's edit made while the form was open is kept.
        changed = [
            name for name in ("moderator_note", "disposition", "organiser_reply") if name in form.changed_data
        ]
        if changed:
            obj.save(update_fields=[*changed, "updated_at"])
            consultation = consultation_of(obj)
            record_form_change(
                request, obj, form, change, fields=["moderator_note"], consultation=consultation
            )
            record_form_change(
                request,
                obj,
                form,
                change,
                fields=["disposition", "organiser_reply"],
                action=AuditEvent.Action.DISPOSE,
                consultation=consultation,
            )
        if "status" in form.changed_data:
            services.moderate_comments(
                comments=Comment.objects.filter(pk=obj.pk), status=obj.status, by=request.user
            )

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Comment], status: Comment.Status) -> None:
        count = services.moderate_comments(comments=queryset, status=status, by=request.user)
        self.message_user(
            request,
            ngettext(
                "Marked %(count)d comment as %(status)s.",
                "Marked %(count)d comments as %(status)s.",
                count,
            )
            % {"count": count, "status": status.label.lower()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Approve selected comments"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, Comment.Status.APPROVED)

    @admin.action(description=_("Hide selected comments"), permissions=["change"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, Comment.Status.HIDDEN)

    @admin.action(description=_("Flag selected comments"), permissions=["change"])
    def flag(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._moderate(request, queryset, Comment.Status.FLAGGED)

    @admin.action(description=_("Export selected comments as CSV"), permissions=["export_identified"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Comment]) -> HttpResponse:
        filename = f"comments-{timezone.localdate().isoformat()}.csv"
        return export_response(
            request, answers=Answer.objects.none(), comments=queryset, profile="identified", filename=filename
        )

    @admin.action(
        description=_("Export selected comments as pseudonymised CSV"), permissions=["export_pseudonymised"]
    )
    def export_pseudonymised_csv(self, request: HttpRequest, queryset: QuerySet[Comment]) -> HttpResponse:
        filename = f"comments-pseudonymised-{timezone.localdate().isoformat()}.csv"
        return export_response(
            request,
            answers=Answer.objects.none(),
            comments=queryset,
            profile="pseudonymised",
            filename=filename,
        )


# Theme code books


class ThemeInline(TranslationTabularInline):
    model = Theme
    fields = ["code", "name", "parent", "description"]
    ordering = ["code"]
    extra = 0
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 60})}}


@admin.register(Codebook)
class CodebookAdmin(admin.ModelAdmin):
    list_display = ["name", "theme_count", "consultation_count"]
    list_filter: list[str] = []
    search_fields = ["name", "description"]
    fields = ["name", "description"]
    inlines = [ThemeInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Codebook]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                theme_count=Count("themes", distinct=True),
                consultation_count=Count("consultations", distinct=True),
            )
        )

    @admin.display(description=_("themes"), ordering="theme_count")
    def theme_count(self, obj: Codebook) -> int:
        return obj.theme_count

    @admin.display(description=_("consultations"), ordering="consultation_count")
    def consultation_count(self, obj: Codebook) -> int:
        return obj.consultation_count


def tagged_count(through: type[models.Model]) -> Coalesce:
    """How many items carry the theme, as a subquery: two Counts over joins would multiply each other."""
    counts = (
        through.objects.filter(theme_id=OuterRef("pk"))
        .order_by()
        .values("theme_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counts, output_field=models.IntegerField()), 0)


@admin.register(Theme)
class ThemeAdmin(TranslationAdmin):
    list_display = ["code", "name", "codebook", "parent", "answer_count", "comment_count"]
    list_display_links = ["code", "name"]
    list_filter = ["codebook"]
    search_fields = ["code", *in_every_language("name", "description")]
    list_select_related = ["codebook", "parent"]
    fields = ["codebook", "code", "name", "parent", "description"]
    ordering = ["codebook", "code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Theme]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                answer_count=tagged_count(Answer.themes.through),
                comment_count=tagged_count(Comment.themes.through),
            )
        )

    @admin.display(description=_("answers"), ordering="answer_count")
    def answer_count(self, obj: Theme) -> int:
        return obj.answer_count

    @admin.display(description=_("comments"), ordering="comment_count")
    def comment_count(self, obj: Theme) -> int:
        return obj.comment_count


# The audit trail, and who may do what


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The trail is read-only for everyone, superusers included: the admin can neither add, change nor delete."""

    list_display = [
        "at",
        "actor_name",
        "action",
        "consultation",
        "object_type",
        "object_repr",
        "count",
        "change_summary",
    ]
    list_filter = ["action", "consultation", "object_type", "at"]
    search_fields = ["actor_name", "object_repr", "object_id"]
    list_select_related = ["consultation"]
    show_full_result_count = False
    date_hierarchy = "at"
    fields = [
        "at",
        "actor",
        "actor_name",
        "action",
        "consultation",
        "object_type",
        "object_id",
        "object_repr",
        "count",
        "before_json",
        "after_json",
        "details_json",
    ]
    readonly_fields = fields

    @admin.display(description=_("before → after"))
    def change_summary(self, obj: AuditEvent) -> str:
        before = obj.before if isinstance(obj.before, dict) else {}
        after = obj.after if isinstance(obj.after, dict) else {}
        keys = sorted(set(before) | set(after))
        # format_html_join escapes the values: they can hold participants' words and organisers' notes.
        return format_html_join(
            "\n",
            "<div>{}: {} → {}</div>",
            (
                (key, summary_value(before.get(key, "–")), summary_value(after.get(key, "–")))
                for key in keys[:SUMMARY_KEYS]
            ),
        )

    @admin.display(description=_("before"))
    def before_json(self, obj: AuditEvent) -> str:
        return pretty_json(obj.before)

    @admin.display(description=_("after"))
    def after_json(self, obj: AuditEvent) -> str:
        return pretty_json(obj.after)

    @admin.display(description=_("details"))
    def details_json(self, obj: AuditEvent) -> str:
        return pretty_json(obj.details)

    def has_view_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        # Only the view permission opens the trail: the change permission means nothing for it.
        return request.user.has_perm("feedback.view_auditevent")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


SUMMARY_KEYS = 4
SUMMARY_CHARS = 40


def summary_value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return Truncator(text).chars(SUMMARY_CHARS)


def pretty_json(value: object) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


NEW_USER_RIGHTS = {
    "is_active": True,
    "is_staff": False,
    "is_superuser": False,
    "groups": [],
    "user_permissions": [],
}


def user_rights(user: AbstractUser) -> dict[str, object]:
    return {
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


def initial_user_rights(initial: dict[str, Any]) -> dict[str, object]:
    """The rights the change form opened with (groups and permissions are objects in a form's initial)."""
    return {
        "is_active": initial.get("is_active", True),
        "is_staff": initial.get("is_staff", False),
        "is_superuser": initial.get("is_superuser", False),
        "groups": sorted(group.name for group in initial.get("groups", [])),
        "user_permissions": sorted(perm.codename for perm in initial.get("user_permissions", [])),
    }


class AuditedUserAdmin(UserAdmin):
    """Django's user admin, recording every change to someone's rights in the audit trail."""

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = initial_user_rights(form.initial) if change else NEW_USER_RIGHTS
        after = user_rights(form.instance)
        changed = [key for key in after if before[key] != after[key]]
        if changed:
            audit.record(
                actor=request.user,
                action=AuditEvent.Action.PERMISSION,
                obj=form.instance,
                before={key: before[key] for key in changed},
                after={key: after[key] for key in changed},
                details={"via": "admin", "added": not change},
            )


class AuditedGroupAdmin(GroupAdmin):
    """Django's group admin, recording every change to a group's permissions in the audit trail."""

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = sorted(perm.codename for perm in form.initial.get("permissions", [])) if change else []
        after = sorted(form.instance.permissions.values_list("codename", flat=True))
        if before != after:
            audit.record(
                actor=request.user,
                action=AuditEvent.Action.PERMISSION,
                obj=form.instance,
                before={"permissions": before},
                after={"permissions": after},
                details={"via": "admin", "added": not change},
            )


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AuditedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AuditedGroupAdmin)
