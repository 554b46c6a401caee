"""The organisers' workspace: consultation set-up, invitations, responses and the moderation queue."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from feedback import exports, services
from feedback.models import (
    Answer,
    Comment,
    Consultation,
    ConsultationResource,
    Participant,
    Question,
    Resource,
    ResourceSection,
    Response,
)

EXCERPT_CHARS = 120


def may_export_identified(request: HttpRequest) -> bool:
    # Identified exports name participants, so only those allowed to see participants may download them.
    return request.user.has_perm("feedback.view_participant")


# Consultations, resources, questions


class ConsultationResourceInline(admin.TabularInline):
    model = ConsultationResource
    fields = ["position", "resource"]
    autocomplete_fields = ["resource"]
    ordering = ["position"]
    extra = 0


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["number", "text", "kind", "is_required"]
    ordering = ["number"]
    extra = 0
    show_change_link = True
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})}}


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "stakeholder_group",
        "opens_at",
        "closes_at",
        "is_published",
        "participant_count",
        "submitted_count",
    ]
    list_filter = ["is_published", "stakeholder_group"]
    search_fields = ["title", "slug", "stakeholder_group"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["meeting_in_time_zone", "created_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "stakeholder_group", "is_published"]}),
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
        (_("Confidentiality and contact"), {"fields": ["confidentiality", "contact_email", "created_at"]}),
    ]
    inlines = [ConsultationResourceInline, QuestionInline]
    actions = ["export_answers_csv"]

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

    def has_export_permission(self, request: HttpRequest) -> bool:
        return may_export_identified(request)

    @admin.action(description=_("Export answers and comments as CSV"), permissions=["export"])
    def export_answers_csv(
        self, request: HttpRequest, queryset: QuerySet[Consultation]
    ) -> HttpResponse | None:
        selected = list(queryset[:2])
        if len(selected) != 1:
            self.message_user(request, _("Select exactly one consultation to export."), messages.ERROR)
            return None
        consultation = selected[0]
        filename = f"answers-{consultation.slug}-{timezone.localdate().isoformat()}.csv"
        return exports.csv_response(
            exports.answers_for_export(consultation),
            comments=exports.comments_for_export(consultation),
            profile="identified",
            filename=filename,
        )


class ResourceSectionInline(admin.TabularInline):
    model = ResourceSection
    fields = ["position", "heading", "body"]
    ordering = ["position"]
    extra = 0
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})}}


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "version_label", "section_count"]
    list_filter = ["category"]
    search_fields = ["title", "summary"]
    fields = ["title", "category", "version_label", "summary", "file"]
    inlines = [ResourceSectionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Resource]:
        return super().get_queryset(request).annotate(section_count=Count("sections"))

    @admin.display(description=_("sections"), ordering="section_count")
    def section_count(self, obj: Resource) -> int:
        return obj.section_count


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["number", "short_text", "consultation", "kind", "is_required", "resource"]
    list_display_links = ["number", "short_text"]
    list_filter = ["consultation", "kind"]
    search_fields = ["text"]
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


class InvitationState(models.TextChoices):
    NOT_SENT = "not_sent", _("Not sent")
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


def invitation_state(participant: Participant) -> InvitationState:
    """How far the participant got, from the invitation times and their response (select_related it)."""
    # A missing one-to-one raises an exception that is also an AttributeError, so getattr can default it.
    response = getattr(participant, "response", None)
    if response is not None and response.status == Response.Status.SUBMITTED:
        return InvitationState.SUBMITTED
    if response is not None and response.last_edited_at is not None:
        return InvitationState.DRAFT
    if participant.first_opened_at is not None or response is not None:
        return InvitationState.OPENED
    if participant.invited_at is not None:
        return InvitationState.SENT
    return InvitationState.NOT_SENT


class InvitationStateFilter(admin.SimpleListFilter):
    title = _("invitation")
    parameter_name = "invitation"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return InvitationState.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Participant]) -> QuerySet[Participant]:
        submitted = Q(response__status=Response.Status.SUBMITTED)
        edited = Q(response__status=Response.Status.DRAFT, response__last_edited_at__isnull=False)
        opened = Q(first_opened_at__isnull=False) | Q(response__isnull=False)
        conditions = {
            InvitationState.NOT_SENT: Q(invited_at__isnull=True) & ~opened,
            InvitationState.SENT: Q(invited_at__isnull=False) & ~opened,
            InvitationState.OPENED: opened & ~submitted & ~edited,
            InvitationState.DRAFT: edited,
            InvitationState.SUBMITTED: submitted,
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
        "is_revoked",
    ]
    list_filter = ["consultation", InvitationStateFilter, "organisation_type", "attribution", "is_revoked"]
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
    actions = ["send_invitations", "revoke_invitations"]

    @admin.display(description=_("invitation"))
    def invitation(self, obj: Participant) -> str:
        return invitation_state(obj).label

    @admin.action(description=_("Send invitation links"), permissions=["change"])
    def send_invitations(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        participants = list(queryset.filter(is_revoked=False).select_related("consultation"))
        for participant in participants:
            services.send_invitation(participant=participant)
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
        revoked = queryset.update(is_revoked=True)
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


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = [
        "question_number",
        "participant",
        "consultation",
        "excerpt",
        "status",
        "moderated_by",
        "updated_at",
    ]
    list_display_links = ["question_number", "excerpt"]
    list_filter = [
        ModerationStatusFilter,
        "response__participant__consultation",
        "question",
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
        "moderated_by",
        "moderated_at",
        "created_at",
        "updated_at",
    ]
    actions = ["approve", "hide", "flag", "export_csv"]

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
        value = obj.display_value()
        # format_html escapes the participant's text in both the tooltip and the cell.
        return format_html(
            '<span title="{}">{}</span>', Truncator(value).chars(500), Truncator(value).chars(EXCERPT_CHARS)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Answer | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Answer, form: forms.ModelForm, change: bool) -> None:
        # Save only the note, so a participant's edit made while the form was open is never overwritten.
        if "moderator_note" in form.changed_data:
            obj.save(update_fields=["moderator_note", "updated_at"])
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

    def has_export_permission(self, request: HttpRequest) -> bool:
        return may_export_identified(request)

    @admin.action(description=_("Export selected answers as CSV"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Answer]) -> HttpResponse:
        filename = f"answers-{timezone.localdate().isoformat()}.csv"
        return exports.csv_response(queryset, profile="identified", filename=filename)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """The comment queue: moderation as for answers, plus how the organisers dealt with each comment."""

    list_display = [
        "resource_title",
        "place",
        "participant",
        "excerpt",
        "status",
        "disposition",
        "moderated_by",
        "updated_at",
    ]
    list_display_links = ["resource_title", "excerpt"]
    list_filter = [
        ModerationStatusFilter,
        "response__participant__consultation",
        "resource",
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
        "moderated_by",
        "moderated_at",
        "created_at",
        "updated_at",
    ]
    actions = ["approve", "hide", "flag", "export_csv"]

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
        # format_html escapes the participant's text in both the tooltip and the cell.
        return format_html(
            '<span title="{}">{}</span>',
            Truncator(obj.text).chars(500),
            Truncator(obj.text).chars(EXCERPT_CHARS),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Comment, form: forms.ModelForm, change: bool) -> None:
        # Save only the organisers' fields, so a participant's edit made while the form was open is kept.
        changed = [
            name for name in ("moderator_note", "disposition", "organiser_reply") if name in form.changed_data
        ]
        if changed:
            obj.save(update_fields=[*changed, "updated_at"])
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

    def has_export_permission(self, request: HttpRequest) -> bool:
        return may_export_identified(request)

    @admin.action(description=_("Export selected comments as CSV"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Comment]) -> HttpResponse:
        filename = f"comments-{timezone.localdate().isoformat()}.csv"
        return exports.csv_response(
            Answer.objects.none(), comments=queryset, profile="identified", filename=filename
        )
