"""Participants and invitations in the admin: sending, revoking, expiry, CSV import with preview, erasure;
responses read-only with their answers and comments."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from feedback.admin.common import record_form_change
from feedback.admin.forms import EraseForm, InviteeConfirmForm, InviteeUploadForm, InviteExpiryForm
from feedback.models import (
    Answer,
    Comment,
    Consultation,
    Participant,
    Response,
)
from feedback.organising import invitations, invitees, lifecycle

# The previewed invitees travel to the confirmation signed, so an edited or stale page is refused.
INVITEE_PAYLOAD_SALT = "feedback.invitees"


INVITEE_PAYLOAD_MAX_AGE = timedelta(hours=6)


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
            invitations.send_invitation(participant=participant, by=request.user)
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
        revoked = invitations.revoke_invitations(participants=queryset, by=request.user)
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
            count = invitations.set_invite_expiry(
                participants=queryset, expires_at=expires_at, by=request.user
            )
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
            count = lifecycle.erase_participants(
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
            added = invitations.import_invitees(
                consultation=consultation, rows=good, by=request.user, send=send
            )
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
