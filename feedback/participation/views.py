"""Participant pages: invitation, profile and consent, guiding questions, resources and comments, review,
submit, receipt, the published insights."""

import json
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import i18n, session
from feedback.analysis import reports
from feedback.limits import rate_limited
from feedback.models import (
    Participant,
    Resource,
    ResourceSection,
    Response,
)
from feedback.participation import services
from feedback.participation.access import (
    closed_message,
    page_context,
    participant_for,
    response_for,
)
from feedback.participation.forms import AnswersForm, CommentForm, ProfileForm

# Participant pages


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/home.html")


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("invite")
def invite(request: HttpRequest, token: str) -> HttpResponse:
    participant = Participant.objects.by_token(token).select_related("consultation").first()
    if participant is None or not participant.consultation.is_published:
        raise Http404
    if request.method == "GET":
        # Mail scanners fetch links: the GET only asks for confirmation and changes nothing.
        response = render(request, "feedback/invite.html", {"invitee": participant})
    else:
        session.bind(request, participant)
        services.open_invitation(participant=participant)
        # The language they arrived in becomes theirs (and their emails'), until they pick another.
        i18n.remember_language(participant, request.LANGUAGE_CODE)
        target = "feedback:consultation" if participant.has_confirmed_profile else "feedback:profile"
        response = redirect(target, slug=participant.consultation.slug)
    # The token is in this URL: send only the origin as Referer, never the path. ("no-referrer" would make
    # browsers send "Origin: null" with the confirming POST, which CSRF protection rightly refuses.)
    response["Referrer-Policy"] = "strict-origin"
    return response


@require_GET
def consultation_home(request: HttpRequest, slug: str) -> HttpResponse:
    participant = participant_for(request, slug)
    consultation = participant.consultation
    response = response_for(participant)
    questions = list(consultation.questions.all())
    answered = {a.question_id for a in response.answers.all() if not a.is_empty}
    resources = consultation.resources.order_by("consultation_links__position")
    context = page_context(
        participant,
        response=response,
        resources=resources,
        answered_count=len(answered),
        question_count=len(questions),
    )
    return render(request, "feedback/consultation.html", context)


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest, slug: str) -> HttpResponse:
    participant = participant_for(request, slug)
    closed = closed_message(participant.consultation)
    if request.method == "POST":
        if closed:
            messages.error(request, closed)
            return redirect("feedback:profile", slug=slug)
        form = ProfileForm(request.POST, instance=participant)
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in ProfileForm.Meta.fields}
            try:
                services.confirm_profile(participant=participant, fields=fields)
            except services.ConsultationClosed:
                messages.error(request, closed_message(participant.consultation))
                return redirect("feedback:profile", slug=slug)
            messages.success(request, _("Your profile and quotation choice are saved."))
            return redirect("feedback:questions", slug=slug)
        messages.error(request, _("Nothing was saved yet: please correct the fields marked below."))
    else:
        form = ProfileForm(instance=participant, disabled=bool(closed))
    return render(request, "feedback/profile.html", page_context(participant, form=form))


@require_http_methods(["GET", "POST"])
def questions(request: HttpRequest, slug: str) -> HttpResponse:
    participant = participant_for(request, slug)
    if not participant.has_confirmed_profile:
        messages.info(request, _("Please confirm your profile and how you may be quoted first."))
        return redirect("feedback:profile", slug=slug)
    consultation = participant.consultation
    response = response_for(participant)
    # Ordered by number alone: the default ordering starts with the consultation, which costs a join here.
    question_list = list(consultation.questions.order_by("number"))
    closed = closed_message(consultation)
    saved_times = None
    if request.method == "POST":
        if closed:
            messages.error(request, closed)
            return redirect("feedback:questions", slug=slug)
        form = AnswersForm(request.POST, questions=question_list)
        if form.is_valid():
            try:
                services.save_answers(
                    response=response,
                    values=form.values_by_question(),
                    language=i18n.answer_language(participant),
                )
            except services.ConsultationClosed:
                messages.error(request, closed_message(consultation))
                return redirect("feedback:questions", slug=slug)
            with timezone.override(consultation.tz):
                when = date_format(timezone.localtime(), "TIME_FORMAT")
            messages.success(request, _("Your answers were saved at %(time)s.") % {"time": when})
            return redirect("feedback:questions", slug=slug)
        messages.error(
            request,
            _("Nothing was saved from this page: please correct the answers marked below and save again."),
        )
    else:
        # Only what the form shows, matched to the questions loaded above: no join, no moderation columns.
        questions_by_id = {question.pk: question for question in question_list}
        answers = list(
            response.answers.order_by().only("response_id", "question_id", "text", "selected", "updated_at")
        )
        for answer in answers:
            answer.question = questions_by_id[answer.question_id]
        form = AnswersForm(
            initial=AnswersForm.initial_from(answers), questions=question_list, disabled=bool(closed)
        )
        # Autosave compares these with drafts kept in the browser to restore only text newer than the server's.
        saved_times = json.dumps(
            {AnswersForm.field_name(a.question): a.updated_at.isoformat() for a in answers}
        )
    context = page_context(participant, form=form, response=response, saved_times=saved_times)
    return render(request, "feedback/questions.html", context)


