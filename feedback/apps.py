from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Consultation feedback")

    def ready(self) -> None:
        # The project's deploy checks (mail that is really sent).
        from consultation import mail  # noqa: F401
