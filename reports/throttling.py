"""The API's rate limits, counted with one cache counter per caller instead of a list of timestamps.

DRF's throttles keep every request's timestamp of the last window in the cache and read,
trim and write the whole list back on each request: at 1,200 a minute that is a pickled list
of up to 1,200 floats, twice per request, and the work grows with the limit. These count
instead: the first request of a caller opens a window of the rate's duration (the counter is
added with that lifetime) and each request increments it atomically, so concurrent workers
never lose a count. The limit is the same for every account, as before; a burst may straddle
two windows, so a caller can at worst make twice the limit within one duration.
"""

from __future__ import annotations

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


def window_count(cache, key: str, timeout: int) -> int:
    """Count one call in the window ``key`` (opened with a lifetime of ``timeout`` seconds); the count so far."""
    # The shared cache (config/cache.py) counts in one round trip to Redis; it answers None while Redis is away.
    count = cache.window_count(key, timeout) if hasattr(cache, "window_count") else None
    if count is not None:
        return count
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # The window ended between the two calls: this call opens the next one.
        cache.add(key, 1, timeout=timeout)
        return 1


class CountingThrottleMixin:
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        return window_count(self.cache, f"{self.key}:count", self.duration) <= self.num_requests

    def wait(self) -> float:
        # The window's start is not kept: its whole length is the longest a refused caller waits.
        return float(self.duration)


class CountingUserRateThrottle(CountingThrottleMixin, UserRateThrottle):
    """Per account (token or session), the CRS_API_RATE_USER limit."""


class CountingAnonRateThrottle(CountingThrottleMixin, AnonRateThrottle):
    """Per address for callers without an account, the CRS_API_RATE_ANON limit."""