def autosave_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_POST
@rate_limited("autosave", as_json=True)
def autosave(request: HttpRequest, slug: str) -> JsonResponse:
    """Save one answer while the participant types: form-encoded `field` (e.g. "q3") and its value(s)."""
    participant = participant_for(request, slug)
    if not participant.has_confirmed_profile:
        return autosave_error(_("Please confirm your profile and how you may be quoted first."), 409)
    consultation = participant.consultation
    name = request.POST.get("field", "")
    match = re.fullmatch(r"q([0-9]{1,5})", name)
    # order_by("pk"): one row at most (numbers are unique per consultation); the default ordering would join
    # the consultation for nothing.
    question = consultation.questions.filter(number=int(match[1])).order_by("pk").first() if match else None
    if question is None:
        return autosave_error(_("This is not one of the guiding questions of this consultation."), 400)
    closed = closed_message(consultation)
    if closed:
        return autosave_error(closed, 409)
    field = AnswersForm.make_field(question)
    try:
        value = field.clean(field.widget.value_from_datadict(request.POST, {}, name))
    except ValidationError as error:
        return autosave_error(" ".join(error.messages), 400)
    try:
        services.save_answer(
            response=response_for(participant),
            question=question,
            value=value,
            language=i18n.answer_language(participant),
        )
    except services.ConsultationClosed:
        return autosave_error(closed_message(consultation), 409)
    now = timezone.now()
    with timezone.override(consultation.tz):
        saved_at = date_format(timezone.localtime(now), "TIME_FORMAT")
    return JsonResponse({"saved_at": saved_at, "saved_at_iso": now.isoformat()})


def resource_for(participant: Participant, resource_id: int) -> Resource:
    """A resource of the participant's consultation, or 404."""
    return get_object_or_404(
        Resource.objects.prefetch_related("sections"), pk=resource_id, consultations=participant.consultation
    )


def section_anchor(section: ResourceSection | None) -> str:
    return f"section-{section.position}" if section else "whole-resource"


def comment_form(*, anchor: str, data: object = None, text: str = "") -> CommentForm:
    # One form per section on the same page, so each needs its own element ids.
    return CommentForm(data, initial={"text": text}, auto_id=f"comment-{anchor}-%s")


def render_resource(
    request: HttpRequest,
    participant: Participant,
    resource: Resource,
    *,
    bound: tuple[ResourceSection | None, CommentForm] | None = None,
) -> HttpResponse:
    """The resource page; `bound` is a (section, form) refused on save, shown again with what was typed."""
    response = response_for(participant)
    comments = {c.section_id: c for c in response.comments.filter(resource=resource)}
    blocks = []
    for section in [*resource.sections.all(), None]:
        anchor = section_anchor(section)
        comment = comments.get(section.pk if section else None)
        if bound is not None and bound[0] == section:
            form = bound[1]
        else:
            form = comment_form(anchor=anchor, text=comment.text if comment else "")
        blocks.append({"section": section, "anchor": anchor, "comment": comment, "form": form})
    context = page_context(
        participant,
        resource=resource,
        blocks=blocks,
        questions=list(participant.consultation.questions.filter(resource=resource)),
    )
    return render(request, "feedback/resource.html", context)


