"""Enrols an organiser's authenticator app: prints the otpauth:// link (and its secret) for a new TOTP device."""

from base64 import b32encode

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed in: base32 without padding."""
    return b32encode(device.bin_key).decode().rstrip("=")


class Command(BaseCommand):
    help = (
        "Add a TOTP device (an authenticator app) for a user and print the otpauth:// link to scan or paste, "
        "and its secret to type in. With ADMIN_REQUIRE_2FA on, the admin asks for its codes at sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="Authenticator app", help="A name the user will recognise.")

    def handle(self, *args: object, username: str, name: str, **options: object) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username!r} is disabled.")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(f"otpauth: {device.config_url}")
        self.stdout.write(f"secret: {totp_secret(device)}")
        self.stderr.write(
            "Give these to the user only, over a trusted channel; anyone holding them can make the user's codes."
        )
