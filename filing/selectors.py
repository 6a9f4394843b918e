"""Reads for requesters: their agency's requests in their exercise, and the catalogs they cite from."""

from __future__ import annotations

from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch, QuerySet

from reports import statements
from reports.models import (
    CitedProvision,
    ContentItem,
    Evidence,
    Exercise,
    LegalProvision,
    PlatformAccount,
    ReporterAccount,
    RequestItem,
    TakedownRequest,
)
from review.models import CheckResult, Decision


def request_detail_queryset() -> QuerySet[TakedownRequest]:
    """A request with everything its detail page and API representation read, in a fixed number of queries."""
    return TakedownRequest.objects.select_related("agency__jurisdiction", "exercise").prefetch_related(
        Prefetch("items", queryset=RequestItem.objects.select_related("content__author").order_by("position")),
        Prefetch("items__decisions", queryset=Decision.objects.order_by("round")),
        "citations__provision",
        Prefetch("check_results", queryset=CheckResult.objects.order_by("round", "position")),
        "messages",
        "evidence",
    )


def requests_for_agency(*, reporter: ReporterAccount) -> QuerySet[TakedownRequest]:
    """The requests a reporter may see: their own agency's, in their own exercise."""
    return TakedownRequest.objects.filter(exercise=reporter.exercise, agency=reporter.agency)


def agency_request(reporter: ReporterAccount, *, reference: str | None = None, pk: int | None = None,
                   lock: bool = False) -> TakedownRequest:
    """One of the agency's requests (``requests_for_agency``) by reference or id, with agency, exercise and submitter.

    Raises DoesNotExist for another agency's request, exactly as for a missing one. ``lock`` holds the
    request's row (not its agency's or exercise's) until the transaction ends. Every form POST and
    follow-up reads its request so; on PostgreSQL it is a statement written once, with the submitter,
    and the request's agency and exercise are the reporter's own (those it was found by), as read
    with the reporter's account.
    """
    key, value = ("reference", reference) if reference is not None else ("pk", pk)
    if connection.vendor != "postgresql":
        found = requests_for_agency(reporter=reporter).select_related("agency", "exercise", "submitted_by")
        if lock:
            found = found.select_for_update(of=("self",))
        return found.get(**{key: value})
    with statements.server_bound_cursor() as cursor:
        cursor.execute(_agency_request_statement(key, lock),
                       [reporter.exercise_id, reporter.agency_id, value])
        row = cursor.fetchone()
    if row is None:
        raise TakedownRequest.DoesNotExist("No such request in the agency's records.")
    request, submitter = statements.instances(row, (TakedownRequest, get_user_model()))
    for name, related in (("agency", reporter.agency), ("exercise", reporter.exercise), ("submitted_by", submitter)):
        statements.related_set(request, name, related)
    return request


@lru_cache(maxsize=4)
def _agency_request_statement(key: str, lock: bool) -> str:
    table, column, user = statements.table, statements.column, get_user_model()
    # The same conditions as requests_for_agency: the reporter's exercise and agency.
    return (f"SELECT {statements.columns(TakedownRequest, 't')}, {statements.columns(user, 'u')} "  # noqa: S608
            f"FROM {table(TakedownRequest)} t "
            f"JOIN {table(user)} u ON u.{column(user, 'pk')} = t.{column(TakedownRequest, 'submitted_by')} "
            f"WHERE t.{column(TakedownRequest, 'exercise')} = %s AND t.{column(TakedownRequest, 'agency')} = %s "
            f"AND t.{column(TakedownRequest, key)} = %s" + (" FOR UPDATE OF t" if lock else ""))


def request_stated_rows(request: TakedownRequest) -> tuple[list[RequestItem], list[CitedProvision], list[Evidence]]:
    """A request's items (with their posts and the posts' authors), citations (with their provisions) and evidence.

    Each in its order, as ``request.items``, ``request.citations`` and ``request.evidence`` give
    them. What a submission checks, snapshots and records; on PostgreSQL three statements written once.
    """
    if connection.vendor != "postgresql":
        return (list(RequestItem.objects.filter(request=request).select_related("content__author")),
                list(CitedProvision.objects.filter(request=request).select_related("provision")),
                list(Evidence.objects.filter(request=request)))
    items_sql, citations_sql, evidence_sql = _stated_rows_statements()
    item_width = len(RequestItem._meta.concrete_fields)  # the post's and its author's columns follow the item's
    with statements.server_bound_cursor() as cursor:
        cursor.execute(items_sql, [request.pk])
        items = []
        for row in cursor.fetchall():
            (item,) = statements.instances(row[:item_width], (RequestItem,))
            content = None
            if item.content_id is not None:  # a URL that named no post has none, nor an author
                content, author = statements.instances(row[item_width:], (ContentItem, PlatformAccount))
                statements.related_set(content, "author", author)
            statements.related_set(item, "content", content)
            items.append(item)
        cursor.execute(citations_sql, [request.pk])
        citations = []
        for row in cursor.fetchall():
            citation, provision = statements.instances(row, (CitedProvision, LegalProvision))
            statements.related_set(citation, "provision", provision)
            citations.append(citation)
        cursor.execute(evidence_sql, [request.pk])
        evidence = [statements.instances(row, (Evidence,))[0] for row in cursor.fetchall()]
    return items, citations, evidence


