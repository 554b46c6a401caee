"""The meeting in the admin: the run of show as an inline of the consultation, and the moderation queues of
live points and rapporteur notes (status, redaction, themes), pseudonymous like the other queues."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationTabularInline

from feedback.admin.common import EXCERPT_CHARS, NamedInlineFormSet
from feedback.meeting import services
from feedback.models import AgendaItem, Consultation, LivePoint, Moderated, Question, RapporteurNote


class AgendaItemInline(TranslationTabularInline):
    model = AgendaItem
    formset = NamedInlineFormSet
    fields = ["position", "title", "planned_minutes", "question", "notes"]
    ordering = ["position"]
    extra = 0
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}

    def formfield_for_foreignkey(self, db_field: models.Field, request: HttpRequest, **kwargs: object):
        if db_field.name == "question":
            # Only the consultation's own questions (none yet on the add page).
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Question.objects.filter(consultation_id=object_id).order_by("number")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def meeting_links(consultation: Consultation) -> str:
    """Links from the consultation's change page to its meeting pages."""
    return format_html(
        '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
        reverse("feedback:meeting-console", args=[consultation.slug]),
        _("Meeting console"),
        reverse("feedback:meeting-notes", args=[consultation.slug]),
        _("Rapporteur notes"),
        reverse("feedback:meeting-record", args=[consultation.slug]),
        _("Meeting record"),
    )


class MeetingInputAdmin(admin.ModelAdmin):
    """What the live-point and rapporteur-note queues share: moderation actions, redaction and themes."""

    list_filter = ["status", "is_rehearsal", "agenda_item__consultation"]
    readonly_fields = [
        "text",
        "agenda_item",
        "created_at",
        "updated_at",
        "moderated_by",
        "moderated_at",
        "language",
    ]
    show_full_result_count = False
    actions = ["approve", "hide", "flag"]
    filter_horizontal = ["themes"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("text"))
    def excerpt(self, obj: Moderated) -> str:
        return Truncator(obj.shown_value()).chars(EXCERPT_CHARS)

    def _moderate(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        count = services.moderate_input(items=queryset, status=status, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d item moderated.", "%(count)d items moderated.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Approve"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._moderate(request, queryset, Moderated.Status.APPROVED)

    @admin.action(description=_("Hide"), permissions=["change"])
    def hide(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._moderate(request, queryset, Moderated.Status.HIDDEN)

    @admin.action(description=_("Flag"), permissions=["change"])
    def flag(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._moderate(request, queryset, Moderated.Status.FLAGGED)

    def save_model(self, request: HttpRequest, obj: Moderated, form: forms.ModelForm, change: bool) -> None:
        # Status, redaction and themes go through the services, so that each change is audited.
        if "status" in form.changed_data:
            services.moderate_input(
                items=type(obj).objects.filter(pk=obj.pk), status=form.cleaned_data["status"], by=request.user
            )
        if {"redacted_text", "redaction_reason"} & set(form.changed_data):
            services.set_input_redaction(
                item=obj,
                redacted_text=form.cleaned_data["redacted_text"],
                reason=form.cleaned_data["redaction_reason"],
                by=request.user,
            )
        if "moderator_note" in form.changed_data:
            type(obj).objects.filter(pk=obj.pk).update(moderator_note=form.cleaned_data["moderator_note"])

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        services.set_input_themes(item=form.instance, themes=form.cleaned_data["themes"], by=request.user)


@admin.register(LivePoint)
class LivePointAdmin(MeetingInputAdmin):
    list_display = ["excerpt", "agenda_item", "pseudonym", "status", "is_rehearsal", "updated_at"]
    list_select_related = ["agenda_item", "participant"]
    search_fields = ["text"]
    fields = [
        "agenda_item",
        "text",
        "language",
        "status",
        "moderator_note",
        "redacted_text",
        "redaction_reason",
        "themes",
        "created_at",
        "updated_at",
        "moderated_by",
        "moderated_at",
    ]

    @admin.display(description=_("participant"), ordering="participant__pseudonym")
    def pseudonym(self, obj: LivePoint) -> str:
        return obj.participant.pseudonym


@admin.register(RapporteurNote)
class RapporteurNoteAdmin(MeetingInputAdmin):
    list_display = ["excerpt", "agenda_item", "kind", "speaker", "status", "is_rehearsal", "created_at"]
    list_filter = ["status", "kind", "speaker", "is_rehearsal", "agenda_item__consultation"]
    list_select_related = ["agenda_item"]
    search_fields = ["text"]
    fields = [
        "agenda_item",
        "kind",
        "speaker",
        "text",
        "language",
        "status",
        "moderator_note",
        "redacted_text",
        "redaction_reason",
        "themes",
        "created_at",
        "updated_at",
        "moderated_by",
        "moderated_at",
    ]
    readonly_fields = [*MeetingInputAdmin.readonly_fields, "kind", "speaker"]
