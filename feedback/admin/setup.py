"""Setting a consultation up: consultations (with the export page and duplication), resources, guiding
questions, theme code books."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from feedback.admin import meeting
from feedback.admin.common import EXCERPT_CHARS, NamedInlineFormSet, in_every_language
from feedback.admin.drafts import ConsultationDraftImport, ResourceDraftImport
from feedback.admin.exports import ConsultationExportPage
from feedback.admin.forms import ResourceForm
from feedback.admin.responses import ConsultationResponses, ResourceCompare
from feedback.admin.sheets import ConsultationCommentSheet
from feedback.models import (
    Answer,
    Codebook,
    Comment,
    Consultation,
    ConsultationResource,
    Question,
    Resource,
    ResourceSection,
    ResourceVersion,
    Response,
    Theme,
    touch_resource_consultations,
)
from feedback.organising import lifecycle

# Consultations, resources, questions


class ConsultationResourceInline(admin.TabularInline):
    model = ConsultationResource
    formset = NamedInlineFormSet
    fields = ["position", "resource"]
    autocomplete_fields = ["resource"]
    ordering = ["position"]
    extra = 0


class QuestionInline(TranslationTabularInline):
    model = Question
    formset = NamedInlineFormSet
    fields = ["number", "text", "kind", "is_required"]
    ordering = ["number"]
    extra = 0
    show_change_link = True
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})}}


@admin.register(Consultation)
class ConsultationAdmin(
    ConsultationResponses,
    ConsultationDraftImport,
    ConsultationCommentSheet,
    ConsultationExportPage,
    TranslationAdmin,
):
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
    readonly_fields = [
        "meeting_in_time_zone",
        "created_at",
        "insights_published_at",
        "analysis_links",
        "meeting_pages",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "stakeholder_group", "is_published", "analysis_links"]}),
        (
            _("Description"),
            {"fields": ["summary", "background", "objective", "structure", "expected_outcomes"]},
        ),
        (
            _("Meeting"),
            {
                "fields": [
                    "meeting_starts_at",
                    "meeting_ends_at",
                    "time_zone",
                    "meeting_in_time_zone",
                    "join_url",
                    "meeting_pages",
                ],
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
    inlines = [ConsultationResourceInline, QuestionInline, meeting.AgendaItemInline]
    # Join links are https (Django 6's default); without this, Django 5.2 warns on every form.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["duplicate", "export_answers_csv", "export_pseudonymised_csv"]

    def get_urls(self) -> list:
        return [*self.draft_urls(), *self.comment_sheet_urls(), *self.responses_urls(), *super().get_urls()]

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

    @admin.display(description=_("meeting pages"))
    def meeting_pages(self, obj: Consultation) -> str:
        if obj.pk is None:
            return self.get_empty_value_display()
        return meeting.meeting_links(obj)

    def save_model(
        self, request: HttpRequest, obj: Consultation, form: forms.ModelForm, change: bool
    ) -> None:
        # A calendar entry whose times or link changed is a new revision of the same entry (its SEQUENCE).
        if change and set(Consultation.CALENDAR_FIELDS) & set(form.changed_data):
            obj.calendar_sequence += 1
        super().save_model(request, obj, form, change)

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

    @admin.action(description=_("Duplicate to start the next consultation"), permissions=["add"])
    def duplicate(self, request: HttpRequest, queryset: QuerySet[Consultation]) -> None:
        copies = [
            lifecycle.duplicate_consultation(consultation=consultation, by=request.user)
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
    """The newest version's sections, for a draft typed in by hand (an imported one has numbered paragraphs)."""

    model = ResourceSection
    fields = ["position", "number", "heading", "body"]
    ordering = ["position"]
    extra = 0
    verbose_name_plural = _("sections of the newest version")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})}}


@admin.register(Resource)
class ResourceAdmin(ResourceCompare, ResourceDraftImport, TranslationAdmin):
    list_display = ["title", "category", "version_label", "newest_version", "section_count"]
    list_filter = ["category"]
    search_fields = in_every_language("title", "summary")
    form = ResourceForm
    fields = ["title", "category", "version_label", "summary", "file", "versions"]
    readonly_fields = ["versions"]
    inlines = [ResourceSectionInline]

    def get_urls(self) -> list:
        return [*self.draft_urls(), *self.compare_urls(), *super().get_urls()]

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Resource, inline: admin.options.InlineModelAdmin, prefix: str
    ) -> dict:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, ResourceSectionInline) and obj.pk is not None:
            # Sections of earlier versions stay as they were: comments on them point at their words.
            newest = obj.versions.order_by("-number").values("pk")[:1]
            kwargs["queryset"] = kwargs["queryset"].filter(version__in=newest)
        return kwargs

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Sections deleted in the inline send no signal the resource page listens to (models.py).
        touch_resource_consultations([form.instance.pk])

    def get_queryset(self, request: HttpRequest) -> QuerySet[Resource]:
        newest = ResourceVersion.objects.filter(resource=OuterRef("pk")).order_by("-number")
        newest_of_outer = ResourceVersion.objects.filter(resource=OuterRef(OuterRef("pk"))).order_by(
            "-number"
        )
        sections = (
            ResourceSection.objects.filter(version=Subquery(newest_of_outer.values("pk")[:1]))
            .order_by()
            .values("version")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                newest_number=Subquery(newest.values("number")[:1]),
                section_count=Coalesce(Subquery(sections, output_field=models.IntegerField()), 0),
            )
        )

    @admin.display(description=_("versions"))
    def versions(self, obj: Resource) -> str:
        """Every version with its size, newest first, in one query: versions are made by importing a file."""
        if obj.pk is None:
            return self.get_empty_value_display()
        rows = (
            obj.versions.select_related("imported_by")
            .annotate(
                section_count=Count("sections", distinct=True),
                paragraph_count=Count("sections__paragraphs", distinct=True),
                comment_count=Count("comments", distinct=True),
            )
            .order_by("-number")
        )
        body = format_html_join(
            "",
            "<tr><td>v{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    version.number,
                    version.source_name or "—",
                    date_format(timezone.localtime(version.imported_at), "DATETIME_FORMAT"),
                    version.imported_by or "—",
                    version.section_count,
                    version.paragraph_count,
                    version.comment_count,
                )
                for version in rows
            ),
        )
        head = format_html_join(
            "",
            '<th scope="col">{}</th>',
            (
                (label,)
                for label in (
                    _("Version"),
                    _("Imported from"),
                    _("Imported at"),
                    _("Imported by"),
                    _("Sections"),
                    _("Paragraphs"),
                    _("Comments"),
                )
            ),
        )
        return format_html(
            '<table id="resource-versions"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body
        )

    @admin.display(description=_("newest version"), ordering="newest_number")
    def newest_version(self, obj: Resource) -> int | None:
        return obj.newest_number

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


# Theme code books


class ThemeInline(TranslationTabularInline):
    model = Theme
    formset = NamedInlineFormSet
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
