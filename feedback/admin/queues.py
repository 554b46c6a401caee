"""The moderation queues of answers and comments: one base for moderation, coding and redaction, pseudonyms
for those who may not see identities."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import lookup_spawns_duplicates, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from feedback.admin.common import EXCERPT_CHARS, record_form_change
from feedback.admin.exports import ExportPermissions, export_response
from feedback.admin.forms import RedactionForm, ThemeChoiceForm
from feedback.admin.responses import CommentChangeForm, CommentChanges, OrphanedFilter
from feedback.exports.columns import COMMENT_TYPE_CODES
from feedback.exports.shapes import anchor_label
from feedback.models import (
    Answer,
    AuditEvent,
    Comment,
    Consultation,
    Moderated,
    ResourceVersion,
    Revision,
    Theme,
)
from feedback.organising import moderation
from feedback.roles import sees_identities

QUOTE_EXCERPT_CHARS = 60

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
        cell = format_html('<div class="pre-wrap">{}</div>', obj.redacted_text)
        if getattr(obj, "redacted_proposed_change", ""):
            cell = format_html(
                '{}<p>{}</p><div class="pre-wrap">{}</div>',
                cell,
                _("Proposed change:"),
                obj.redacted_proposed_change,
            )
        return format_html(
            "{}<p>{}: {}</p><p>{}</p>", cell, _("Reason"), obj.redaction_reason, obj.redacted_by or ""
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
            moderation.set_themes(item=form.instance, themes=form.cleaned_data["themes"], by=request.user)
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
                moderation.redact(
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
        moderation.clear_redaction(item=obj, by=request.user)
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
            count = moderation.tag(
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


class VersionFilter(admin.SimpleListFilter):
    """Comments on version n of their resource (with the resource filter: of that resource)."""

    title = _("version")
    parameter_name = "version"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        numbers = (
            ResourceVersion.objects.filter(comments__isnull=False)
            .order_by("number")
            .values_list("number", flat=True)
            .distinct()
        )
        return [(str(number), f"v{number}") for number in numbers]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(version__number=int(value))
        return queryset


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


def moderation_action(status: str, description: str) -> Any:
    @admin.action(description=description, permissions=["change"])
    def action(self: "ModerationQueue", request: HttpRequest, queryset: QuerySet) -> None:
        self.moderate(request, queryset, status)

    return action


def export_action(profile: str, description: str) -> Any:
    permission = "export_identified" if profile == "identified" else "export_pseudonymised"

    @admin.action(description=description, permissions=[permission])
    def action(self: "ModerationQueue", request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        answers, comments = self.exported(queryset)
        kind = self.opts.model_name
        prefix = f"{kind}s" if profile == "identified" else f"{kind}s-{profile}"
        filename = f"{prefix}-{timezone.localdate().isoformat()}.csv"
        return export_response(
            request, answers=answers, comments=comments, profile=profile, filename=filename
        )

    return action


class ModerationQueue(CodingAndRedaction, PseudonymousQueue, admin.ModelAdmin):
    """The answer queue and the comment queue: moderation actions, coding, redaction and exports alike; each
    says which service moderates it and what it exports."""

    # Oldest first, so the queue is worked in arrival order; served by the (status, id) index.
    ordering = ["id"]
    show_full_result_count = False
    actions = [
        "approve",
        "hide",
        "flag",
        "add_themes",
        "remove_themes",
        "export_csv",
        "export_pseudonymised_csv",
    ]
    moderated_message: Any

    @admin.display(description=_("participant"), ordering="response__participant__name")
    def participant(self, obj: Answer | Comment) -> str:
        return obj.response.participant.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Answer | Comment | None = None) -> bool:
        return False

    def moderate(self, request: HttpRequest, queryset: QuerySet, status: str) -> None:
        count = self.moderate_items(queryset, status=status, by=request.user)
        label = Moderated.Status(status).label.lower()
        self.message_user(
            request, self.moderated_message % {"count": count, "status": label}, messages.SUCCESS
        )

    def moderate_items(self, queryset: QuerySet, *, status: str, by: Any) -> int:
        raise NotImplementedError

    def exported(self, queryset: QuerySet) -> tuple[QuerySet[Answer], QuerySet[Comment] | None]:
        raise NotImplementedError


@admin.register(Answer)
class AnswerAdmin(ModerationQueue):
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

    @admin.display(description=_("question"), ordering="question__number")
    def question_number(self, obj: Answer) -> str:
        return f"Q{obj.question.number}"

    @admin.display(description=_("consultation"), ordering="response__participant__consultation")
    def consultation(self, obj: Answer) -> Consultation:
        return obj.response.participant.consultation

    @admin.display(description=_("answer"))
    def excerpt(self, obj: Answer) -> str:
        return excerpt_cell(obj)

    def exported(self, queryset: QuerySet[Answer]) -> tuple[QuerySet[Answer], None]:
        return queryset, None

    def save_model(self, request: HttpRequest, obj: Answer, form: forms.ModelForm, change: bool) -> None:
        # Save only the note, so a participant's edit made while the form was open is never overwritten.
        if "moderator_note" in form.changed_data:
            obj.save(update_fields=["moderator_note", "updated_at"])
            record_form_change(
                request, obj, form, change, fields=["moderator_note"], consultation=consultation_of(obj)
            )
        if "status" in form.changed_data:
            moderation.moderate_answers(
                answers=Answer.objects.filter(pk=obj.pk), status=obj.status, by=request.user
            )

    def moderate_items(self, queryset: QuerySet, *, status: str, by: Any) -> int:
        return moderation.moderate_answers(answers=queryset, status=status, by=by)

    moderated_message = ngettext_lazy(
        "Marked %(count)d answer as %(status)s.", "Marked %(count)d answers as %(status)s.", "count"
    )
    approve = moderation_action(Moderated.Status.APPROVED, _("Approve selected answers"))
    hide = moderation_action(Moderated.Status.HIDDEN, _("Hide selected answers"))
    flag = moderation_action(Moderated.Status.FLAGGED, _("Flag selected answers"))
    export_csv = export_action("identified", _("Export selected answers as CSV"))
    export_pseudonymised_csv = export_action(
        "pseudonymised", _("Export selected answers as pseudonymised CSV")
    )


def _revision_cell(revision: Revision, kinds: dict[str, str]) -> str:
    """One earlier version of a comment: its type, text and proposed change before the change."""
    if not revision.previous_kind and not revision.previous_text:
        return _("added after submitting")
    cell = format_html(
        '{} <span class="pre-wrap">{}</span>',
        kinds.get(revision.previous_kind, revision.previous_kind),
        revision.previous_text or _("(no text)"),
    )
    if revision.previous_proposed_change:
        cell = format_html(
            '{}<br>{} <span class="pre-wrap">{}</span>',
            cell,
            _("Proposed change:"),
            revision.previous_proposed_change,
        )
    return cell


@admin.register(Comment)
class CommentAdmin(CommentChanges, ModerationQueue):
    """The comment queue: moderation as for answers, plus how the organisers dealt with each comment."""

    list_display = [
        "resource_title",
        "place",
        "kind_code",
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
        VersionFilter,
        OrphanedFilter,
        "kind",
        ThemeFilter,
        "disposition",
        "response__status",
    ]
    search_fields = ["text", "proposed_change", "quote", "organiser_reply", "response__participant__name"]
    list_select_related = [
        "resource",
        "version",
        "section",
        "paragraph",
        "response__participant__consultation",
        "moderated_by",
    ]
    fields = [
        "resource",
        "version",
        "anchor",
        "kind",
        "response",
        "text",
        "proposed_change",
        "earlier_versions",
        "status",
        "moderator_note",
        "themes",
        "redaction",
        "disposition",
        "organiser_reply",
        "placements",
        "addressed_by",
        "linked_changes",
        "moderated_by",
        "moderated_at",
        "created_at",
        "updated_at",
    ]
    form = CommentChangeForm
    # Organisers never rewrite a participant's words; they moderate, annotate and reply to them.
    readonly_fields = [
        "resource",
        "version",
        "anchor",
        "kind",
        "response",
        "text",
        "proposed_change",
        "earlier_versions",
        "redaction",
        "placements",
        "linked_changes",
        "moderated_by",
        "moderated_at",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("resource"), ordering="resource__title")
    def resource_title(self, obj: Comment) -> str:
        return obj.resource.title

    @admin.display(description=_("on"), ordering="section__position")
    def place(self, obj: Comment) -> str:
        """Version, "3.2 ¶4" and the start of the quoted passage, from the joined rows (no query per row)."""
        label = anchor_label(obj) or str(_("Whole resource"))
        cell = format_html('<span class="anchor-label">v{} · {}</span>', obj.version.number, label)
        if obj.quote:
            cell = format_html(
                '{}<br><q class="quoted-passage" title="{}">{}</q>',
                cell,
                Truncator(obj.quote).chars(500),
                Truncator(obj.quote).chars(QUOTE_EXCERPT_CHARS),
            )
        return cell

    @admin.display(description=_("type"), ordering="kind")
    def kind_code(self, obj: Comment) -> str:
        return format_html(
            '<abbr title="{}">{}</abbr>', obj.get_kind_display(), COMMENT_TYPE_CODES.get(obj.kind, obj.kind)
        )

    @admin.display(description=_("comment"))
    def excerpt(self, obj: Comment) -> str:
        cell = excerpt_cell(obj)
        if obj.proposed_change:
            cell = format_html(
                '{}<br><span class="proposed-change">{} {}</span>',
                cell,
                _("Proposed:"),
                Truncator(obj.shown_proposed_change()).chars(QUOTE_EXCERPT_CHARS),
            )
        return cell

    @admin.display(description=_("earlier versions"))
    def earlier_versions(self, obj: Comment | None) -> str:
        """What the comment said before each change the participant made after submitting, newest first: type,
        text and proposed change."""
        revisions = list(obj.revisions.order_by("-edited_at", "-pk")) if obj is not None else []
        if not revisions:
            return _("Not changed after submitting.")
        kinds = dict(Comment.Kind.choices)
        return format_html(
            '<ol class="earlier-versions">{}</ol>',
            format_html_join(
                "",
                '<li><time datetime="{}">{}</time>: {}</li>',
                (
                    (
                        revision.edited_at.isoformat(),
                        date_format(timezone.localtime(revision.edited_at), "SHORT_DATETIME_FORMAT"),
                        _revision_cell(revision, kinds),
                    )
                    for revision in revisions
                ),
            ),
        )

    @admin.display(description=_("where"))
    def anchor(self, obj: Comment) -> str:
        """The change form's anchor: section, paragraph and the quoted passage in its context."""
        if obj.section_id is None:
            return str(_("The whole resource"))
        where = (
            format_html("{} · {}", obj.place, obj.section.heading) if obj.paragraph_id else str(obj.section)
        )
        if not obj.quote:
            return where
        return format_html(
            '{}<blockquote class="quoted-passage">…{}<mark>{}</mark>{}…</blockquote>',
            where,
            obj.quote_prefix,
            obj.quote,
            obj.quote_suffix,
        )

    def exported(self, queryset: QuerySet[Comment]) -> tuple[QuerySet[Answer], QuerySet[Comment]]:
        return Answer.objects.none(), queryset

    def get_readonly_fields(self, request: HttpRequest, obj: Comment | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("feedback.dispose_comment"):
            fields += ["disposition", "organiser_reply"]
        return fields

    def get_form(self, request: HttpRequest, obj: Comment | None = None, **kwargs: object):
        return self.comment_form_for(super().get_form(request, obj, **kwargs), request, obj)

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
            moderation.moderate_comments(
                comments=Comment.objects.filter(pk=obj.pk), status=obj.status, by=request.user
            )
        self.save_changes(request, form)

    def moderate_items(self, queryset: QuerySet, *, status: str, by: Any) -> int:
        return moderation.moderate_comments(comments=queryset, status=status, by=by)

    moderated_message = ngettext_lazy(
        "Marked %(count)d comment as %(status)s.", "Marked %(count)d comments as %(status)s.", "count"
    )
    approve = moderation_action(Moderated.Status.APPROVED, _("Approve selected comments"))
    hide = moderation_action(Moderated.Status.HIDDEN, _("Hide selected comments"))
    flag = moderation_action(Moderated.Status.FLAGGED, _("Flag selected comments"))
    export_csv = export_action("identified", _("Export selected comments as CSV"))
    export_pseudonymised_csv = export_action(
        "pseudonymised", _("Export selected comments as pseudonymised CSV")
    )
