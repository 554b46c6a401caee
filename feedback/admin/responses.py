"""From comment to change, in the admin: the redline between two versions of a resource, linking a comment to
the paragraphs that address it, and publishing the responses to the comments on a resource."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from feedback.models import (
    Comment,
    CommentPlacement,
    Consultation,
    ConsultationResource,
    ResourceParagraph,
    ResourceVersion,
)
from feedback.organising import responses, versions
from feedback.organising.versions import redline_html as redline

DISPOSE = "feedback.dispose_comment"


# The comment queue: comments orphaned by a later version, and what addresses each comment


class OrphanedFilter(admin.SimpleListFilter):
    """Comments not found again in a later version of their resource: the organisers place them by hand."""

    title = _("found in a later version")
    parameter_name = "orphaned_in"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        numbers = (
            ResourceVersion.objects.filter(placements__status=CommentPlacement.Status.ORPHANED)
            .order_by("number")
            .values_list("number", flat=True)
            .distinct()
        )
        return [(str(number), _("Orphaned in v%(number)d") % {"number": number}) for number in numbers]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        value = self.value()
        if value and value.isdigit():
            orphaned = CommentPlacement.objects.filter(
                comment=OuterRef("pk"), status=CommentPlacement.Status.ORPHANED, version__number=int(value)
            )
            return queryset.filter(Exists(orphaned))
        return queryset


def paragraph_choice_label(paragraph: ResourceParagraph) -> str:
    return f"v{paragraph.section.version.number}, {paragraph.label}: {Truncator(paragraph.text).chars(90)}"


class ParagraphChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: ResourceParagraph) -> str:
        return paragraph_choice_label(obj)


class CommentChangeForm(forms.ModelForm):
    """The comment's change form, with the paragraphs of later versions that address it (saved through
    organising/responses.py, never by the form)."""

    addressed_by = ParagraphChoiceField(
        label=_("addressed in"),
        queryset=ResourceParagraph.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Paragraphs of a later version of the draft that address this comment; their redline is saved."
        ),
    )

    class Meta:
        model = Comment
        fields = ["status", "moderator_note", "themes", "disposition", "organiser_reply"]


class CommentChanges:
    """For the comment admin: where a later version placed the comment, and the changes that address it."""

    def get_fields(self, request: HttpRequest, obj: Comment | None = None) -> list[str]:
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm(DISPOSE):
            fields = [field for field in fields if field != "addressed_by"]
        return fields

    def comment_form_for(self, form: type[forms.ModelForm], request: HttpRequest, obj: Comment | None) -> Any:
        if obj is not None and "addressed_by" in form.base_fields:
            field = form.base_fields["addressed_by"]
            field.queryset = responses.linkable_paragraphs(obj)
            field.initial = list(obj.changes.values_list("paragraph_id", flat=True))
        return form

    def save_changes(self, request: HttpRequest, form: forms.ModelForm) -> None:
        if "addressed_by" not in form.cleaned_data or "addressed_by" not in form.changed_data:
            return
        if not request.user.has_perm(DISPOSE):
            return
        try:
            responses.link_changes(
                comment=form.instance, paragraphs=form.cleaned_data["addressed_by"], by=request.user
            )
        except ValidationError as error:
            self.message_user(request, error.messages[0], messages.ERROR)

    @admin.display(description=_("in later versions"))
    def placements(self, obj: Comment) -> str:
        rows = obj.placements.select_related("version", "section", "paragraph__section").order_by(
            "version__number"
        )
        items = [
            (
                placement.version.number,
                placement.get_status_display(),
                placement.label or "—",
                f"{placement.score:.2f}" if placement.status == CommentPlacement.Status.APPROXIMATE else "",
            )
            for placement in rows
        ]
        if not items:
            return _("No later version yet.")
        return format_html_join("", '<div class="placement">v{} · {} · {} {}</div>', items)

    @admin.display(description=_("redline of the changes"))
    def linked_changes(self, obj: Comment) -> str:
        changes = obj.changes.select_related("paragraph__section__version")
        if not changes:
            return _("Not linked to a change yet.")
        return format_html_join(
            "",
            '<div class="linked-change"><strong>{}</strong> ({})<p class="redline-text">{}</p></div>',
            (
                (
                    change.label,
                    change.get_kind_display(),
                    redline(change.redline) if change.redline else change.paragraph.text,
                )
                for change in changes
            ),
        )


# The resource: compare two versions


class VersionsForm(forms.Form):
    old = forms.TypedChoiceField(label=_("from version"), coerce=int)
    new = forms.TypedChoiceField(label=_("to version"), coerce=int)

    def __init__(self, *args: Any, numbers: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(number, f"v{number}") for number in numbers]
        self.fields["old"].choices = choices
        self.fields["new"].choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("old") is not None and data.get("old") == data.get("new"):
            raise ValidationError(_("Choose two different versions."), code="same")
        return data


class ResourceCompare:
    def compare_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="feedback_resource_compare",
            )
        ]

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        resource = self.get_object(request, unquote(object_id))
        if resource is None or not self.has_view_permission(request, resource):
            raise Http404
        numbers = list(resource.versions.order_by("number").values_list("number", flat=True))
        data = request.GET if "old" in request.GET else None
        if data is None and len(numbers) >= 2:
            data = {"old": numbers[-2], "new": numbers[-1]}
        form = VersionsForm(data, numbers=numbers)
        sections = None
        old = new = None
        if form.is_bound and form.is_valid():
            old = resource.versions.get(number=form.cleaned_data["old"])
            new = resource.versions.get(number=form.cleaned_data["new"])
            sections = versions.compare_versions(old, new)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Compare versions of “%(title)s”") % {"title": resource.title},
            "opts": self.opts,
            "original": resource,
            "form": form,
            "sections": sections,
            "old": old,
            "new": new,
        }
        return TemplateResponse(request, "admin/feedback/resource/compare.html", context)


# The consultation: publish the responses to the comments on a resource


class PublishResponsesForm(forms.Form):
    link = forms.ModelChoiceField(label=_("resource"), queryset=ConsultationResource.objects.none())
    deadline = forms.SplitDateTimeField(
        label=_("feedback on responses closes at"),
        required=False,
        widget=admin.widgets.AdminSplitDateTime,
        help_text=_("Until then each participant may say whether each response satisfies them."),
    )

    def __init__(self, *args: Any, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["link"].queryset = consultation.resource_links.select_related("resource").order_by(
            "position"
        )
        self.fields["link"].label_from_instance = lambda link: str(link.resource)


class ConsultationResponses:
    def responses_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/publish-responses/",
                self.admin_site.admin_view(self.publish_responses_view),
                name="feedback_consultation_publish_responses",
            )
        ]

    def publish_responses_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not request.user.has_perm(DISPOSE):
            raise PermissionDenied
        consultation = self.get_object(request, unquote(object_id))
        if consultation is None:
            raise Http404
        form = PublishResponsesForm(request.POST or None, consultation=consultation)
        if request.method == "POST" and form.is_valid():
            try:
                mailed = responses.publish_responses(
                    link=form.cleaned_data["link"], deadline=form.cleaned_data["deadline"], by=request.user
                )
            except ValidationError as error:
                form.add_error("deadline", error)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "The responses are published; %(count)d participant was told by mail.",
                        "The responses are published; %(count)d participants were told by mail.",
                        mailed,
                    )
                    % {"count": mailed},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:feedback_consultation_change", args=[consultation.pk])
                )
        links = consultation.resource_links.select_related("resource").order_by("position")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish the responses to comments"),
            "opts": self.opts,
            "original": consultation,
            "form": form,
            "links": links,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/feedback/consultation/publish_responses.html", context)
