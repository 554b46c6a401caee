"""Rate limits on the requests worth guessing or hammering (invitation links, autosave, submit, exports), counted
by django-ratelimit in the shared cache (settings.RATE_LIMITS, settings.CACHES) and answered with a 429 page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

# The session key under which views.py keeps the participants this browser is bound to, per consultation slug.
PARTICIPANT_SESSION_KEY = "feedback_participants"


def client_ip(request: HttpRequest) -> str:
    """The client's address (settings.RATELIMIT_IP_META_KEY). X-Forwarded-For only counts when
    settings.TRUSTED_PROXY_COUNT proxies are in front: each appends the address it saw, so the client is the
    entry that many places from the right; anything further left was written by the client and is ignored."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104  # nosec B104  # an address to count, not to bind


def bound_participant_id(request: HttpRequest, slug: str | None) -> int | None:
    if slug is None or not hasattr(request, "session"):
        return None
    return request.session.get(PARTICIPANT_SESSION_KEY, {}).get(slug)


def is_limited(request: HttpRequest, scope: str, *, slug: str | None = None) -> bool:
    """Count this request against `scope` (per address, and per bound participant or signed-in user) and say
    whether any of its limits is now exceeded. Every counter goes up, so a blocked client stays blocked."""
    rates = settings.RATE_LIMITS[scope]
    keys: dict[str, str | None] = {"ip": None}
    participant_id = bound_participant_id(request, slug)
    if "participant" in rates and participant_id is not None:
        keys["participant"] = f"participant:{participant_id}"
    user = getattr(request, "user", None)
    if "user" in rates and user is not None and user.is_authenticated:
        keys["user"] = f"user:{user.pk}"
    limited = False
    for kind, value in keys.items():
        usage = get_usage(
            request,
            group=f"feedback.{scope}.{kind}",
            key="ip" if value is None else (lambda group, request, value=value: value),
            rate=rates[kind],
            increment=True,
        )
        limited = limited or bool(usage and usage["should_limit"])
    return limited


def too_many_requests(request: HttpRequest, *, as_json: bool = False) -> HttpResponse:
    message = _("Too many requests in a short time. Please wait a minute and try again.")
    if as_json:
        response: HttpResponse = JsonResponse({"error": message}, status=429)
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = "60"
    return response


def rate_limited(scope: str, *, as_json: bool = False) -> Callable:
    """View decorator: count the request against `scope` first and answer 429 once a limit is exceeded."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if is_limited(request, scope, slug=kwargs.get("slug")):
                return too_many_requests(request, as_json=as_json)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
