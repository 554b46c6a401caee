"""Top-level URLs: the participant pages, the admin, and health checks."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from consultation import health
from feedback import i18n

admin.site.site_header = _("Consultation Feedback")
admin.site.site_title = _("Consultation Feedback")
admin.site.index_title = _("Organisers' workspace")

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # The language switcher's POST (every page has it): a cookie, and the participant's stored choice.
    path("language", i18n.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("feedback.urls")),
]
