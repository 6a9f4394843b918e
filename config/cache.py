"""The shared cache, which never takes the site down with it.

The cache holds counters that protect the site (API throttles, log-in lockout counts) and
figures worth reusing. When Redis cannot be reached, a request must still be answered: this
backend then keeps those counters in the process's own memory (the limits hold per process
instead of site-wide) and logs one warning per outage, and it tries Redis again a few seconds
later. Every operation Django's cache API offers goes through ``_either``.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
# After a failure, Redis is tried again this many seconds later (each try costs a connect timeout).
RETRY_AFTER_S = 5.0


class _ClientPerPool(RedisCacheClient):
    """Django's client, keeping one ``redis.Redis`` per connection pool instead of building one per operation.

    Building one fills its table of response callbacks (hundreds of dictionary writes): that was a
    tenth of a single filing's CPU, whose only cache operation is one ``add``, and more of a cached
    API call's. A ``redis.Redis`` is safe to share between threads: each command takes a connection
    from the pool, which itself starts afresh in a forked process.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def window_count(self, key, timeout: int) -> int:
        """Open a counter of ``timeout`` seconds if none is open, count one, and return the count: one round trip."""
        pipe = self.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, self._serializer.dumps(0), ex=timeout, nx=True)
        pipe.incr(key)
        return pipe.execute()[1]


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ClientPerPool
        self._fallback = LocMemCache(f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._down_until = 0.0
        self._lock = threading.Lock()

    def window_count(self, key, timeout: int) -> int | None:
        """A counter for rate limits (reports/throttling.py): opened with a lifetime, then counted, in one round trip.

        None while Redis is away: the caller then counts with ``add`` and ``incr``, which this cache
        answers from the process's memory, as it answers every other operation then.
        """
        if time.monotonic() < self._down_until:
            return None
        try:
            return self._cache.window_count(self.make_and_validate_key(key), timeout)
        except UNREACHABLE as exc:
            self._went_down(exc)
            return None

    def _either(self, name: str, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            return getattr(super(), name)(*args, **kwargs)
        except UNREACHABLE as exc:
            self._went_down(exc)
            return getattr(self._fallback, name)(*args, **kwargs)

    def _went_down(self, exc: Exception) -> None:
        with self._lock:
            if time.monotonic() >= self._down_until:
                logger.warning("the cache (Redis) is unreachable (%s): throttles and log-in lockouts count in "
                               "each process's memory until it returns", exc)
            self._down_until = time.monotonic() + RETRY_AFTER_S

    def add(self, *args, **kwargs):
        return self._either("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._either("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._either("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._either("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._either("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._either("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._either("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._either("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._either("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._either("delete_many", *args, **kwargs)

    def clear(self):
        return self._either("clear")
