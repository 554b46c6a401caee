"""Rate limits on the requests worth guessing or hammering (invitation links, autosave, submit, exports), counted
in fixed windows in the shared cache (settings.RATE_LIMITS, settings.CACHES) and answered with a 429 page."""

import hashlib
import ipaddress
import logging
import re
import time
import zlib
from collections.abc import Callable
from functools import wraps
from typing import Any

import redis
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from feedback.session import bound_participant_id

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address, as the rate limits count it. X-Forwarded-For only counts when
    settings.TRUSTED_PROXY_COUNT proxies are in front: each appends the address it saw, so the client is the
    entry that many places from the right; anything further left was written by the client and is ignored."""
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    # Only a request that came through one of the named proxies carries an X-Forwarded-For worth believing: a
    # client that reaches the server directly would otherwise pick its own address, and escape every limit.
    if proxies > 0 and is_trusted_proxy(remote):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104  # nosec B104  # an address to count, not to bind


RATE = re.compile(r"([0-9]+)/([0-9]*)([smhd])")
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A counter outlives its window by this much, so a request at the window's very end still finds it.
EXPIRY_MARGIN = 5


def parse_rate(rate: str) -> tuple[int, int]:
    """'20/m' -> (20, 60): requests allowed and the window in seconds ('5/10m' is 5 per 10 minutes)."""
    match = RATE.fullmatch(rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * PERIODS[unit]


def counter_key(scope: str, kind: str, value: str, limit: int, period: int, now: float) -> str:
    """The cache key of the window `now` falls in. Windows are fixed, but each value's start at its own offset
    (from a hash of the value), so the clients' counters do not all reset at the same second."""
    start = int(now) - (int(now) - zlib.crc32(value.encode()) % period) % period
    # Hashed: the value may be an address from X-Forwarded-For, which a cache key must not carry as it is.
    digest = hashlib.sha256(f"{scope}|{kind}|{value}|{limit}/{period}|{start}".encode()).hexdigest()
    return f"rl:{digest}"


def is_trusted_proxy(address: str) -> bool:
    """Whether `address` is one of settings.FORWARDED_ALLOW_IPS (the proxies gunicorn believes too; "*" is any)."""
    allowed = settings.FORWARDED_ALLOW_IPS
    return "*" in allowed or address in allowed


def client_group(request: HttpRequest) -> str:
    """The client as django-axes' lockout counts it: by the rate limits' address rule (an IPv6 /64 is one client).
    axes keeps it in an IP address column, so a /64 is named by its first address."""
    return address_group(client_ip(request)).split("/", 1)[0]


def address_group(address: str) -> str:
    """What one client's address counter is keyed on: the address itself for IPv4, its /64 network for IPv6,
    since anyone with an IPv6 connection holds a whole /64 and could take a fresh address for every request."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def count_requests(cache: BaseCache, counters: list[tuple[str, int]]) -> list[int | None]:
    """Add one to each (key, seconds to live) counter, starting it at 1 where it is missing; the new counts
    (None where the cache could not say)."""
    if isinstance(cache, RedisCache):
        # One round trip for every counter (django's add then incr would be three each: SET NX, EXISTS, INCR).
        # SET NX then INCR in one pipeline: a counter that expires between the two only starts again at 1.
        # Writes go to the cache's first server, as django's own add and incr do.
        pipeline = cache._cache.get_client(write=True).pipeline(transaction=False)
        for key, timeout in counters:
            key = cache.make_and_validate_key(key)
            pipeline.set(key, 0, ex=timeout, nx=True)
            pipeline.incr(key)
        try:
            return pipeline.execute()[1::2]
        except redis.RedisError:
            # Closed, not open: a count that cannot be read counts as over the limit (is_limited).
            logger.error("rate-limit counters unavailable", exc_info=True)
            return [None] * len(counters)
    counts: list[int | None] = []
    for key, timeout in counters:
        if cache.add(key, 1, timeout):
            counts.append(1)
            continue
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired since the add
            counts.append(1 if cache.add(key, 1, timeout) else None)
    return counts


def is_limited(request: HttpRequest, scope: str, *, slug: str | None = None) -> bool:
    """Count this request against `scope` (per address, and per bound participant or signed-in user) and say
    whether any of its limits is now exceeded. Every counter goes up, so a blocked client stays blocked; a
    counter the cache cannot give counts as exceeded (closed, not open, when the cache fails)."""
    rates = settings.RATE_LIMITS[scope]
    values = {"ip": address_group(client_ip(request))}
    participant_id = bound_participant_id(request, slug)
    if "participant" in rates and participant_id is not None:
        values["participant"] = f"participant:{participant_id}"
    user = getattr(request, "user", None)
    if "user" in rates and user is not None and user.is_authenticated:
        values["user"] = f"user:{user.pk}"
    now = time.time()
    counters, limits = [], []
    for kind, value in values.items():
        limit, period = parse_rate(rates[kind])
        counters.append((counter_key(scope, kind, value, limit, period, now), period + EXPIRY_MARGIN))
        limits.append(limit)
    counts = count_requests(caches[settings.RATE_LIMIT_CACHE], counters)
    return any(count is None or count > limit for count, limit in zip(counts, limits, strict=True))


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


def accepts_files(view: Callable) -> Callable:
    """Mark a view that takes file uploads: every other page of the site refuses a request carrying files
    before a byte of them is stored (consultation.middleware.RefuseUnexpectedFiles)."""
    view.accepts_files = True
    return view
