"""Staff reading pages on the site's own layout: dashboard, search, insights and comment-resolution reports,
comparison across the series. They read; publishing goes through organising."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from feedback import audit, roles
from feedback.analysis import dashboard, reports, search
from feedback.analysis.forms import AnalysisSearchForm
from feedback.exports import acceptance
from feedback.exports.columns import MIN_GROUP_SIZE
from feedback.limits import rate_limited
from feedback.models import (
    Consultation,
    Question,
    Resource,
    Theme,
)
from feedback.organising import lifecycle


def analysis_access(
    request: HttpRequest, slug: str | None = None, *, perm: str = "feedback.view_answer"
) -> Consultation | None:
    """The analysis pages and reports are for staff who may read answers (organisers, moderators, analysts),
    or hold `perm` where an action needs more; anyone else gets a 404 (the views are also `login_required`, so
    an anonymous caller is asked to sign in first). Returns the consultation `slug` names, or 404."""
    if not roles.reads_answers(request, perm):
        raise Http404
    if slug is None:
        return None
    return get_object_or_404(Consultation, slug=slug)


# Analysis pages for the organising team (outside the admin, on the site's own layout)


@login_required(login_url="admin:login")
@require_GET
def analysis_index(request: HttpRequest) -> HttpResponse:
    analysis_access(request)
    consultations = dashboard.consultations_with_rates()
    return render(request, "feedback/analysis/index.html", {"consultations": consultations})


@login_required(login_url="admin:login")
@require_GET
def analysis_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = analysis_access(request, slug)
    context = {
        "consultation": consultation,
        "sees_names": roles.sees_identities(request),
        **dashboard.dashboard(consultation),
        # What became of the comments; small groups suppressed on every page, whoever reads it.
        "acceptance": acceptance.acceptance(consultation),
        "min_group_size": MIN_GROUP_SIZE,
        **dashboard.meeting_dashboard(consultation, identities=roles.sees_identities(request)),
    }
    return render(request, "feedback/analysis/dashboard.html", context)


@login_required(login_url="admin:login")
@require_GET
def analysis_search(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = analysis_access(request, slug)
    see_hidden = request.user.has_perm("feedback.change_answer")
    form = AnalysisSearchForm(request.GET or None, consultation=consultation, see_hidden=see_hidden)
    page = items = None
    if form.is_valid():
        rows = search.search(
            consultation, q=form.cleaned_data["q"], filters=form.cleaned_data, see_hidden=see_hidden
        )
        page = Paginator(rows, search.SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        items = search.search_items(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "consultation": consultation,
        "form": form,
        "page": page,
        "items": items,
        "query": query.urlencode(),
        "sees_names": roles.sees_identities(request),
    }
    return render(request, "feedback/analysis/search.html", context)


# Reports for the organising team (feedback/reports.py): staff with feedback.view_answer read them; quotes carry
# identities only for those who also hold feedback.view_participant; publishing needs change_consultation.


@login_required(login_url="admin:login")
@require_GET
def insights_report(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = analysis_access(request, slug)
    identities = roles.sees_identities(request)
    context = {
        "consultation": consultation,
        "report": reports.insights_report(consultation, identities=identities),
        "identities": identities,
        "quotes_per_group": reports.QUOTES_PER_GROUP,
        "can_publish": request.user.has_perm("feedback.change_consultation"),
    }
    return render(request, "feedback/reports/insights.html", context)


@login_required(login_url="admin:login")
@require_GET
@rate_limited("export")
def insights_csv(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = analysis_access(request, slug)
    identities = roles.sees_identities(request)
    rows = list(reports.insights_rows(reports.insights_report(consultation, identities=identities)))
    audit.record_export(
        actor=request.user,
        consultation=consultation,
        obj=consultation,
        count=len(rows),
        details={"report": "insights", "format": "csv", "identities": identities},
    )
    return reports.csv_download(reports.INSIGHTS_COLUMNS, rows, filename=f"{consultation.slug}-insights.csv")


@login_required(login_url="admin:login")
@require_POST
def publish_insights(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = analysis_access(request, slug, perm="feedback.change_consultation")
    lifecycle.publish_insights(consultation=consultation, actor=request.user)
    messages.success(request, _("The insights report is published: participants now see it."))
    return redirect("feedback:insights-report", slug=slug)


@login_required(login_url="admin:login")
@require_POST
def withdraw_insights(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = analysis_access(request, slug, perm="feedback.change_consultation")
    lifecycle.withdraw_insights(consultation=consultation, actor=request.user)
    messages.success(request, _("The insights report is withdrawn: participants no longer see it."))
    return redirect("feedback:insights-report", slug=slug)


def resolution_for(request: HttpRequest, slug: str, resource_id: int) -> tuple[Consultation, Resource]:
    consultation = analysis_access(request, slug)
    resource = get_object_or_404(consultation.resources, pk=resource_id)
    return consultation, resource


@login_required(login_url="admin:login")
@require_GET
def resolution_report(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    consultation, resource = resolution_for(request, slug, resource_id)
    comments = reports.resolution_comments(consultation, resource)
    context = {
        "consultation": consultation,
        "resource": resource,
        "rows": [
            (comment, reports.resolution_text(comment), reports.resolution_change(comment))
            for comment in comments
        ],
        "acceptance": acceptance.acceptance(consultation, resource=resource),
        "min_group_size": MIN_GROUP_SIZE,
    }
    return render(request, "feedback/reports/resolution.html", context)


@login_required(login_url="admin:login")
@require_GET
@rate_limited("export")
def resolution_csv(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    consultation, resource = resolution_for(request, slug, resource_id)
    rows = list(reports.resolution_rows(reports.resolution_comments(consultation, resource)))
    audit.record_export(
        actor=request.user,
        consultation=consultation,
        obj=resource,
        count=len(rows),
        details={"report": "comment resolution", "format": "csv"},
    )
    filename = f"{consultation.slug}-resource-{resource.pk}-resolution.csv"
    return reports.csv_download(reports.RESOLUTION_COLUMNS, rows, filename=filename)


@login_required(login_url="admin:login")
@require_GET
@rate_limited("export")
def acceptance_csv(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    """The resolution report's acceptance figures as CSV, suppressed as on the page."""
    consultation, resource = resolution_for(request, slug, resource_id)
    rows = list(acceptance.acceptance_rows(acceptance.acceptance(consultation, resource=resource)))
    audit.record_export(
        actor=request.user,
        consultation=consultation,
        obj=resource,
        count=len(rows),
        details={"report": "acceptance", "format": "csv", "suppressed": True},
    )
    filename = f"{consultation.slug}-resource-{resource.pk}-acceptance.csv"
    return reports.csv_download(acceptance.ACCEPTANCE_COLUMNS, rows, filename=filename)


@login_required(login_url="admin:login")
@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    analysis_access(request)
    question = request.GET.get("question", "").strip()
    if question.isdigit():
        # An id picks a question; the comparison then follows its text across the series.
        question = Question.objects.filter(pk=int(question)).values_list("text_en", flat=True).first() or ""
    theme = request.GET.get("theme", "").strip()
    chosen = request.GET.get("resource", "").strip()
    resource = Resource.objects.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    context = {
        "question": question,
        "theme": theme,
        "question_rows": reports.compare_question(question) if question else None,
        "theme_rows": reports.compare_theme(theme) if theme else None,
        "question_texts": list(
            Question.objects.values_list("text_en", flat=True).distinct().order_by("text_en")
        ),
        "theme_choices": list(Theme.objects.values_list("code", "name").distinct().order_by("code", "name")),
        "min_group_size": MIN_GROUP_SIZE,
        # The next round: each consultation of the series, and what became of the comments on a resource in each.
        "rounds": reports.rounds(),
        "resource": resource,
        "resource_choices": Resource.objects.order_by("title"),
        "acceptance": acceptance.acceptance_of([resource]) if resource else None,
    }
    return render(request, "feedback/reports/compare.html", context)
