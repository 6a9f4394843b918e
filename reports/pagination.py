"""Page counts that do not count a million rows on every page view.

A list's total is exact, but counted once per change of the record rather than once per
view: the count is cached under the exercise's record stamp (audit.transparency.record_stamp,
the newest ids of events, requests, items and decisions). Every change to a request writes an
audit event in its transaction, so a new stamp means the count may have changed, and an
unchanged stamp means it has not.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Bounds how stale a count can be if two transactions commit out of id order.
COUNT_CACHE_SECONDS = 60


def counted(queryset: QuerySet, *, exercise) -> int:
    """``queryset.count()``, computed once per change of the exercise's record."""
    from audit.transparency import record_stamp

    sql, params = queryset.query.sql_with_params()
    digest = hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
    key = f"crs.count:{record_stamp(exercise)}:{digest}"
    value = cache.get(key)
    if value is None:
        value = queryset.count()
        cache.set(key, value, COUNT_CACHE_SECONDS)
    return value


class StampedCountPaginator(Paginator):
    """A Paginator over one exercise's requests whose total comes from ``counted``."""

    def __init__(self, object_list, per_page, *args, exercise, **kwargs) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        self.exercise = exercise

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        return counted(self.object_list, exercise=self.exercise)
