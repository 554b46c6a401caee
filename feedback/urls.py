from django.urls import path

from feedback.analysis import views as analysis
from feedback.meeting import console as meeting_console
from feedback.meeting import views as meeting
from feedback.participation import responses, sheet, views

app_name = "feedback"

urlpatterns = [
    # What a participant's open page asks many times a minute first: URLs are resolved by trying each pattern in
    # turn, and the meeting's poll came after forty others.
    path("c/<slug:slug>/meeting/now.json", meeting.meeting_now, name="meeting-now"),
    path("c/<slug:slug>/autosave/", views.autosave, name="autosave"),
    path("c/<slug:slug>/meeting/autosave/", meeting.live_autosave, name="meeting-autosave"),
    path("", views.home, name="home"),
    path("i/<str:token>/", views.invite, name="invite"),
    path("c/<slug:slug>/", views.consultation_home, name="consultation"),
    path("c/<slug:slug>/profile/", views.profile, name="profile"),
    path("c/<slug:slug>/profile/autosave/", views.profile_autosave, name="profile-autosave"),
    path("c/<slug:slug>/questions/", views.questions, name="questions"),
    path("c/<slug:slug>/resources/<int:resource_id>/", views.resource_detail, name="resource"),
    path("c/<slug:slug>/resources/<int:resource_id>/comment/", views.comment, name="comment"),
    path(
        "c/<slug:slug>/resources/<int:resource_id>/comment/autosave/",
        views.comment_autosave,
        name="comment-autosave",
    ),
    path("c/<slug:slug>/comments/<int:comment_id>/edit/", views.comment_edit, name="comment-edit"),
    path(
        "c/<slug:slug>/comments/<int:comment_id>/autosave/",
        views.comment_edit_autosave,
        name="comment-edit-autosave",
    ),
    path("c/<slug:slug>/comments/<int:comment_id>/delete/", views.comment_delete, name="comment-delete"),
    path("c/<slug:slug>/resources/<int:resource_id>/file/", views.resource_file, name="resource-file"),
    path("c/<slug:slug>/comment-sheet/", sheet.comment_sheet_upload, name="comment-sheet"),
    path("c/<slug:slug>/comment-sheet/confirm/", sheet.comment_sheet_confirm, name="comment-sheet-confirm"),
    path(
        "c/<slug:slug>/comment-sheet/blank.xlsx",
        sheet.comment_sheet_blank,
        {"file_format": "xlsx"},
        name="comment-sheet-blank-xlsx",
    ),
    path(
        "c/<slug:slug>/comment-sheet/blank.csv",
        sheet.comment_sheet_blank,
        {"file_format": "csv"},
        name="comment-sheet-blank-csv",
    ),
    path("c/<slug:slug>/review/", views.review, name="review"),
    path("c/<slug:slug>/submit/", views.submit, name="submit"),
    path("c/<slug:slug>/receipt/", views.receipt, name="receipt"),
    path("c/<slug:slug>/sign-out/", views.sign_out, name="sign-out"),
    path("c/<slug:slug>/insights/", views.participant_insights, name="participant-insights"),
    path("c/<slug:slug>/responses/", responses.responses_page, name="responses"),
    path(
        "c/<slug:slug>/responses/<int:comment_id>/satisfied/",
        responses.mark_satisfied,
        name="response-satisfied",
    ),
    path(
        "c/<slug:slug>/responses/<int:comment_id>/not-satisfied/",
        responses.mark_not_satisfied,
        name="response-not-satisfied",
    ),
    path("analysis/", analysis.analysis_index, name="analysis"),
    # Before analysis/<slug>/, so that "compare" is never taken for a consultation's slug.
    path("analysis/compare/", analysis.compare, name="compare"),
    path("analysis/<slug:slug>/insights/", analysis.insights_report, name="insights-report"),
    path("analysis/<slug:slug>/insights.csv", analysis.insights_csv, name="insights-csv"),
    path("analysis/<slug:slug>/insights/publish/", analysis.publish_insights, name="insights-publish"),
    path("analysis/<slug:slug>/insights/withdraw/", analysis.withdraw_insights, name="insights-withdraw"),
    path(
        "analysis/<slug:slug>/resources/<int:resource_id>/resolution/",
        analysis.resolution_report,
        name="resolution-report",
    ),
    path(
        "analysis/<slug:slug>/resources/<int:resource_id>/resolution.csv",
        analysis.resolution_csv,
        name="resolution-csv",
    ),
    path(
        "analysis/<slug:slug>/resources/<int:resource_id>/acceptance.csv",
        analysis.acceptance_csv,
        name="acceptance-csv",
    ),
    path("analysis/<slug:slug>/", analysis.analysis_dashboard, name="analysis-dashboard"),
    path("analysis/<slug:slug>/search/", analysis.analysis_search, name="analysis-search"),
    # The meeting: the participants' page, its poll, calendar and live points; the console, notes and record.
    path("c/<slug:slug>/meeting/", meeting.meeting, name="meeting"),
    path("c/<slug:slug>/meeting.ics", meeting.meeting_ics, name="meeting-ics"),
    path("meeting/<slug:slug>/console/", meeting_console.console, name="meeting-console"),
    path("meeting/<slug:slug>/console/start/", meeting_console.meeting_start, name="meeting-start"),
    path("meeting/<slug:slug>/console/rehearse/", meeting_console.meeting_rehearse, name="meeting-rehearse"),
    path("meeting/<slug:slug>/console/next/", meeting_console.meeting_next, name="meeting-next"),
    path("meeting/<slug:slug>/console/previous/", meeting_console.meeting_previous, name="meeting-previous"),
    path("meeting/<slug:slug>/console/extend/", meeting_console.meeting_extend, name="meeting-extend"),
    path("meeting/<slug:slug>/console/end/", meeting_console.meeting_end, name="meeting-end"),
    path("meeting/<slug:slug>/console/keep/", meeting_console.keep_rehearsal, name="meeting-keep-rehearsal"),
    path(
        "meeting/<slug:slug>/attendance/<int:participant_id>/",
        meeting_console.set_attendance,
        name="meeting-attendance",
    ),
    path("meeting/<slug:slug>/notes/", meeting_console.notes, name="meeting-notes"),
    path("analysis/<slug:slug>/meeting/", meeting_console.record, name="meeting-record"),
    path(
        "analysis/<slug:slug>/meeting/<int:number>/summary/",
        meeting_console.save_summary,
        name="meeting-summary",
    ),
]
