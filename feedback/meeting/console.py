"""The meeting for the organising team: the moderator console (Organiser or Moderator), attendance, the
rapporteurs' notes page, and after the meeting the record per guiding question with the organisers' summary."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import roles
from feedback.meeting import live, services
from feedback.meeting.forms import NoteForm, SummaryForm
from feedback.models import Consultation, Participant, RapporteurNote


def staff_access(request: HttpRequest, slug: str, perm: str) -> Consultation:
    """The consultation `slug` for staff holding `perm`; 404 for anyone else, as for what does not exist."""
    if not (request.user.is_staff and request.user.has_perm(perm)):
        raise Http404
    return get_object_or_404(Consultation, slug=slug)


# The console


@login_required(login_url="admin:login")
@require_GET
def console(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = staff_access(request, slug, "feedback.run_meeting")
    state = services.state_of(consultation)
    context = {
        "consultation": consultation,
        "state": state,
        "items": live.console_items(consultation, state),
        "present": live.attendance(consultation, rehearsal=state.is_rehearsal),
        "attendance_rows": live.attendance_rows(consultation)
        if request.user.has_perm("feedback.change_attendance")
        else None,
        "sees_names": roles.sees_identities(request),
        "may_keep": request.user.has_perm("feedback.keep_rehearsal"),
        "has_rehearsal_input": state.is_rehearsal,
    }
    return render(request, "feedback/meeting/console.html", context)


def console_action(
    action: Callable[[Consultation, object], object], perm: str = "feedback.run_meeting"
) -> Callable[[HttpRequest, str], HttpResponse]:
    """A POST that does one thing to the meeting and goes back to the console."""

    @wraps(action)
    @login_required(login_url="admin:login")
    @require_POST
    def view(request: HttpRequest, slug: str) -> HttpResponse:
        consultation = staff_access(request, slug, perm)
        try:
            action(consultation, request.user)
        except services.MeetingNotLive:
            messages.error(request, _("The meeting is not running: start it (or a rehearsal) first."))
        return redirect("feedback:meeting-console", slug=slug)

    return view


def _start(consultation: Consultation, by: object) -> None:
    services.start(consultation=consultation, by=by)


def _rehearse(consultation: Consultation, by: object) -> None:
    services.start(consultation=consultation, by=by, rehearsal=True)


def _next(consultation: Consultation, by: object) -> None:
    services.move(consultation=consultation, by=by, step=1)


def _previous(consultation: Consultation, by: object) -> None:
    services.move(consultation=consultation, by=by, step=-1)


def _extend(consultation: Consultation, by: object) -> None:
    services.extend(consultation=consultation, by=by, minutes=5)


def _end(consultation: Consultation, by: object) -> None:
    services.end(consultation=consultation, by=by)


meeting_start = console_action(_start)
meeting_rehearse = console_action(_rehearse)
meeting_next = console_action(_next)
meeting_previous = console_action(_previous)
meeting_extend = console_action(_extend)
meeting_end = console_action(_end)


@login_required(login_url="admin:login")
@require_POST
def keep_rehearsal(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = staff_access(request, slug, "feedback.keep_rehearsal")
    kept = services.keep_rehearsal(consultation=consultation, by=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d point or note of the rehearsal is now part of the record.",
            "%(count)d points and notes of the rehearsal are now part of the record.",
            kept,
        )
        % {"count": kept},
    )
    return redirect("feedback:meeting-console", slug=slug)


@login_required(login_url="admin:login")
@require_POST
def set_attendance(request: HttpRequest, slug: str, participant_id: int) -> HttpResponse:
    consultation = staff_access(request, slug, "feedback.change_attendance")
    participant = get_object_or_404(
        Participant, pk=participant_id, consultation=consultation, is_erased=False
    )
    services.set_attendance(
        participant=participant, is_present=request.POST.get("present") == "yes", by=request.user
    )
    return redirect("feedback:meeting-console", slug=slug)


# Rapporteurs


@login_required(login_url="admin:login")
@require_http_methods(["GET", "POST"])
def notes(request: HttpRequest, slug: str) -> HttpResponse:
    """Rapporteurs write down what is said, a note at a time, under the current agenda item by default."""
    consultation = staff_access(request, slug, "feedback.add_rapporteurnote")
    state = services.state_of(consultation)
    if request.method == "POST":
        form = NoteForm(request.POST, consultation=consultation)
        if form.is_valid():
            services.add_note(by=request.user, language=request.LANGUAGE_CODE, **form.cleaned_data)
            messages.success(request, _("Note saved."))
            response = redirect("feedback:meeting-notes", slug=slug)
            response["Location"] += f"?item={form.cleaned_data['agenda_item'].pk}"
            return response
        messages.error(request, _("The note was not saved: please correct it below."))
    else:
        item = request.GET.get("item", "")
        initial_item = int(item) if item.isascii() and item.isdigit() else state.current_item_id
        form = NoteForm(consultation=consultation, initial={"agenda_item": initial_item})
    recent = (
        RapporteurNote.objects.filter(agenda_item__consultation=consultation)
        .select_related("agenda_item", "participant", "author")
        .order_by("-id")[:50]
    )
    context = {"consultation": consultation, "state": state, "form": form, "recent": recent}
    return render(request, "feedback/meeting/notes.html", context)


# After the meeting


@login_required(login_url="admin:login")
@require_GET
def record(request: HttpRequest, slug: str) -> HttpResponse:
    """Per guiding question: written answers, live points and rapporteur notes side by side."""
    if not roles.reads_answers(request):
        raise Http404
    consultation = get_object_or_404(Consultation, slug=slug)
    rows = live.meeting_record(consultation)
    may_summarise = request.user.has_perm("feedback.change_questionsummary")
    for row in rows:
        if may_summarise and row["question"] is not None:
            row["form"] = SummaryForm(initial={"text": row["summary"]}, prefix=f"q{row['question'].number}")
    context = {
        "consultation": consultation,
        "rows": rows,
        "sees_names": roles.sees_identities(request),
        "present": live.attendance(consultation),
    }
    return render(request, "feedback/meeting/record.html", context)


@login_required(login_url="admin:login")
@require_POST
def save_summary(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    consultation = staff_access(request, slug, "feedback.change_questionsummary")
    question = get_object_or_404(consultation.questions, number=number)
    form = SummaryForm(request.POST, prefix=f"q{number}")
    if form.is_valid():
        services.save_summary(question=question, text=form.cleaned_data["text"], by=request.user)
        messages.success(request, _("The summary of question %(number)d is saved.") % {"number": number})
    else:
        messages.error(
            request, _("The summary was not saved: %(errors)s") % {"errors": form.errors.as_text()}
        )
    return redirect(reverse("feedback:meeting-record", args=[slug]) + f"#q{number}")
