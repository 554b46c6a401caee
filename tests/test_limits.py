"""Rate limits on invitation links, autosave, submit and exports: 429 with a page that says what to do, counters
per address and per participant or user, kept in the configured cache (a real Redis in one test)."""

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import caches
from django.test import Client, override_settings

from feedback import limits
from feedback.models import Answer
from tests.conftest import answer

LOW = {
    "invite": {"ip": "3/m"},
    "autosave": {"ip": "100/m", "participant": "2/m"},
    "submit": {"ip": "100/m", "participant": "2/m"},
    "export": {"ip": "100/h", "user": "2/h"},
}


def says_what_to_do(response) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Too many requests" in page
    assert "Please wait a minute, then go back and try again." in page


@override_settings(RATE_LIMITS=LOW)
def test_guessing_invitation_links_is_refused_after_the_limit(client, alice):
    for attempt in range(3):
        assert client.get(f"/i/guess-{attempt}/").status_code == 404

    # Even the right token is refused now: the counter is per address, not per token.
    says_what_to_do(client.get(f"/i/{alice.token}/"))
    says_what_to_do(client.post(f"/i/{alice.token}/"))
    assert "feedback_participants" not in client.session


@override_settings(RATE_LIMITS=LOW)
def test_another_address_may_still_confirm_its_invitation(client, alice):
    for _attempt in range(4):
        client.get("/i/guess/")

    assert Client(REMOTE_ADDR="192.0.2.7").post(f"/i/{alice.token}/").status_code == 302


@override_settings(RATE_LIMITS=LOW)
def test_autosave_over_the_limit_answers_429_in_json_and_saves_nothing(alice_client, alice, questions):
    url = "/c/tech-providers/autosave/"
    for text in ("one", "two"):
        assert alice_client.post(url, {"field": "q1", "q1": text}).status_code == 200

    response = alice_client.post(url, {"field": "q1", "q1": "three"})

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "error": "Too many requests in a short time. Please wait a minute and try again."
    }
    assert Answer.objects.get().text == "two"


@override_settings(RATE_LIMITS=LOW)
def test_the_autosave_limit_is_per_participant(alice_client, alice, bob, questions):
    url = "/c/tech-providers/autosave/"
    for _attempt in range(3):
        alice_client.post(url, {"field": "q1", "q1": "alice"})
    bob_client = Client()
    bob_client.post(f"/i/{bob.token}/")

    # Same address (an office behind one gateway), another participant: not limited.
    assert bob_client.post(url, {"field": "q1", "q1": "bob"}).status_code == 200


def test_the_autosave_script_retries_a_429_later_instead_of_dropping_it():
    script = (settings.BASE_DIR / "static/js/autosave.js").read_text()

    # 429 is not among the statuses that stop retrying; the retry waits at least what Retry-After asks.
    assert "[400, 403, 404, 409].includes(response.status)" in script
    assert 'response.headers.get("Retry-After")' in script


@override_settings(RATE_LIMITS=LOW)
def test_submitting_over_the_limit_shows_the_429_page(alice_client, alice, questions):
    answer(alice, questions[0], "Enough to submit")
    for _attempt in range(2):
        assert alice_client.post("/c/tech-providers/submit/").status_code == 302

    says_what_to_do(alice_client.post("/c/tech-providers/submit/"))


@override_settings(RATE_LIMITS=LOW)
def test_analysis_csv_downloads_are_limited_per_user(olga_client, consultation, questions):
    url = "/analysis/tech-providers/insights.csv"
    for _attempt in range(2):
        assert olga_client.get(url).status_code == 200

    says_what_to_do(olga_client.get(url))


@override_settings(RATE_LIMITS=LOW)
def test_admin_export_actions_share_the_export_limit(olga_client, consultation, questions):
    olga_client.get("/analysis/tech-providers/insights.csv")
    olga_client.get("/analysis/tech-providers/insights.csv")

    response = olga_client.post(
        "/admin/feedback/consultation/",
        {"action": "export_answers_csv", "index": 0, ACTION_CHECKBOX_NAME: [consultation.pk]},
    )

    says_what_to_do(response)


@override_settings(RATE_LIMITS=LOW)
def test_the_admin_export_page_download_is_limited(olga_client, consultation, questions):
    url = f"/admin/feedback/consultation/{consultation.pk}/export/"
    choice = {"shape": "long", "format": "csv", "profile": "pseudonymised", "download": "1"}
    for _attempt in range(2):
        olga_client.get("/analysis/tech-providers/insights.csv")

    says_what_to_do(olga_client.post(url, choice))


