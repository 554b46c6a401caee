"""Top-level URLs: the participant pages, the admin, and health checks."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from feedback import views

admin.site.site_header = _("Consultation Feedback")
admin.site.site_title = _("Consultation Feedback")
admin.site.index_title = _("Organisers' workspace")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("", include("feedback.urls")),
]
