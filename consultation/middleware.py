"""Request middleware for security controls that Django and django-csp do not cover on their own, and for
the answer given while the database cannot be reached."""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadhandler import FileUploadHandler
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


SIGNED_IN_AT = "organiser_signed_in_at"


SEEN_AT = "organiser_seen_at"


# How stale the recorded last activity may get: saving the session on every request would add writes to
# every admin page for no gain.
SEEN_AT_PRECISION = 300


def permissions_policy(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Tell browsers that no page of ours may use the camera, microphone, location and the like, and keep no
    copy of a page: every one shows confidential input, and on a shared computer the back button after "Leave on
    this browser" must not bring it back. Static files keep the long caching whitenoise gives them."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response

    return middleware


# What a database that cannot be reached (a restart, a fail-over, a full connection table) raises.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def database_unavailable(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """While the database cannot be reached, answer 503 with a page (or JSON for autosave) saying that the
    participant's text is kept in the browser, instead of a 500 "something went wrong"."""

    def middleware(request: HttpRequest) -> HttpResponse:
        try:
            # The first query of most requests: the session and the signed-in user, which the middleware
            # below reads. An error raised below this middleware would reach it already turned into a 500, so
            # they are read here; views raising the error are handled by process_exception.
            request.user.is_authenticated  # noqa: B018
        except DATABASE_UNAVAILABLE as error:
            if database_reachable():
                raise
            return service_unavailable(request, error)
        return get_response(request)

    def process_exception(request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE) and not database_reachable():
            return service_unavailable(request, exception)
        return None

    middleware.process_exception = process_exception
    return middleware


def database_reachable() -> bool:
    """Whether the database answers now. Tells an outage (503, the text is safe in the browser) from an error
    of ours that happens to be an OperationalError too (a deadlock, a timeout, a column missing after a deploy
    without migrate), which must stay a 500 that reaches the error log with its traceback."""
    try:
        if connection.connection is None:
            connection.ensure_connection()
        return connection.is_usable()
    except DatabaseError:
        return False


def service_unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.error("database unavailable, answering 503", exc_info=error)
    message = _(
        "The service is briefly unavailable; your text is kept in this browser, try again in a minute."
    )
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json" or (
        request.headers.get("X-Requested-With") == "XMLHttpRequest"
    ):
        response = JsonResponse({"error": str(message)}, status=503)
    else:
        # A page of its own, not base.html: that one reads the session (messages, the participant's menu),
        # which is in the database that is missing.
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    add_never_cache_headers(response)
    return response


def organiser_session(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Organisers (staff) hold identified data of every participant: their sessions end after
    ORGANISER_SESSION_IDLE seconds without a request and ORGANISER_SESSION_MAX_AGE seconds after sign-in,
    whatever SESSION_COOKIE_AGE gives participants."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            expire_organiser_session(request)
        return get_response(request)

    return middleware


def expire_organiser_session(request: HttpRequest) -> None:
    now = time.time()
    session = request.session
    last_login = request.user.last_login
    # Sign-in time: Django records last_login at every login; the session keeps its own copy from its first
    # refresh on, so a later login elsewhere does not extend this one.
    signed_in_at = session.get(SIGNED_IN_AT, last_login.timestamp() if last_login else now)
    seen_at = session.get(SEEN_AT, signed_in_at)
    if (
        now - signed_in_at > settings.ORGANISER_SESSION_MAX_AGE
        or now - seen_at > settings.ORGANISER_SESSION_IDLE
    ):
        # Flushes the session and its cookie; the admin then asks for the login again.
        logout(request)
    elif now - seen_at > SEEN_AT_PRECISION:
        session[SIGNED_IN_AT] = signed_in_at
        session[SEEN_AT] = now
        # The cookie and the stored session lapse too, at whichever limit comes first.
        remaining = settings.ORGANISER_SESSION_MAX_AGE - (now - signed_in_at)
        session.set_expiry(int(min(settings.ORGANISER_SESSION_IDLE, remaining)))


def expects_files(request: HttpRequest) -> bool:
    """Whether this request may carry files: a signed-in organiser in the admin (resource files, imports), or
    a view marked with feedback.limits.accepts_files."""
    if request.path_info.startswith("/admin/") and not request.path_info.startswith("/admin/login/"):
        return request.user.is_authenticated and request.user.is_staff
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, "accepts_files", False)


def has_nul(values: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values)


class UnexpectedFile(SuspiciousOperation):
    """A file part sent to a page that takes no files (Django answers a SuspiciousOperation with 400)."""


class RefuseUnexpectedFiles(FileUploadHandler):
    """The first upload handler (settings.FILE_UPLOAD_HANDLERS): a file part where no file is expected stops
    the request before any handler stores a byte of it, so a stranger cannot make the server write 50 MB to
    disk on /language. Runs when the body is first read, after AuthenticationMiddleware: the admin's uploads
    depend on who is signed in."""

    def new_file(self, *args: object, **kwargs: object) -> None:
        if not expects_files(self.request):
            raise UnexpectedFile("A file was sent to a page that takes no files.")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def refuse_nul_characters(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Answer 400, with a message, to a NUL character in a URL parameter: PostgreSQL cannot compare or store
    one, so a filter or search with it would fail with a 500. (Form fields refuse NUL on their own, with a
    message beside the field and the rest of the form kept.)"""

    def middleware(request: HttpRequest) -> HttpResponse:
        if has_nul(request.GET):
            reason = _(
                "The request held a character that cannot be stored (NUL). Nothing from this request was saved."
            )
            if request.path_info.endswith("/autosave/"):
                return JsonResponse({"error": reason}, status=400)
            return HttpResponse(render_to_string("400.html", {"reason": reason}, request=request), status=400)
        return get_response(request)

    return middleware
