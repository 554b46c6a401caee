"""The participant's page of responses: what became of each of their comments (disposition, reply, the redline
of the change that addresses it) and their view of each response, once the organisers publish them."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from feedback.models import (
    SATISFACTION_NOTE_MAX_LENGTH,
    Comment,
    CommentChange,
    ConsultationResource,
    Participant,
)
from feedback.organising import responses
from feedback.participation.access import page_context, participant_for


class SatisfactionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=SATISFACTION_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _participant(request: HttpRequest, slug: str) -> Participant:
    participant = participant_for(request, slug)
    if participant.is_erased:
        raise Http404
    return participant


def published_links(participant: Participant) -> list[ConsultationResource]:
    return list(
        ConsultationResource.objects.filter(
            consultation_id=participant.consultation_id, responses_published_at__isnull=False
        )
        .select_related("resource")
        .order_by("position", "pk")
    )


def own_comments(participant: Participant, links: list[ConsultationResource]) -> list[Comment]:
    """The participant's own submitted comments on the resources with published responses; nobody else's."""
    return list(
        Comment.objects.submitted()
        .non_empty()
        .filter(response__participant=participant, resource__in=[link.resource_id for link in links])
        .select_related("section", "paragraph__section", "version")
        .prefetch_related(
            Prefetch(
                "changes",
                queryset=CommentChange.objects.select_related("paragraph__section__version").order_by(
                    "paragraph__section__version__number", "paragraph__section__position", "paragraph__number"
                ),
            )
        )
        .in_reading_order()
    )


@require_GET
def responses_page(request: HttpRequest, slug: str) -> HttpResponse:
    participant = _participant(request, slug)
    links = published_links(participant)
    if not links:
        raise Http404
    comments = own_comments(participant, links)
    by_resource: dict[int, list[Comment]] = {}
    for comment in comments:
        by_resource.setdefault(comment.resource_id, []).append(comment)
    groups = [(link, by_resource.get(link.resource_id, [])) for link in links]
    context = page_context(participant, groups=groups, form=SatisfactionForm())
    return render(request, "feedback/responses.html", context)


def _own_comment(participant: Participant, comment_id: int) -> Comment:
    comment = (
        Comment.objects.submitted()
        .filter(pk=comment_id, response__participant=participant)
        .select_related("response__participant")
        .first()
    )
    if comment is None:
        raise Http404
    return comment


def _record(request: HttpRequest, slug: str, comment_id: int, satisfaction: str) -> HttpResponse:
    participant = _participant(request, slug)
    if not published_links(participant):
        raise Http404
    comment = _own_comment(participant, comment_id)
    form = SatisfactionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("The note is too long: at most %(limit)d characters.")
            % {"limit": SATISFACTION_NOTE_MAX_LENGTH},
        )
    else:
        try:
            responses.record_satisfaction(
                comment=comment, satisfaction=satisfaction, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Thank you: your view of this response is recorded."))
    return redirect(reverse("feedback:responses", args=[slug]) + f"#comment-{comment.pk}")


@require_POST
def mark_satisfied(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    return _record(request, slug, comment_id, Comment.Satisfaction.SATISFIED)


@require_POST
def mark_not_satisfied(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    return _record(request, slug, comment_id, Comment.Satisfaction.NOT_SATISFIED)
