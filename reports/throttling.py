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


class CountingThrottleMixin:
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        key = f"{self.key}:count"
        if hasattr(self.cache, "window_count"):  # the shared cache (config/cache.py): one round trip to Redis
            return self.cache.window_count(key, self.duration) <= self.num_requests
        self.cache.add(key, 0, timeout=self.duration)
        try:
            count = self.cache.incr(key)
        except ValueError:
            # The window ended between the two calls: this request opens the next one.
            self.cache.add(key, 1, timeout=self.duration)
            count = 1
        return count <= self.num_requests

    def wait(self) -> float:
        # The window's start is not kept: its whole length is the longest a refused caller waits.
        return float(self.duration)


class CountingUserRateThrottle(CountingThrottleMixin, UserRateThrottle):
    """Per account (token or session), the CRS_API_RATE_USER limit."""


class CountingAnonRateThrottle(CountingThrottleMixin, AnonRateThrottle):
    """Per address for callers without an account, the CRS_API_RATE_ANON limit."""
