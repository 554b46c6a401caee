"""Test settings: the project's settings with only what tests need changed."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")
# Tests run as production would, whatever a developer's .env says.
os.environ.setdefault("DEBUG", "0")

from consultation.settings import *  # noqa: E402,F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    # The manifest storage needs collectstatic first; tests render {% static %} against plain storage.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SITE_URL = "http://testserver"
# Serve static files from the finders; tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Tests run in one process: a memory cache, emptied before each test (conftest.py), whatever REDIS_URL says, so
# rate-limit counters never leak between tests and a developer's Redis is never flushed. tests/test_limits.py
# proves the counters in a real Redis separately.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Most tests sign organisers in with force_login or a password only; tests/test_accounts.py switches the
# two-factor sign-in and the lockout back on (both are read on every request).
ADMIN_REQUIRE_2FA = False
AXES_ENABLED = False
# The test client and the live server speak plain HTTP; every other production control (secure __Host- cookies,
# HSTS, CSP) stays on. Chromium accepts Secure cookies from http://localhost.
SECURE_SSL_REDIRECT = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not the in-memory default: the live server's threads then share one database with real locking
    # (busy timeout) instead of shared-cache table locks that fail at once.
    # One file per test run (checkout and process), so suites running at once never share a database.
    import hashlib
    import tempfile
    from pathlib import Path

    checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:10]  # noqa: F405
    test_db = Path(tempfile.gettempdir()) / f"consultation-test-{checkout}-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(test_db)}  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # One test database per run, so two suites (a developer's and a fresh-check) never drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}  # noqa: F405
