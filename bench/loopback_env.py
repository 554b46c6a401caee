"""The environment of a production-like process on 127.0.0.1, for the benchmarks and tests that start one.

Production settings (DEBUG=0, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, no development .env) minus the
HTTPS-only controls: loopback speaks plain HTTP, where a redirect to HTTPS would be all a client saw and Secure
cookies would never come back. Each caller adds what is its own (database, Redis prefix, rate limits, workers).
"""

import os
import secrets
from pathlib import Path

# Whatever the shell had under these prefixes is dropped: each caller chooses its own.
CHOSEN_BY_CALLER = ("GUNICORN_", "RATE_LIMIT_", "DJANGO_", "SECURE_", "EMAIL_")

# Load tests measure pages, not 429s: limits this high are never reached, but the counters still count.
HIGH = "1000000/m"
HIGH_RATE_LIMITS = dict.fromkeys(
    (
        "RATE_LIMIT_INVITE",
        "RATE_LIMIT_AUTOSAVE",
        "RATE_LIMIT_AUTOSAVE_IP",
        "RATE_LIMIT_SUBMIT",
        "RATE_LIMIT_SUBMIT_IP",
    ),
    HIGH,
)


def production_like(tmp: Path, **settings: str) -> dict[str, str]:
    """os.environ without what the caller chooses, plus production-like settings, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(CHOSEN_BY_CALLER)}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "consultation.settings",
            "ENV_FILE": "/nonexistent",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(tmp / "static"),
            "MEDIA_ROOT": str(tmp / "media"),
            "LOG_LEVEL": "WARNING",
            # No mail server here: mail goes to files in tmp/mail (production never prints it, consultation/mail.py).
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp / "mail"),
        }
    )
    env.update(settings)
    return env