@lru_cache(maxsize=1)
def _stated_rows_statements() -> tuple[str, str, str]:
    table, column, columns = statements.table, statements.column, statements.columns
    # Only quoted names from the models' metadata are spliced in; orders as the models' Meta.ordering.
    items = (f"SELECT {columns(RequestItem, 'i')}, {columns(ContentItem, 'c')}, "  # noqa: S608
             f"{columns(PlatformAccount, 'a')} FROM {table(RequestItem)} i "
             f"LEFT JOIN {table(ContentItem)} c ON c.{column(ContentItem, 'pk')} = i.{column(RequestItem, 'content')} "
             f"LEFT JOIN {table(PlatformAccount)} a "
             f"ON a.{column(PlatformAccount, 'pk')} = c.{column(ContentItem, 'author')} "
             f"WHERE i.{column(RequestItem, 'request')} = %s ORDER BY i.{column(RequestItem, 'position')}")
    citations = (f"SELECT {columns(CitedProvision, 'x')}, {columns(LegalProvision, 'p')} "  # noqa: S608
                 f"FROM {table(CitedProvision)} x JOIN {table(LegalProvision)} p "
                 f"ON p.{column(LegalProvision, 'pk')} = x.{column(CitedProvision, 'provision')} "
                 f"WHERE x.{column(CitedProvision, 'request')} = %s ORDER BY x.{column(CitedProvision, 'position')}")
    evidence = (f"SELECT {columns(Evidence, 'v')} FROM {table(Evidence)} v "  # noqa: S608
                f"WHERE v.{column(Evidence, 'request')} = %s "
                f"ORDER BY v.{column(Evidence, 'uploaded_at')}, v.{column(Evidence, 'pk')}")
    return items, citations, evidence


def request_for_reporter(*, reporter: ReporterAccount, reference: str) -> TakedownRequest:
    """One of the agency's requests; another agency's reference raises DoesNotExist (answered as 404)."""
    return request_detail_queryset().get(exercise=reporter.exercise, agency=reporter.agency, reference=reference)


def provisions_for_jurisdiction(code: str) -> QuerySet[LegalProvision]:
    return LegalProvision.objects.filter(jurisdiction_id=code.upper()).order_by("code")


def provision_titles(code: str) -> list[tuple[str, str]]:
    """(code, title) of a jurisdiction's provisions, by code: what the draft form offers to cite, on each of its POSTs.

    On PostgreSQL a statement written once.
    """
    if connection.vendor != "postgresql":
        return list(provisions_for_jurisdiction(code).values_list("code", "title"))
    with statements.server_bound_cursor() as cursor:
        cursor.execute(_provision_titles_statement(), [code.upper()])
        return [(found_code, title) for found_code, title in cursor.fetchall()]


@lru_cache(maxsize=1)
def _provision_titles_statement() -> str:
    table, column = statements.table, statements.column
    code = column(LegalProvision, "code")
    # Only quoted names from the model's metadata are spliced in.
    return (f"SELECT {code}, {column(LegalProvision, 'title')} FROM {table(LegalProvision)} "  # noqa: S608
            f"WHERE {column(LegalProvision, 'jurisdiction')} = %s ORDER BY {code}")


def content_for_exercise(*, exercise: Exercise) -> QuerySet[ContentItem]:
    return ContentItem.objects.filter(exercise=exercise).select_related("author")


def latest_decisions(request: TakedownRequest) -> dict[int, Decision | None]:
    """item id -> its decision in the latest round that has one (uses the prefetched decisions)."""
    latest = {}
    for item in request.items.all():
        decisions = list(item.decisions.all())
        latest[item.pk] = decisions[-1] if decisions else None
    return latest