@require_GET
def resource_detail(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    participant = participant_for(request, slug)
    return render_resource(request, participant, resource_for(participant, resource_id))


def section_from(request: HttpRequest, resource: Resource) -> ResourceSection | None:
    """The section named in the POST, which must belong to the resource (else 404); None for the whole."""
    raw = request.POST.get("section", "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise Http404
    return get_object_or_404(ResourceSection, pk=int(raw), resource=resource)


@require_POST
def comment(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    participant = participant_for(request, slug)
    resource = resource_for(participant, resource_id)
    section = section_from(request, resource)
    target = reverse("feedback:resource", args=[slug, resource.pk]) + "#" + section_anchor(section)
    if not participant.has_confirmed_profile:
        messages.info(request, _("Please confirm your profile and how you may be quoted first."))
        return redirect("feedback:profile", slug=slug)
    consultation = participant.consultation
    closed = closed_message(consultation)
    if closed:
        messages.error(request, closed)
        return redirect(target)
    form = comment_form(anchor=section_anchor(section), data=request.POST)
    if not form.is_valid():
        messages.error(request, _("Your comment was not saved: please correct it below and save again."))
        return render_resource(request, participant, resource, bound=(section, form))
    try:
        services.save_comment(
            response=response_for(participant),
            resource=resource,
            section=section,
            text=form.cleaned_data["text"],
            language=i18n.answer_language(participant),
        )
    except services.ConsultationClosed:
        messages.error(request, closed_message(consultation))
        return redirect(target)
    with timezone.override(consultation.tz):
        when = date_format(timezone.localtime(), "TIME_FORMAT")
    messages.success(request, _("Your comment was saved at %(time)s.") % {"time": when})
    return redirect(target)


@require_GET
def resource_file(request: HttpRequest, slug: str, resource_id: int) -> FileResponse:
    """The resource's file, for participants of a consultation that uses the resource; 404 for anyone else."""
    participant = participant_for(request, slug)
    resource = get_object_or_404(Resource, pk=resource_id, consultations=participant.consultation)
    if not resource.file:
        raise Http404
    try:
        handle = resource.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=resource.file.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def review_rows(response: Response) -> list[dict[str, object]]:
    answers = {a.question_id: a for a in response.answers.all()}
    rows = []
    for question in response.participant.consultation.questions.all():
        answer = answers.get(question.pk)
        value = "" if answer is None or answer.is_empty else answer.reader_value()
        rows.append({"question": question, "value": value, "missing": question.is_required and not value})
    return rows


@require_GET
def review(request: HttpRequest, slug: str) -> HttpResponse:
    participant = participant_for(request, slug)
    response = response_for(participant)
    rows = review_rows(response)
    comments = list(services.comments_of(response))
    context = page_context(
        participant,
        response=response,
        rows=rows,
        comments=comments,
        missing=[row["question"] for row in rows if row["missing"]],
        has_answers=any(row["value"] for row in rows) or bool(comments),
    )
    return render(request, "feedback/review.html", context)


@require_POST
@rate_limited("submit")
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    participant = participant_for(request, slug)
    response = response_for(participant)
    closed = closed_message(participant.consultation)
    if closed:
        messages.error(request, closed)
        return redirect("feedback:review", slug=slug)
    rows = review_rows(response)
    missing = [row["question"] for row in rows if row["missing"]]
    if missing:
        numbers = ", ".join(str(q.number) for q in missing)
        messages.error(
            request, _("Please answer the required questions first: %(numbers)s.") % {"numbers": numbers}
        )
        return redirect("feedback:review", slug=slug)
    if not any(row["value"] for row in rows) and not services.comments_of(response).exists():
        messages.error(
            request,
            _("There is nothing to submit yet: answer at least one question or comment on a resource."),
        )
        return redirect("feedback:review", slug=slug)
    try:
        first = services.submit_response(response=response)
    except services.ConsultationClosed:
        messages.error(request, closed_message(participant.consultation))
        return redirect("feedback:review", slug=slug)
    if first:
        messages.success(
            request, _("Thank you: your feedback is submitted. A receipt is on its way by email.")
        )
    else:
        messages.info(
            request, _("Your feedback was already submitted; your latest saved answers are part of it.")
        )
    return redirect("feedback:receipt", slug=slug)


@require_GET
def receipt(request: HttpRequest, slug: str) -> HttpResponse:
    participant = participant_for(request, slug)
    response = response_for(participant)
    if not response.is_submitted:
        messages.info(request, _("You have not submitted your feedback yet."))
        return redirect("feedback:review", slug=slug)
    answers = [
        a for a in response.answers.select_related("question").order_by("question__number") if not a.is_empty
    ]
    context = page_context(
        participant,
        response=response,
        answers=answers,
        comments=list(services.comments_of(response)),
        revisions=services.revision_summary(response),
    )
    return render(request, "feedback/receipt.html", context)


@require_POST
def sign_out(request: HttpRequest, slug: str) -> HttpResponse:
    participant_for(request, slug)
    session.unbind(request)
    messages.info(
        request, _("You have left the consultation on this browser. Your invitation link brings you back.")
    )
    return redirect("feedback:home")


@require_GET
def participant_insights(request: HttpRequest, slug: str) -> HttpResponse:
    """The insights report as published to the participants: 404 until an organiser publishes it."""
    participant = participant_for(request, slug)
    consultation = participant.consultation
    if not consultation.has_published_insights:
        raise Http404
    report = reports.insights_report(consultation, identities=True)
    context = page_context(participant, report=report, quotes_per_group=reports.QUOTES_PER_GROUP)
    return render(request, "feedback/reports/participant_insights.html", context)
