"""Participant pages: invitation, profile and consent, guiding questions, resources and comments, review,
submit, receipt, the published insights."""

import json
import re
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import router
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
    Answer,
    Comment,
    Consultation,
    Participant,
    Resource,
    ResourceParagraph,
    ResourceSection,
    ResourceVersion,
    Response,
)
from feedback.participation import document, services
from feedback.participation.access import (
    closed_message,
    page_context,
    participant_for,
    response_for,
    snapshot_of,
)
from feedback.participation.forms import AnswersForm, CommentForm, NewCommentForm, ProfileForm
from feedback.participation.rows import Columns

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


@require_POST
@rate_limited("autosave", as_json=True)
def profile_autosave(request: HttpRequest, slug: str) -> JsonResponse:
    """Save one free-text field of the profile while the participant types (name, organisation, role, conflict
    of interest). Before the profile is first confirmed nothing is stored: the browser keeps the draft."""
    participant = participant_for(request, slug)
    name = request.POST.get("field", "")
    if name not in services.PROFILE_TEXT_FIELDS:
        return autosave_error(_("This is not a field of your profile."), 400)
    if not participant.has_confirmed_profile:
        return autosave_error(_("kept on this browser until you save this form."), 409)
    consultation = participant.consultation
    closed = closed_message(consultation)
    if closed:
        return autosave_error(closed, 409)
    field = ProfileForm.base_fields[name]
    try:
        value = field.clean(request.POST.get(name, ""))
        if name in ("name", "organisation", "role") and not value:
            raise ValidationError(_("This field is required."), code="required")
        services.save_profile_text(participant=participant, field=name, value=value)
    except ValidationError as error:
        return autosave_error(" ".join(error.messages), 400)
    except services.ConsultationClosed:
        return autosave_error(closed_message(consultation), 409)
    return JsonResponse({"saved_at": saved_time(consultation), "saved_at_iso": timezone.now().isoformat()})


# What the question page's form shows of each answer (rows.py: one query written once, no ORM compiling).
ANSWER_FORM_COLUMNS = Columns(Answer, "a", ["response", "question", "text", "selected", "updated_at"])


