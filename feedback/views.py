"""Participant pages: invitation, profile and consent, guiding questions, review, submit, receipt."""

from django.contrib import messages
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import services
from feedback.forms import AnswersForm, ProfileForm
from feedback.models import Consultation, Participant, Resource, Response

SESSION_KEY = "feedback_participants"


# Access helpers: anything the caller may not see is a 404, never a 403 that confirms it exists.


def participant_for(request: HttpRequest, slug: str) -> Participant:
    """The participant this browser session was bound to for consultation `slug`, or 404."""
    participant_id = request.session.get(SESSION_KEY, {}).get(slug)
    if participant_id is None:
        raise Http404
    participant = (
        Participant.objects.select_related("consultation", "response")
        .filter(pk=participant_id, consultation__slug=slug, consultation__is_published=True, is_revoked=False)
        .first()
    )
    if participant is None:
        raise Http404
    return participant


def response_for(participant: Participant) -> Response:
    try:
        return participant.response
    except Response.DoesNotExist:
        return services.open_invitation(participant=participant)


def closed_message(consultation: Consultation) -> str | None:
    """Why the participant's input cannot change now, or None while the feedback window is open."""
    if consultation.is_open():
        return None
    with timezone.override(consultation.tz):
        if timezone.now() < consultation.opens_at:
            when = date_format(timezone.localtime(consultation.opens_at), "DATETIME_FORMAT")
            return _("The feedback window opens on %(when)s. Until then these pages are read-only.") % {
                "when": when
            }
        when = date_format(timezone.localtime(consultation.closes_at), "DATETIME_FORMAT")
    return _(
        "The feedback window closed on %(when)s. Your input is kept as you last saved it and can no longer be changed."
    ) % {"when": when}


def page_context(participant: Participant, **extra: object) -> dict[str, object]:
    consultation = participant.consultation
    return {
        "participant": participant,
        "consultation": consultation,
        "closed_message": closed_message(consultation),
        **extra,
    }


# Service endpoints


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")


# Participant pages


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/home.html")


@never_cache
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, token: str) -> HttpResponse:
    participant = Participant.objects.by_token(token).select_related("consultation").first()
    if participant is None or not participant.consultation.is_published:
        raise Http404
    if request.method == "GET":
        # Mail scanners fetch links: the GET only asks for confirmation and changes nothing.
        response = render(request, "feedback/invite.html", {"invitee": participant})
    else:
        request.session.cycle_key()
        bound = request.session.get(SESSION_KEY, {})
        bound[participant.consultation.slug] = participant.pk
        request.session[SESSION_KEY] = bound
        services.open_invitation(participant=participant)
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
    question_list = list(consultation.questions.select_related("resource"))
    closed = closed_message(consultation)
    if request.method == "POST":
        if closed:
            messages.error(request, closed)
            return redirect("feedback:questions", slug=slug)
        form = AnswersForm(request.POST, questions=question_list)
        if form.is_valid():
            try:
                services.save_answers(response=response, values=form.values_by_question())
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
        answers = list(response.answers.select_related("question"))
        form = AnswersForm(
            initial=AnswersForm.initial_from(answers), questions=question_list, disabled=bool(closed)
        )
    return render(request, "feedback/questions.html", page_context(participant, form=form, response=response))


@require_GET
def resource_detail(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    participant = participant_for(request, slug)
    resource = get_object_or_404(
        Resource.objects.prefetch_related("sections"), pk=resource_id, consultations=participant.consultation
    )
    return render(request, "feedback/resource.html", page_context(participant, resource=resource))


def review_rows(response: Response) -> list[dict[str, object]]:
    answers = {a.question_id: a for a in response.answers.all()}
    rows = []
    for question in response.participant.consultation.questions.all():
        answer = answers.get(question.pk)
        value = "" if answer is None or answer.is_empty else answer.display_value()
        rows.append({"question": question, "value": value, "missing": question.is_required and not value})
    return rows


@require_GET
def review(request: HttpRequest, slug: str) -> HttpResponse:
    participant = participant_for(request, slug)
    response = response_for(participant)
    rows = review_rows(response)
    context = page_context(
        participant,
        response=response,
        rows=rows,
        missing=[row["question"] for row in rows if row["missing"]],
        has_answers=any(row["value"] for row in rows),
    )
    return render(request, "feedback/review.html", context)


@require_POST
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
    if not any(row["value"] for row in rows):
        messages.error(request, _("There is nothing to submit yet: answer at least one question."))
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
    return render(
        request, "feedback/receipt.html", page_context(participant, response=response, answers=answers)
    )


@require_POST
def sign_out(request: HttpRequest, slug: str) -> HttpResponse:
    participant_for(request, slug)
    request.session.flush()
    messages.info(
        request, _("You have left the consultation on this browser. Your invitation link brings you back.")
    )
    return redirect("feedback:home")
