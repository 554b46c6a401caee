"""The shared cache (settings.CACHES with REDIS_URL): Django's Redis backend, with one redis-py client per
connection pool instead of one per operation.

Django builds a new `redis.Redis` client for every cache operation (RedisCacheClient.get_client); building one cost
about 530 Python function calls, more than the operation itself, and every participant request makes one or more
(the session, the rate-limit counters, the meeting poll's answer). A client holds no connection of its own: it
takes one from its pool for each command and gives it back, so one client per pool serves every thread of a
process (redis-py's clients are thread-safe), and a forked process starts new connections (the pool checks its
process id). Nothing else changes: the same pools, servers, options and serializer.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClients(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: str | None = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            # Two threads may both build one at first; either serves.
            client = self._clients.setdefault(
                index, self._client(connection_pool=self._get_connection_pool(write))
            )
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClients
