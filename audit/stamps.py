"""Record stamps: what changes whenever the record does, so that counts and figures are computed once per change.

``record_stamp`` is the newest ids of events, requests and items. Every change to a request
writes an audit event in its transaction (drafts aside, whose rows change the other two ids),
so a new stamp means a count or a figure may have changed, and an unchanged stamp means it has
not. A list's total (the review admin's, the auditors') is exact, but counted once per change
of the record rather than once per page view.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet, Subquery
from django.utils.functional import cached_property

from audit.models import AuditEvent
from reports.models import Exercise, RequestItem, TakedownRequest

# Bounds how stale a count can be if two transactions commit out of id order.
COUNT_CACHE_SECONDS = 60


def _newest(model) -> Subquery:
    return Subquery(model.objects.order_by("-id").values("id")[:1])


def record_stamp(exercise: Exercise) -> str:
    """What changes whenever the figures may: the newest ids of events, requests and items.

    One query of three primary-key look-ups (a decision always writes its event, so its id adds
    nothing). The exercise's creation time is part of it, so that two exercises (or two test
    databases) reusing ids never share a stamp.
    """
    newest = (Exercise.objects.filter(pk=exercise.pk)
              .annotate(event=_newest(AuditEvent), request=_newest(TakedownRequest), item=_newest(RequestItem))
              .values_list("event", "request", "item").get())
    return f"{exercise.pk}.{exercise.created_at.timestamp()}." + ".".join(str(value) for value in newest)


def counted(queryset: QuerySet, *, exercise) -> int:
    """``queryset.count()``, computed once per change of the exercise's record."""
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
