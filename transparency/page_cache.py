"""Pages of the auditors' list, kept under the version of the log they were read from.

A page's bytes change only when the log does, so a page is kept under a key that holds the
log's version (``selectors.request_log_version``) and everything else the answer depends on:
first in this process's memory, then in the shared cache, where the other processes find it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from django.core.cache import cache

# A page is found again only under the same version of the log, which changes with every write;
# the lifetime merely frees the shared cache's memory of versions gone by.
PAGE_CACHE_SECONDS = 300


class RecentAnswers:
    """The last answers this process gave, up to ``max_bytes`` in all, the least recently used dropped first.

    Only for answers whose key says exactly when they are right (a version of what they were
    read from): no other process need be told when one is stale, and none is found again once
    its version is gone. In front of the shared cache, it spares a repeated answer its round trip
    to Redis and the copying of its bytes (a page of the auditors' list is about 200 kB).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._answers: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._size = 0

    def get(self, key: str) -> bytes | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def set(self, key: str, answer: bytes) -> None:
        if len(answer) > self.max_bytes // 4:  # a few large answers would push out every other
            return
        with self._lock:
            previous = self._answers.pop(key, None)
            self._size += len(answer) - (len(previous) if previous is not None else 0)
            self._answers[key] = answer
            while self._size > self.max_bytes:
                _key, dropped = self._answers.popitem(last=False)
                self._size -= len(dropped)


RECENT_PAGES = RecentAnswers(max_bytes=16 * 1024 * 1024)


def cached_page(key: str, render: Callable[[], bytes]) -> bytes:
    """The page kept under ``key``, or ``render()``'s, then kept."""
    page = RECENT_PAGES.get(key)
    if page is None:
        page = cache.get(key)
        if page is None:
            page = render()
            cache.set(key, page, PAGE_CACHE_SECONDS)
        RECENT_PAGES.set(key, page)
    return page
