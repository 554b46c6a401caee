"""Settings for Consultation Feedback, every deployment knob read from the environment (see .env.example)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def load_env_file(path: Path) -> None:
    """KEY=VALUE lines from a local .env (written by `make run` for development); the real environment wins."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            os.environ.setdefault(key.strip(), value.strip())


load_env_file(Path(os.environ.get("ENV_FILE", BASE_DIR / ".env")))


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")


def envbool(name: str, default: str) -> bool:
    """A yes/no setting. Anything else stops the start: a typo such as ADMIN_REQUIRE_2FA=ture must never
    quietly turn a security control off."""
    value = os.environ.get(name, default).strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={os.environ.get(name)!r} is not a yes/no value: use 1 or 0 (true/false, yes/no, on/off)."
    )


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "0")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105  # nosec B105  # DEBUG only

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# Absolute base of links that leave the site (invitation mails, seed_demo output).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Before the admin, as django-modeltranslation asks: it patches the admin's forms for per-language fields.
    "modeltranslation",
    # django.contrib.admin with consultation.admin.OrganiserAdminSite as admin.site (two-factor sign-in).
    "consultation.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "feedback",
    # Widget templates are looked up like every other template (FORM_RENDERER below), so Django's own ones must be
    # found too.
    "django.forms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "consultation.middleware.permissions_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Before anything reads a request's body (CSRF's check does): no NUL characters in parameters or fields.
    "consultation.middleware.refuse_nul_characters",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before the first read of the session: a database outage answers 503, not 500.
    "consultation.middleware.database_unavailable",
    "consultation.middleware.organiser_session",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "consultation.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "feedback.i18n.native_language_names",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "consultation.wsgi.application"

# DATABASE_URL selects the database; unset means the embedded SQLite file, so a fresh clone needs no services.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (autosave beside a form post) wait for each other instead of failing at once:
    # IMMEDIATE takes the write lock at the start of a transaction, WAL lets readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Organiser accounts (docs/SECURITY.md). axes first: it refuses a locked-out sign-in before a password is tried.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Two-factor sign-in (a TOTP code) for the admin; off by default with DEBUG=1 so `make run`'s printed login works.
ADMIN_REQUIRE_2FA = envbool("ADMIN_REQUIRE_2FA", "0" if DEBUG else "1")
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Consultation Feedback")
# Lockout after 5 failed sign-ins from one address for one username, for 15 minutes (`manage.py axes_reset`
# lifts it early). Keyed on both, so an attacker elsewhere cannot lock an organiser out of their own office.
AXES_ENABLED = envbool("AXES_ENABLED", "1")
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "consultation.admin.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
# No banner on every manage.py run (it would land in seed_demo and export output pipelines).
AXES_VERBOSE = False
# The lockout counts per client address as the rate limits see it: behind TRUSTED_PROXY_COUNT proxies, the
# address they forwarded, not the proxy's own (which would lock an organiser out for everyone's mistakes), and a
# whole IPv6 /64 as one client (anyone holding one could take a fresh address for every guess).
AXES_CLIENT_IP_CALLABLE = "feedback.limits.client_group"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# INTERPOL's four official languages. Pages follow the participant's choice (Participant.language, the
# language switcher's cookie), else the browser's Accept-Language, else English. Names are each language's own.
# Forms render their widgets through TEMPLATES, so templates/ may override a widget's template (the admin's split
# date and time widget labels its two inputs: templates/admin/widgets/split_datetime.html).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Consultation content per language (feedback/translation.py); a missing translation shows the English text.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = "UTC"
USE_TZ = True
FORMAT_MODULE_PATH = ["consultation.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded resource files. Never served from a public URL: participants download them through a checked view.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Mail: SMTP when EMAIL_HOST is set; otherwise printed to the console in development, and refused in production
# (consultation/mail.py: invitation links must never reach the server's log). EMAIL_BACKEND overrides both.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else ("django.core.mail.backends.console.EmailBackend" if DEBUG else "consultation.mail.NoMailServer"),
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "mail"))
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "1")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "consultation@localhost")

