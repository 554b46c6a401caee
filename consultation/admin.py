"""The organisers' admin site: with ADMIN_REQUIRE_2FA, only organisers who gave a one-time code get in."""

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

# The longest code an authenticator app shows; anything else typed in the code field is a backup code.
TOTP_DIGITS = 8


class TwoFactorLoginForm(OTPAdminAuthenticationForm):
    """Username, password and the code from the organiser's authenticator app, in one step."""

    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        help_text=_("Or one of your backup codes."),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict:
        try:
            return super().clean()
        except ValidationError as error:
            if self.user_cache is None:
                raise  # a wrong password: already the generic error, already counted towards the lockout
            # The right password with a missing or wrong code must look exactly like a wrong password (else the
            # answer confirms the password) and count towards the lockout like one.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": self.cleaned_data.get("username", "")},
                request=self.request,
            )
            self.user_cache = None
            raise self.get_invalid_login_error() from error

    def _update_form(self, user: AbstractBaseUser) -> None:
        # django-otp fills in the device list and keeps the password in the page after a wrong code: both tell
        # a right password from a wrong one, and the second writes the password into the HTML.
        return

    def _chosen_device(self, user: AbstractBaseUser) -> Device | None:
        # No list of devices before sign-in (it would confirm the password): one field takes the authenticator
        # app's code or, for an organiser who lost the app, one of their backup codes.
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if token and not (token.isdigit() and len(token) <= TOTP_DIGITS):
            return StaticDevice.objects.devices_for_user(user).first()
        return TOTPDevice.objects.devices_for_user(user).first()


class OrganiserAdminSite(AdminSite):
    """Django's admin, asking for a second factor whenever settings.ADMIN_REQUIRE_2FA is on.

    The setting is read on every request (not when the site is built), so tests can switch it.
    """

    @property
    def login_form(self) -> type[AdminAuthenticationForm] | None:
        return TwoFactorLoginForm if settings.ADMIN_REQUIRE_2FA else None

    @property
    def login_template(self) -> str | None:
        return "admin/login_2fa.html" if settings.ADMIN_REQUIRE_2FA else None

    def has_permission(self, request: HttpRequest) -> bool:
        # A password-only session (from before 2FA was switched on, say) counts as not signed in.
        if settings.ADMIN_REQUIRE_2FA and not request.user.is_verified():
            return False
        return super().has_permission(request)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: a page saying for how long, with axes' status (429)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "axes/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
