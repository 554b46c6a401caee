"""Organiser accounts: two-factor sign-in to the admin, lockout after failed sign-ins, sessions that end."""

import re
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from feedback.management.commands.add_totp_device import totp_secret

LOGIN = "/admin/login/"
with_2fa = override_settings(ADMIN_REQUIRE_2FA=True)
with_lockout = override_settings(AXES_ENABLED=True)


def code(device: TOTPDevice) -> str:
    """The code olga's authenticator app shows right now."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{value:0{device.digits}d}"


def sign_in(client: Client, username: str, password: str, **extra: str) -> HttpResponse:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


@pytest.fixture
def olga_totp(olga: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=olga, name="Phone", confirmed=True)


# Two-factor sign-in


def test_production_settings_require_two_factor_sign_in():
    # tests/settings.py switches it off for the other tests; the project's default with DEBUG=0 is on.
    from consultation import settings as project_settings

    assert project_settings.DEBUG is False
    assert project_settings.ADMIN_REQUIRE_2FA is True


@with_2fa
def test_with_2fa_the_admin_sends_a_password_only_session_to_the_sign_in(client, olga):
    client.force_login(olga)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


@with_2fa
def test_with_2fa_the_sign_in_page_asks_for_the_authenticator_code(client, db):
    response = client.get(LOGIN)

    assert response.status_code == 200
    assert 'name="otp_token"' in response.content.decode()
    assert "Code from your authenticator app" in response.content.decode()


GENERIC_ERROR = "Please enter the correct username and password for a staff account."


def visible_text(response: HttpResponse) -> str:
    """The page as a person reads it, without the CSRF token that differs on every answer and the code as typed."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'(name="otp_token") value="[^"]*"', r"\1", text)


@with_2fa
def test_with_2fa_the_right_password_without_a_code_is_refused_like_a_wrong_password(client, olga, olga_totp):
    response = sign_in(client, "olga", "olga-password")

    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()
    assert "OTP" not in response.content.decode()
    assert client.get("/admin/").status_code == 302


@with_2fa
def test_with_2fa_every_failure_before_the_code_is_verified_looks_the_same(client, olga, olga_totp):
    """A right password must not be told apart from a wrong one by the answer (a password oracle), nor list
    the organiser's devices before they are signed in."""
    wrong_code = f"{(int(code(olga_totp)) + 1) % 1_000_000:06d}"
    answers = [
        sign_in(client, "olga", "wrong-password", otp_token=wrong_code),
        sign_in(client, "olga", "olga-password"),
        sign_in(client, "olga", "olga-password", otp_token=wrong_code),
    ]

    assert {answer.status_code for answer in answers} == {200}
    assert len({visible_text(answer) for answer in answers}) == 1
    assert "Phone" not in visible_text(answers[1])
    assert 'name="otp_device"' not in visible_text(answers[2])


@with_2fa
def test_with_2fa_a_wrong_code_is_refused(client, olga, olga_totp):
    wrong = f"{(int(code(olga_totp)) + 1) % 1_000_000:06d}"

    response = sign_in(client, "olga", "olga-password", otp_token=wrong)

    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()
    assert client.get("/admin/").status_code == 302


@with_2fa
def test_with_2fa_an_organiser_without_a_device_cannot_sign_in(client, olga):
    response = sign_in(client, "olga", "olga-password", otp_token="123456")

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


@with_2fa
def test_with_2fa_password_and_the_current_code_open_the_admin(client, olga, olga_totp):
    response = sign_in(client, "olga", "olga-password", otp_token=code(olga_totp))

    assert response.status_code == 302
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Organisers&#x27; workspace" in page.content.decode()


@with_2fa
def test_with_2fa_a_code_cannot_be_used_twice(client, olga, olga_totp):
    used = code(olga_totp)
    assert sign_in(client, "olga", "olga-password", otp_token=used).status_code == 302

    other = Client()
    response = sign_in(other, "olga", "olga-password", otp_token=used)

    assert response.status_code == 200
    assert other.get("/admin/").status_code == 302


@with_2fa
def test_with_2fa_a_backup_code_signs_in_from_the_code_field(client, olga, olga_totp):
    backup = StaticDevice.objects.create(user=olga, name="Backup codes", confirmed=True)
    backup.token_set.create(token="backup-1234")

    response = sign_in(client, "olga", "olga-password", otp_token="backup-1234")

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert not backup.token_set.exists()


@with_2fa
def test_with_2fa_another_users_device_does_not_count(client, olga, mona):
    monas = TOTPDevice.objects.create(user=mona, name="Phone", confirmed=True)

    response = sign_in(client, "olga", "olga-password", otp_token=code(monas), otp_device=monas.persistent_id)

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_without_2fa_the_password_alone_opens_the_admin(client, olga):
    # DEBUG=1 (make run) defaults ADMIN_REQUIRE_2FA to off, so seed_demo's printed login works.
    assert settings.ADMIN_REQUIRE_2FA is False

    response = sign_in(client, "olga", "olga-password")

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_add_totp_device_prints_a_link_whose_codes_sign_in(client, olga):
    out = StringIO()
    call_command("add_totp_device", "olga", stdout=out, stderr=StringIO())

    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    url = urlparse(lines["otpauth"])
    query = parse_qs(url.query)
    assert url.scheme == "otpauth"
    assert url.netloc == "totp"
    assert "olga" in url.path
    assert query["secret"] == [lines["secret"]]
    assert query["issuer"] == ["Consultation Feedback"]
    device = TOTPDevice.objects.get(user=olga)
    assert totp_secret(device) == lines["secret"]
    with with_2fa:
        assert sign_in(client, "olga", "olga-password", otp_token=code(device)).status_code == 302
        assert client.get("/admin/").status_code == 200


def test_add_totp_device_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("add_totp_device", "nobody", stdout=StringIO(), stderr=StringIO())


@with_2fa
def test_seed_demo_gives_the_demo_organiser_an_authenticator_when_2fa_is_on(client, db):
    out = StringIO()
    call_command("seed_demo", stdout=out)

    lines = out.getvalue().splitlines()
    username, password = lines[-2].removeprefix("organiser: ").split()
    assert lines[-1].startswith("organiser-totp: otpauth://totp/")
    secret = parse_qs(urlparse(lines[-1].removeprefix("organiser-totp: ")).query)["secret"][0]
    device = TOTPDevice.objects.get(user__username=username)
    assert totp_secret(device) == secret
    assert sign_in(client, username, password, otp_token=code(device)).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_seed_demo_prints_no_authenticator_when_2fa_is_off(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert "organiser-totp" not in out.getvalue()
    assert not TOTPDevice.objects.exists()


# Lockout after repeated failures


def fail(client: Client, username: str, times: int, address: str = "127.0.0.1") -> list[int]:
    """Wrong passwords for username from address; the status of each answer."""
    return [
        client.post(LOGIN, {"username": username, "password": "wrong"}, REMOTE_ADDR=address).status_code
        for _ in range(times)
    ]


@with_lockout
def test_five_failures_lock_that_user_from_that_address_even_with_the_right_password(client, olga):
    # The fifth failure already answers with the lockout page.
    assert fail(client, "olga", 5) == [200, 200, 200, 200, 429]

    response = client.post(LOGIN, {"username": "olga", "password": "olga-password"})

    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


@with_2fa
@with_lockout
def test_the_right_password_with_wrong_codes_counts_towards_the_lockout(client, olga, olga_totp):
    wrong_code = f"{(int(code(olga_totp)) + 1) % 1_000_000:06d}"
    answers = [sign_in(client, "olga", "olga-password", otp_token=wrong_code).status_code for _ in range(5)]

    assert answers == [200, 200, 200, 200, 429]
    assert sign_in(client, "olga", "olga-password", otp_token=code(olga_totp)).status_code == 429


@with_lockout
def test_addresses_of_one_ipv6_64_share_one_lockout(client, olga):
    for host in range(1, 6):
        fail(client, "olga", 1, address=f"2001:db8:1:2::{host}")

    response = client.post(
        LOGIN, {"username": "olga", "password": "olga-password"}, REMOTE_ADDR="2001:db8:1:2::99"
    )

    assert response.status_code == 429


@with_lockout
def test_four_failures_do_not_lock(client, olga):
    assert fail(client, "olga", 4) == [200] * 4

    assert sign_in(client, "olga", "olga-password").status_code == 302


@with_lockout
def test_the_lockout_page_says_what_happened_and_for_how_long(client, olga):
    fail(client, "olga", 5)

    response = client.post(LOGIN, {"username": "olga", "password": "olga-password"})

    text = re.sub(r"\s+", " ", response.content.decode())
    assert "Sign-in locked for a while" in text
    assert "after 5 failed attempts from your address" in text
    assert "paused for 15 minutes" in text
    assert "olga-password" not in text


@with_lockout
def test_the_lockout_does_not_reach_olga_at_another_address(client, olga):
    fail(client, "olga", 5, address="203.0.113.9")

    response = client.post(
        LOGIN, {"username": "olga", "password": "olga-password"}, REMOTE_ADDR="198.51.100.4"
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@with_lockout
def test_the_lockout_does_not_reach_another_user_at_that_address(client, olga, mona):
    fail(client, "olga", 5)

    assert sign_in(client, "mona", "mona-password").status_code == 302


@with_lockout
def test_axes_reset_lifts_the_lockout(client, olga):
    fail(client, "olga", 5)

    call_command("axes_reset", stdout=StringIO())

    assert sign_in(client, "olga", "olga-password").status_code == 302


@with_lockout
@with_2fa
def test_the_lockout_also_guards_the_two_factor_sign_in(client, olga, olga_totp):
    fail(client, "olga", 5)

    response = sign_in(client, "olga", "olga-password", otp_token=code(olga_totp))

    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_lockout_settings_key_on_user_and_address_for_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


# Sessions


def test_signing_in_gives_a_new_session_key(client, olga):
    client.get(LOGIN)
    client.session.save()  # a session (and its key) exists before signing in, as a fixated one would
    before = client.session.session_key

    assert sign_in(client, "olga", "olga-password").status_code == 302

    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_a_disabled_organisers_session_stops_working_at_the_next_request(olga_client, olga):
    assert olga_client.get("/admin/").status_code == 200

    olga.is_active = False
    olga.save()

    response = olga_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_disabling_an_organiser_in_the_admin_ends_their_session(client, olga, db):
    admin_user = User.objects.create_superuser("sue", "sue@example.org", "sue-password")
    olgas_browser = Client()
    olgas_browser.force_login(olga)
    client.force_login(admin_user)
    form = client.get(f"/admin/auth/user/{olga.pk}/change/").context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None and key != "password"}
    data.update({"is_active": "", "groups": [g.pk for g in olga.groups.all()], "user_permissions": []})
    data["date_joined_0"], data["date_joined_1"] = olga.date_joined.strftime("%Y-%m-%d %H:%M:%S").split()
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data["is_staff"] = "on"

    response = client.post(f"/admin/auth/user/{olga.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    olga.refresh_from_db()
    assert olga.is_active is False
    assert olgas_browser.get("/admin/").status_code == 302


def test_a_password_change_ends_the_organisers_other_sessions(client, olga):
    laptop, phone = Client(), Client()
    assert sign_in(laptop, "olga", "olga-password").status_code == 302
    assert sign_in(phone, "olga", "olga-password").status_code == 302

    response = laptop.post(
        "/admin/password_change/",
        {
            "old_password": "olga-password",
            "new_password1": "a-much-longer-passphrase-9",
            "new_password2": "a-much-longer-passphrase-9",
        },
    )

    assert response.status_code == 302
    assert laptop.get("/admin/").status_code == 200  # the session that changed it stays signed in
    assert phone.get("/admin/").status_code == 302


@with_lockout
@override_settings(TRUSTED_PROXY_COUNT=1, FORWARDED_ALLOW_IPS=["10.0.0.2"])
def test_behind_a_proxy_the_lockout_counts_the_forwarded_address_not_the_proxys(client, olga):
    def fail_via_proxy(address: str) -> int:
        return client.post(
            LOGIN,
            {"username": "olga", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=address,
        ).status_code

    assert [fail_via_proxy("203.0.113.9") for _ in range(5)] == [200, 200, 200, 200, 429]

    # Olga elsewhere comes through the same proxy: her own address is not locked.
    response = client.post(
        LOGIN,
        {"username": "olga", "password": "olga-password"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert response.status_code == 302