# Headers, cookies and CSP (docs/SECURITY.md). Production (DEBUG=0) is secure by default; the HTTPS-only
# controls default to off with DEBUG=1 so that `make run` keeps working on http://127.0.0.1:8000.
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: a participant following a link from a mail to their consultation stays signed in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Participants come back through their link anyway; organisers get shorter sessions (consultation.middleware).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(14 * 24 * 3600)))
ORGANISER_SESSION_IDLE = int(os.environ.get("ORGANISER_SESSION_IDLE", str(2 * 3600)))
ORGANISER_SESSION_MAX_AGE = int(os.environ.get("ORGANISER_SESSION_MAX_AGE", str(8 * 3600)))
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "0" if DEBUG else "1")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Scripts read the CSRF token from the form, never from the cookie.
CSRF_COOKIE_HTTPONLY = True
if SESSION_COOKIE_SECURE:
    # __Host- cookies are only accepted when Secure, for this exact host and path /: no subdomain can set them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "0" if DEBUG else "1")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
# Only a registrable domain can be submitted to the browsers' preload list; on a host like
# consult.example.org the token is harmless, and check --deploy warns without it.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
# Every page, the admin included: our own files only, nothing inline, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if envbool("SECURE_PROXY_SSL_HEADER", "0"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Keeps a form full of long answers well inside one request while refusing absurd bodies.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2 * 1024 * 1024)))
# Far above the largest real form (a page of guiding questions, an admin bulk action on one page of a list).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Files only where a page expects them (the admin's uploads, views marked @accepts_files), refused before stored.
FILE_UPLOAD_HANDLERS = [
    "consultation.middleware.RefuseUnexpectedFiles",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# The cache holds the rate-limit counters. With several processes (gunicorn workers, more than one machine) they
# must share one count: REDIS_URL (e.g. redis://127.0.0.1:6379/0). Unset means a per-process memory cache, right
# only where a single process serves (`make run`, tests).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis backend, one client per connection pool (consultation/cache.py).
            "BACKEND": "consultation.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "consultation"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions: with Redis, read from it (no query on every participant request) and written through to the
# database, which stays their record: a Redis restart or flush only costs one query per session to warm again,
# and while Redis is away sessions are read from the database. Without Redis, the database alone.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
)

# Rate limits (feedback/limits.py, fixed-window counters in the cache above), per scope: requests allowed
# from one client address, and from one participant (autosave, submit) or one signed-in user (export).
RATE_LIMITS = {
    # Invitation links, GET and POST: no participant is known yet, so per address only (token guessing).
    "invite": {"ip": os.environ.get("RATE_LIMIT_INVITE", "20/m")},
    # Typing saves every answer a second after a pause: generous per participant, more so per address (one
    # office may send several participants through the same address).
    "autosave": {
        "ip": os.environ.get("RATE_LIMIT_AUTOSAVE_IP", "600/m"),
        "participant": os.environ.get("RATE_LIMIT_AUTOSAVE", "120/m"),
    },
    "submit": {
        "ip": os.environ.get("RATE_LIMIT_SUBMIT_IP", "60/m"),
        "participant": os.environ.get("RATE_LIMIT_SUBMIT", "10/m"),
    },
    # Downloads of participant data: the admin export page and actions, the analysis CSVs.
    "export": {"ip": "60/h", "user": os.environ.get("RATE_LIMIT_EXPORT", "20/h")},
}
RATE_LIMIT_CACHE = "default"
# Which address a request comes from. Behind a reverse proxy every request has the proxy's REMOTE_ADDR; set
# TRUSTED_PROXY_COUNT to the number of proxies in front (that append to X-Forwarded-For) so the client's address
# is read from that header. Left at 0 the header is ignored: anyone can write it.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# X-Forwarded-For is believed only from these peers (the same variable gunicorn reads for X-Forwarded-Proto).
FORWARDED_ALLOW_IPS = envlist("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Messages ("Your comment was saved") live in the session, which has the __Host- cookie, not in a cookie of
# their own.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGIN_URL = "admin:login"

# Invitation tokens never reach a log: Django logs the path of every 4xx answer (an expired link's 404, a 429),
# so the loggers that write paths, and the handler, replace /i/<token>/ with /i/[token] (feedback/logs.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_invite_tokens": {"()": "consultation.logs.RedactInviteTokens"},
        "without_traceback": {"()": "consultation.logs.WithoutTraceback"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_invite_tokens"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # The development server logs request lines that would carry invite tokens; keep only errors.
        "django.server": {"level": "WARNING", "filters": ["redact_invite_tokens"]},
        "django.request": {"filters": ["redact_invite_tokens"]},
        "django.security.csrf": {"filters": ["redact_invite_tokens"]},
        # A bad Host header is a one-line warning, not a 14-line traceback per request.
        "django.security.DisallowedHost": {"filters": ["without_traceback", "redact_invite_tokens"]},
    },
}
