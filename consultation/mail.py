"""Mail in production goes to a real mail server or nowhere: the console backend would print every invitation
link (a key to a participant's input) into the server's log."""

from collections.abc import Sequence

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

# Backends that keep or print mail instead of sending it: fine for development and tests, never for DEBUG=0.
NOT_SENDING = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "consultation.mail.NoMailServer",
)


class NoMailServer(BaseEmailBackend):
    """The production default when no EMAIL_HOST is set: sending fails loudly instead of printing the mail."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ImproperlyConfigured(
            "No mail server: set EMAIL_HOST (or EMAIL_BACKEND for a staging server). Mail is never printed when "
            "DEBUG is off."
        )


@register(deploy=True)
def check_mail_backend(app_configs: object = None, **kwargs: object) -> list[Error]:
    if settings.DEBUG or settings.EMAIL_BACKEND not in NOT_SENDING:
        return []
    return [
        Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, which does not send mail.",
            hint="Set EMAIL_HOST to your mail server (or EMAIL_BACKEND to a real backend for staging): invitation "
            "links must never be printed into the server's log.",
            id="consultation.E001",
        )
    ]
