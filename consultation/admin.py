"""The organisers' admin site: with ADMIN_REQUIRE_2FA, only organisers who gave a one-time code get in."""

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice


class TwoFactorLoginForm(OTPAdminAuthenticationForm):
    """Username, password and the code from the organiser's authenticator app, in one step."""

    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def _chosen_device(self, user: AbstractBaseUser) -> Device | None:
        # django-otp wants the device picked from a list that only appears after a first failed try; most
        # organisers have one authenticator app, so its code is checked unless they chose backup codes.
        return super()._chosen_device(user) or TOTPDevice.objects.devices_for_user(user).first()


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
