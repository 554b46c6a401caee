"""Security headers, cookies, session lifetimes and the production settings that `check --deploy` accepts."""

import json
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from consultation.middleware import SEEN_AT, SIGNED_IN_AT

ROOT = Path(__file__).resolve().parent.parent
CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]
# What an operator sets in production (.env.example); nothing else, and no .env file read.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "consult.example.org",
    "SITE_URL": "https://consult.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://consult.example.org",
    "EMAIL_HOST": "smtp.example.org",
    "DJANGO_SETTINGS_MODULE": "consultation.settings",
    "ENV_FILE": "/nonexistent",
}


def production(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """Run Python with production settings in a clean environment (only PATH and HOME from ours)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        **PRODUCTION_ENV,
        **extra_env,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    for directive in CSP_DIRECTIVES:
        assert directive in csp.split("; "), directive
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_a_participant_page_carries_every_security_header(alice_client):
    response = alice_client.get("/c/tech-providers/")
    assert response.status_code == 200
    assert_security_headers(response)


def test_the_admin_carries_every_security_header(client, olga_client):
    assert_security_headers(client.get("/admin/login/"))
    assert_security_headers(olga_client.get("/admin/"))


def test_the_health_check_and_error_pages_carry_every_security_header(client, db):
    assert_security_headers(client.get("/healthz"))
    assert_security_headers(client.get("/no-such-page/"))


def test_the_session_and_csrf_cookies_are_secure_host_only_and_same_site(client, alice):
    client.get(f"/i/{alice.token}/")
    client.post(f"/i/{alice.token}/")
    client.post("/language", {"language": "fr", "next": "/"})

    session = client.cookies["__Host-sessionid"]
    csrf = client.cookies["__Host-csrftoken"]
    language = client.cookies["__Host-language"]
    assert language.value == "fr"
    for cookie in (session, csrf, language):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/"
        assert not cookie["domain"]  # __Host-: this host only


def test_a_participant_session_lasts_fourteen_days(alice_client):
    alice_client.get("/c/tech-providers/")
    assert alice_client.session.get_expiry_age() == 14 * 24 * 3600


def test_an_organiser_session_lapses_after_two_idle_hours(olga_client, olga):
    assert olga_client.get("/admin/").status_code == 200
    session = olga_client.session
    session[SEEN_AT] = time.time() - settings.ORGANISER_SESSION_IDLE - 1
    session.save()

    response = olga_client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_organiser_session_ends_eight_hours_after_sign_in_however_active(olga_client, olga):
    olga.last_login = timezone.now() - timedelta(seconds=settings.ORGANISER_SESSION_MAX_AGE + 1)
    olga.save(update_fields=["last_login"])

    response = olga_client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_active_organiser_session_is_renewed_for_two_hours_never_past_eight(olga_client, olga):
    olga.last_login = timezone.now() - timedelta(hours=7)
    olga.save(update_fields=["last_login"])
    session = olga_client.session
    session[SEEN_AT] = time.time() - 600
    session.save()

    assert olga_client.get("/admin/").status_code == 200

    session = olga_client.session
    assert session[SIGNED_IN_AT] == pytest.approx(olga.last_login.timestamp())
    assert 3590 <= session.get_expiry_age() <= 3600  # one hour left of the eight, less than the idle two


def test_production_settings_turn_on_https_only_controls():
    shown = production(
        "-c",
        "import json; from django.conf import settings as s; print(json.dumps({n: getattr(s, n) for n in ["
        "'DEBUG', 'SESSION_COOKIE_NAME', 'CSRF_COOKIE_NAME', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'X_FRAME_OPTIONS', "
        "'SECURE_CROSS_ORIGIN_OPENER_POLICY', 'SECURE_REFERRER_POLICY', 'SECURE_CONTENT_TYPE_NOSNIFF', "
        "'SESSION_COOKIE_AGE', 'ORGANISER_SESSION_IDLE', 'ORGANISER_SESSION_MAX_AGE']}))",
    )
    assert shown.returncode == 0, shown.stderr
    values = json.loads(shown.stdout)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is values["SECURE_HSTS_PRELOAD"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["ORGANISER_SESSION_MAX_AGE"] <= 8 * 3600 < values["SESSION_COOKIE_AGE"]
    assert values["ORGANISER_SESSION_IDLE"] <= 2 * 3600


def test_development_settings_keep_plain_http_working_for_make_run():
    shown = production(
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)",
        DEBUG="1",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["sessionid", "False", "False", "0"]


def test_production_settings_pass_check_deploy_without_a_warning():
    checked = production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_no_page_is_kept_in_the_browsers_cache(alice_client, olga_client, client):
    for response in (
        alice_client.get("/c/tech-providers/"),
        alice_client.get("/c/tech-providers/questions/"),
        olga_client.get("/analysis/"),
        client.get("/"),
    ):
        assert response.status_code == 200
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, response.request["PATH_INFO"]


SECURITY_TOGGLES = [
    "DEBUG",
    "ADMIN_REQUIRE_2FA",
    "AXES_ENABLED",
    "EMAIL_USE_TLS",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
]


@pytest.mark.parametrize("name", SECURITY_TOGGLES)
def test_a_security_toggle_that_is_not_a_yes_or_no_stops_the_start(name):
    result = production("-c", "import django; django.setup()", **{name: "ture"})

    assert result.returncode != 0
    assert f"{name}='ture' is not a yes/no value" in result.stderr


@pytest.mark.parametrize("value", ["1", "true", "Yes", "ON"])
def test_two_factor_sign_in_is_on_for_every_spelling_of_yes(value):
    result = production(
        "-c",
        "import django; django.setup(); from django.conf import settings as s; print(s.ADMIN_REQUIRE_2FA)",
        ADMIN_REQUIRE_2FA=value,
    )

    assert result.stdout.strip() == "True", result.stderr