@override_settings(RATE_LIMITS=LOW, TRUSTED_PROXY_COUNT=0)
def test_a_forged_forwarded_for_header_does_not_escape_the_limit(client, alice):
    for attempt in range(3):
        client.get("/i/guess/", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")

    says_what_to_do(client.get(f"/i/{alice.token}/", HTTP_X_FORWARDED_FOR="198.51.100.99"))


@override_settings(RATE_LIMITS=LOW, TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_client_address_comes_from_forwarded_for(client, alice):
    for _attempt in range(3):
        client.get("/i/guess/", HTTP_X_FORWARDED_FOR="forged, 198.51.100.1")
    says_what_to_do(client.get("/i/guess/", HTTP_X_FORWARDED_FOR="198.51.100.1"))

    # The proxy's own address is the same for everyone; another client behind it is counted apart.
    assert client.get(f"/i/{alice.token}/", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


@pytest.fixture
def redis_cache():
    """The project's Redis cache backend on database 15 with a prefix of its own; removes only its keys."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix = f"test-limits-{uuid.uuid4().hex}"
    config = {
        "default": {
            "BACKEND": "consultation.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    server = redis.Redis.from_url(url)
    with override_settings(CACHES=config):
        yield server, prefix
    for key in server.scan_iter(match=f"{prefix}:*"):
        server.delete(key)


@override_settings(RATE_LIMITS=LOW)
def test_counters_live_in_redis_so_every_process_shares_them(client, alice, redis_cache):
    server, prefix = redis_cache
    assert caches["default"].__class__.__name__ == "RedisCache"

    for _attempt in range(3):
        assert client.get(f"/i/{alice.token}/").status_code == 200
    says_what_to_do(client.get(f"/i/{alice.token}/"))

    keys = list(server.scan_iter(match=f"{prefix}:*"))
    assert len(keys) == 1
    assert int(server.get(keys[0])) == 4
    # A fresh connection, as another gunicorn worker would open, sees the same count and refuses too.
    caches["default"].close()
    says_what_to_do(Client().get(f"/i/{alice.token}/"))


@override_settings(RATE_LIMITS=LOW)
def test_autosave_counts_the_participant_and_the_address_in_redis(
    alice_client, alice, questions, redis_cache
):
    server, prefix = redis_cache
    url = "/c/tech-providers/autosave/"
    assert [alice_client.post(url, {"field": "q1", "q1": t}).status_code for t in "abc"] == [200, 200, 429]

    # One counter per limit (per participant 2/m, per address 100/m), each counted once per request.
    counters = [server.get(key) for key in server.scan_iter(match=f"{prefix}:*:rl:*")]
    assert sorted(int(count) for count in counters) == [3, 3]
    assert all(0 < server.ttl(key) <= 65 for key in server.scan_iter(match=f"{prefix}:*:rl:*"))


@override_settings(RATE_LIMITS=LOW)
def test_a_limited_participant_may_autosave_again_in_the_next_window(
    alice_client, alice, questions, monkeypatch
):
    clock = [1_700_000_000.0]
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=lambda: clock[0]))
    url = "/c/tech-providers/autosave/"
    for text in ("one", "two"):
        assert alice_client.post(url, {"field": "q1", "q1": text}).status_code == 200
    assert alice_client.post(url, {"field": "q1", "q1": "three"}).status_code == 429

    clock[0] += 60
    assert alice_client.post(url, {"field": "q1", "q1": "four"}).status_code == 200
    assert Answer.objects.get().text == "four"


@pytest.mark.parametrize(
    ("rate", "parsed"), [("20/m", (20, 60)), ("2/h", (2, 3600)), ("5/10m", (5, 600)), ("7/s", (7, 1))]
)
def test_rates_are_read_as_requests_per_window(rate, parsed):
    assert limits.parse_rate(rate) == parsed


def test_a_malformed_rate_is_refused():
    with pytest.raises(ValueError, match="not a rate"):
        limits.parse_rate("20 per minute")


@override_settings(RATE_LIMITS=LOW, TRUSTED_PROXY_COUNT=0)
def test_ipv6_clients_are_counted_per_64_network_not_per_address(client, alice):
    # Anyone with IPv6 holds a /64: a fresh address per request must not mean a fresh counter.
    for host in range(3):
        client.get("/i/guess/", REMOTE_ADDR=f"2001:db8:1:2::{host + 1:x}")

    says_what_to_do(client.get(f"/i/{alice.token}/", REMOTE_ADDR="2001:db8:1:2:ffff::9"))
    assert client.get(f"/i/{alice.token}/", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


@pytest.mark.parametrize(
    "address, group",
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("not an address", "not an address"),
    ],
)
def test_addresses_are_grouped_for_counting(address, group):
    assert limits.address_group(address) == group


@override_settings(RATE_LIMITS=LOW)
def test_when_redis_cannot_count_the_limited_requests_are_refused_not_let_through(
    alice_client, alice, questions
):
    # Nothing listens on port 9 of loopback: every count fails, and a count that cannot be read is over the limit.
    unreachable = {
        "default": {
            "BACKEND": "consultation.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    with override_settings(CACHES=unreachable):
        response = alice_client.post(
            "/c/tech-providers/autosave/", {"field": "q1", "q1": "kept in the browser"}
        )

    assert response.status_code == 429
    assert not Answer.objects.exists()


def test_the_redis_cache_builds_one_client_per_connection_pool_and_shares_it_between_threads(redis_cache):
    """consultation/cache.py: Django's backend built a redis-py client for every operation."""
    cache = caches["default"]
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    assert cache._cache.get_client(write=True) is client

    def round_trip(number: int) -> int:
        cache.set(f"thread-{number}", {"number": number}, 60)
        return cache.get(f"thread-{number}")["number"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(round_trip, range(40))) == list(range(40))
    assert cache.get_many(["thread-3", "thread-39"]) == {
        "thread-3": {"number": 3},
        "thread-39": {"number": 39},
    }