@require_http_methods(["GET", "POST"])
def questions(request: HttpRequest, slug: str) -> HttpResponse:
    participant = participant_for(request, slug)
    if not participant.has_confirmed_profile:
        messages.info(request, _("Please confirm your profile and how you may be quoted first."))
        return redirect("feedback:profile", slug=slug)
    consultation = participant.consultation
    response = response_for(participant)
    # In order of their numbers, as this process keeps them (snapshot.py).
    question_list = list(snapshot_of(request).questions)
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
        answers = ANSWER_FORM_COLUMNS.where(router.db_for_read(Answer), response=response.pk)
        for answer in answers:
            answer.question = questions_by_id[answer.question_id]
        kept = snapshot_of(request)
        form = AnswersForm(
            initial=AnswersForm.initial_from(answers),
            questions=question_list,
            disabled=bool(closed),
            shared=AnswersForm.shared_fields(kept.memo, kept.questions, disabled=bool(closed)),
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
    question = snapshot_of(request).question(int(match[1])) if match else None
    if question is None:
        return autosave_error(_("This is not one of the guiding questions of this consultation."), 400)
    closed = closed_message(consultation)
    if closed:
        return autosave_error(closed, 409)
    kept = snapshot_of(request)
    field = AnswersForm.shared_fields(kept.memo, kept.questions, disabled=False)[name]
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
    return get_object_or_404(Resource, pk=resource_id, consultations=participant.consultation)


def read_resource(request: HttpRequest, resource_id: int) -> tuple[Resource, ResourceVersion]:
    """A resource of the participant's consultation and the version its participants read, from the consultation's
    snapshot (no query), or 404."""
    found = snapshot_of(request).resources.get(resource_id)
    if found is None:
        raise Http404
    return found


def own_comment_for(participant: Participant, comment_id: int) -> Comment:
    """One of the participant's own comments, or 404: someone else's is as unknown as one that never was."""
    return get_object_or_404(
        Comment.objects.select_related(
            "response__participant__consultation", "resource", "section", "paragraph__section"
        ),
        pk=comment_id,
        response__participant=participant,
    )


def section_anchor(section: ResourceSection | None) -> str:
    return f"section-{section.position}" if section else "whole-resource"


def comment_url(slug: str, comment: Comment) -> str:
    return reverse("feedback:resource", args=[slug, comment.resource_id]) + f"#comment-{comment.pk}"


@dataclass
class BoundForm:
    """A comment form refused on save, shown again with what was typed: a new one (at `anchor`) or an edit."""

    form: CommentForm
    anchor: str = ""
    comment_id: int | None = None


def form_values(form: CommentForm | None) -> dict[str, object]:
    """What a comment form shows: the typed values of a refused one with its errors, else the defaults."""
    if form is None:
        return {"kind": Comment.Kind.GENERAL}
    values: dict[str, object] = {name: form.data.get(name, "") for name in form.fields}
    values["paragraph"] = form.data.get("paragraph", "")
    values["errors"] = [message for messages_ in form.errors.values() for message in messages_]
    values["invalid"] = set(form.errors)
    return values


def render_resource(
    request: HttpRequest,
    participant: Participant,
    resource: Resource,
    *,
    bound: BoundForm | None = None,
    editing: int | None = None,
) -> HttpResponse:
    """The resource page: the version the consultation uses, its sections and numbered paragraphs, the
    participant's own comments under the places they are on, their passages marked in the text."""
    response = response_for(participant)
    consultation = participant.consultation
    resource, version = read_resource(request, resource.pk)
    # Only what the page shows, with no joins: document() gives each comment its section and paragraph.
    comments = document.own_comments(response, resource)
    layout = document.layout(
        version, consultation_id=consultation.pk, content_version=consultation.content_version
    )
    blocks, elsewhere = document.document(layout, comments)
    earlier = [c for c in elsewhere if c.version_id != version.pk]
    if earlier:
        # Comments on an earlier version name their places ("2.1 ¶3") from that version's text.
        earlier = list(
            Comment.objects.filter(pk__in=[c.pk for c in earlier])
            .select_related("version", "section", "paragraph__section")
            .order_by("id")
        )
    new_values = {bound.anchor: form_values(bound.form)} if bound is not None and bound.anchor else {}
    for block in blocks:
        block.values = new_values.get(block.anchor) or form_values(None)
    edit_values = None
    if bound is not None and bound.comment_id is not None:
        editing, edit_values = bound.comment_id, form_values(bound.form)
    context = page_context(
        participant,
        resource=resource,
        version=version,
        layout=layout,
        blocks=blocks,
        whole_comments=[c for c in elsewhere if c.version_id == version.pk],
        earlier_comments=earlier,
        whole_values=new_values.get("whole-resource") or form_values(None),
        editing=editing,
        edit_values=edit_values,
        can_comment=participant.has_confirmed_profile and not closed_message(consultation),
        kinds=Comment.Kind.choices,
        storage_key=f"feedback:{consultation.slug}:{participant.pk}",
        questions=[q for q in snapshot_of(request).questions if q.resource_id == resource.pk],
    )
    return render(request, "feedback/resource.html", context)


@require_GET
def resource_detail(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    participant = participant_for(request, slug)
    raw = request.GET.get("edit", "")
    editing = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    return render_resource(request, participant, read_resource(request, resource_id)[0], editing=editing)


def posted_id(request: HttpRequest, name: str) -> int | None:
    """A primary key named in the POST; None when absent, 404 when it is not a number."""
    raw = request.POST.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 12):
        raise Http404
    return int(raw)


@dataclass
class NewComment:
    """Where a new comment goes, as posted: checked to be in the version the consultation uses (else 404)."""

    resource: Resource
    version: ResourceVersion
    section: ResourceSection | None
    paragraph: ResourceParagraph | None

    @classmethod
    def from_post(cls, request: HttpRequest, participant: Participant, resource: Resource) -> "NewComment":
        version = services.consultation_version(consultation=participant.consultation, resource=resource)
        section_id, paragraph_id = posted_id(request, "section"), posted_id(request, "paragraph")
        section = paragraph = None
        if section_id is not None:
            section = get_object_or_404(ResourceSection, pk=section_id, resource=resource, version=version)
        if paragraph_id is not None:
            if section is None:
                raise Http404
            paragraph = get_object_or_404(ResourceParagraph, pk=paragraph_id, section=section)
            paragraph.section = section
        return cls(resource, version, section, paragraph)

    @property
    def anchor(self) -> str:
        return section_anchor(self.section)

    def add(self, participant: Participant, form: NewCommentForm) -> Comment:
        """Store the comment the form holds (ValidationError when the form or the passage is refused)."""
        if not form.is_valid():
            raise ValidationError(form.errors.get("__all__") or "invalid")
        data = form.cleaned_data
        quote, start = data["quote"], data["quote_start"]
        if quote and start is None and self.paragraph is not None:
            # Typed or pasted by hand (no script): the passage is where its words first appear.
            quote = quote.strip()
            found = self.paragraph.text.find(quote)
            start = found if found >= 0 else None
        return services.add_comment(
            response=response_for(participant),
            resource=self.resource,
            version=self.version,
            section=self.section,
            paragraph=self.paragraph,
            quote=quote,
            quote_start=start,
            kind=data["kind"],
            text=data["text"],
            proposed_change=data["proposed_change"],
            language=i18n.answer_language(participant),
            draft_key=data.get("draft_key") or "",
        )


def saved_time(consultation: Consultation) -> str:
    with timezone.override(consultation.tz):
        return date_format(timezone.localtime(), "TIME_FORMAT")


@require_POST
def comment(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    """A new comment from the resource page's form (the script saves it earlier through comment_autosave)."""
    participant = participant_for(request, slug)
    place = NewComment.from_post(request, participant, resource_for(participant, resource_id))
    target = reverse("feedback:resource", args=[slug, resource_id]) + "#" + place.anchor
    if not participant.has_confirmed_profile:
        messages.info(request, _("Please confirm your profile and how you may be quoted first."))
        return redirect("feedback:profile", slug=slug)
    consultation = participant.consultation
    closed = closed_message(consultation)
    if closed:
        messages.error(request, closed)
        return redirect(target)
    form = NewCommentForm(request.POST, auto_id=f"{place.anchor}-%s")
    try:
        saved = place.add(participant, form)
    except ValidationError as error:
        for message in error.messages if form.is_valid() else []:
            form.add_error(None, message)
        messages.error(request, _("Your comment was not saved: please correct it below and save again."))
        return render_resource(
            request, participant, place.resource, bound=BoundForm(form, anchor=place.anchor)
        )
    except services.ConsultationClosed:
        messages.error(request, closed_message(consultation))
        return redirect(target)
    messages.success(request, _("Your comment was saved at %(time)s.") % {"time": saved_time(consultation)})
    return redirect(comment_url(slug, saved))


def comment_saved_json(slug: str, consultation: Consultation, saved: Comment) -> JsonResponse:
    """What autosave.js learns after saving a comment: when, and where the comment's later saves go."""
    now = timezone.now()
    return JsonResponse(
        {
            "saved_at": saved_time(consultation),
            "saved_at_iso": now.isoformat(),
            "autosave_url": reverse("feedback:comment-edit-autosave", args=[slug, saved.pk]),
            "action": reverse("feedback:comment-edit", args=[slug, saved.pk]),
            "storage_key": f"feedback:{slug}:{saved.response.participant_id}:comment-{saved.pk}",
        }
    )


@require_POST
@rate_limited("autosave", as_json=True)
def comment_autosave(request: HttpRequest, slug: str, resource_id: int) -> JsonResponse:
    """The first save of a new comment while the participant types; the answer names the URL of later saves."""
    participant = participant_for(request, slug)
    place = NewComment.from_post(request, participant, resource_for(participant, resource_id))
    if not participant.has_confirmed_profile:
        return autosave_error(_("Please confirm your profile and how you may be quoted first."), 409)
    consultation = participant.consultation
    closed = closed_message(consultation)
    if closed:
        return autosave_error(closed, 409)
    form = NewCommentForm(request.POST)
    if form.is_valid() and not form.cleaned_data["text"].strip() and not form.cleaned_data["proposed_change"]:
        return JsonResponse({"empty": True})
    if not form.is_valid() and set(form.errors) == {"text"} and not request.POST.get("proposed_change", ""):
        # Nothing typed yet (say, only the type of comment was chosen): nothing to save, nothing wrong.
        return JsonResponse({"empty": True})
    try:
        saved = place.add(participant, form)
    except ValidationError as error:
        messages_ = error.messages if form.is_valid() else [m for ms in form.errors.values() for m in ms]
        return autosave_error(" ".join(messages_), 400)
    except services.ConsultationClosed:
        return autosave_error(closed_message(consultation), 409)
    return comment_saved_json(slug, consultation, saved)


def edit_from_post(request: HttpRequest, participant: Participant, comment: Comment) -> CommentForm:
    return CommentForm(request.POST, auto_id=f"comment-{comment.pk}-%s")


@require_POST
def comment_edit(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    participant = participant_for(request, slug)
    own = own_comment_for(participant, comment_id)
    consultation = participant.consultation
    closed = closed_message(consultation)
    if closed:
        messages.error(request, closed)
        return redirect(comment_url(slug, own))
    form = edit_from_post(request, participant, own)
    try:
        if not form.is_valid():
            raise ValidationError("invalid")
        services.edit_comment(
            comment=own,
            text=form.cleaned_data["text"],
            kind=form.cleaned_data["kind"],
            proposed_change=form.cleaned_data["proposed_change"],
            language=i18n.answer_language(participant),
        )
    except ValidationError as error:
        for message in error.messages if form.is_valid() else []:
            form.add_error(None, message)
        messages.error(request, _("Your comment was not saved: please correct it below and save again."))
        return render_resource(request, participant, own.resource, bound=BoundForm(form, comment_id=own.pk))
    except services.ConsultationClosed:
        messages.error(request, closed_message(consultation))
        return redirect(comment_url(slug, own))
    messages.success(request, _("Your comment was saved at %(time)s.") % {"time": saved_time(consultation)})
    return redirect(comment_url(slug, own))


@require_POST
@rate_limited("autosave", as_json=True)
def comment_edit_autosave(request: HttpRequest, slug: str, comment_id: int) -> JsonResponse:
    participant = participant_for(request, slug)
    own = own_comment_for(participant, comment_id)
    consultation = participant.consultation
    closed = closed_message(consultation)
    if closed:
        return autosave_error(closed, 409)
    form = edit_from_post(request, participant, own)
    if not form.is_valid():
        return autosave_error(" ".join(m for ms in form.errors.values() for m in ms), 400)
    try:
        saved = services.edit_comment(
            comment=own,
            text=form.cleaned_data["text"],
            kind=form.cleaned_data["kind"],
            proposed_change=form.cleaned_data["proposed_change"],
            language=i18n.answer_language(participant),
        )
    except ValidationError as error:
        return autosave_error(" ".join(error.messages), 400)
    except services.ConsultationClosed:
        return autosave_error(closed_message(consultation), 409)
    return comment_saved_json(slug, consultation, saved)


@require_POST
def comment_delete(request: HttpRequest, slug: str, comment_id: int) -> HttpResponse:
    participant = participant_for(request, slug)
    own = own_comment_for(participant, comment_id)
    consultation = participant.consultation
    target = reverse("feedback:resource", args=[slug, own.resource_id]) + "#" + section_anchor(own.section)
    try:
        services.delete_comment(comment=own)
    except services.ConsultationClosed:
        messages.error(request, closed_message(consultation))
        return redirect(target)
    messages.success(request, _("Your comment on %(place)s was deleted.") % {"place": own.place})
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
