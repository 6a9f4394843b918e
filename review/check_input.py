"""The check input: everything the automated checks may read about a request, and nothing more.

It is stored with each screening (review.models.ScreeningRun.check_input) so that a
candidate rule version can be replayed over past requests. Deliberately absent:
the agency, the person who filed, the authority type. The requester's jurisdiction
is present for one reason only: the local-law check compares it with the cited provisions'.
"""

from __future__ import annotations

import json
from functools import lru_cache

from django.db import connection
from django.db.models import Prefetch, QuerySet

from reports import statements
from reports.models import CitedProvision, LegalProvision, RequestItem, TakedownRequest

# What the check input reads of a request, of each item and of each cited provision (attribute names).
REQUEST_FIELDS = ("category", "requested_action", "urgency", "justification", "confidentiality_requested",
                  "submitted_at", "court_name", "court_case_number", "court_order_date")
ITEM_FIELDS = ("position", "content_id", "url", "snapshot")
PROVISION_FIELDS = ("code", "jurisdiction_id", "title", "description", "categories", "in_force_from",
                    "in_force_until", "concern")


def with_check_input(requests: QuerySet) -> QuerySet:
    """``requests`` with everything ``build_check_input`` reads, in a fixed number of queries however many."""
    return requests.select_related("agency").prefetch_related(
        "items", Prefetch("citations", queryset=CitedProvision.objects.select_related("provision")))


def build_check_input(request: TakedownRequest) -> dict:
    """The check input of ``request``; load it through ``with_check_input`` or each relation costs a query."""
    return check_input_of(
        {name: getattr(request, name) for name in REQUEST_FIELDS}, request.agency.jurisdiction_id,
        [{name: getattr(item, name) for name in ITEM_FIELDS} for item in request.items.all()],
        [{name: getattr(citation.provision, name) for name in PROVISION_FIELDS}
         for citation in request.citations.all()])


def check_inputs_load(requests: list[dict]) -> dict[int, dict]:
    """The check input of each request row (``REQUEST_FIELDS``, ``id`` and ``jurisdiction``), by id: two queries.

    The same input ``build_check_input`` makes of a model instance, read as plain rows (no model
    instances, no per-request querysets, no ORM compilation: the statements are written once, from
    the models' metadata): the batch screening's way to load its requests' items and provisions.
    """
    ids = [request["id"] for request in requests]
    items: dict[int, list[dict]] = {pk: [] for pk in ids}
    provisions: dict[int, list[dict]] = {pk: [] for pk in ids}
    if connection.vendor != "postgresql":
        _load_with_orm(ids, items, provisions)
    else:
        _load_with_sql(ids, items, provisions)
    return {request["id"]: check_input_of(request, request["jurisdiction"], items[request["id"]],
                                          provisions[request["id"]])
            for request in requests}


def _load_with_orm(ids: list[int], items: dict, provisions: dict) -> None:
    for item in (RequestItem.objects.filter(request_id__in=ids).order_by("request_id", "position")
                 .values("request_id", *ITEM_FIELDS)):
        items[item["request_id"]].append(item)
    names = [f"provision__{name}" for name in PROVISION_FIELDS]
    for citation in (CitedProvision.objects.filter(request_id__in=ids).order_by("request_id", "position", "id")
                     .values_list("request_id", *names)):
        provisions[citation[0]].append(dict(zip(PROVISION_FIELDS, citation[1:], strict=True)))


def _load_with_sql(ids: list[int], items: dict, provisions: dict) -> None:
    items_sql, provisions_sql = _statements()
    with statements.server_bound_cursor() as cursor:
        cursor.execute(items_sql, [ids])
        for request_id, *values in cursor.fetchall():
            item = dict(zip(ITEM_FIELDS, values, strict=True))
            item["snapshot"] = json.loads(item["snapshot"]) if isinstance(item["snapshot"], str) else item["snapshot"]
            items[request_id].append(item)
        cursor.execute(provisions_sql, [ids])
        for request_id, *values in cursor.fetchall():
            provision = dict(zip(PROVISION_FIELDS, values, strict=True))
            if isinstance(provision["categories"], str):
                provision["categories"] = json.loads(provision["categories"])
            provisions[request_id].append(provision)


@lru_cache(maxsize=1)
def _statements() -> tuple[str, str]:
    """The two SELECTs of ``check_inputs_load``, in the order ``build_check_input`` reads the relations."""
    table, column = statements.table, statements.column
    item, citation, provision = RequestItem, CitedProvision, LegalProvision
    items = (f"SELECT {column(item, 'request')}, {', '.join(column(item, name) for name in ITEM_FIELDS)} "  # noqa: S608
             f"FROM {table(item)} WHERE {column(item, 'request')} = ANY(%s) "
             f"ORDER BY {column(item, 'request')}, {column(item, 'position')}")
    provisions = (f"SELECT c.{column(citation, 'request')}, "  # noqa: S608
                  f"{', '.join('p.' + column(provision, name) for name in PROVISION_FIELDS)} "
                  f"FROM {table(citation)} c JOIN {table(provision)} p "
                  f"ON p.{column(provision, 'pk')} = c.{column(citation, 'provision')} "
                  f"WHERE c.{column(citation, 'request')} = ANY(%s) "
                  f"ORDER BY c.{column(citation, 'request')}, c.{column(citation, 'position')}, "
                  f"c.{column(citation, 'pk')}")
    return items, provisions


def check_input_of(request: dict, jurisdiction: str, items: list[dict], provisions: list[dict]) -> dict:
    """The check input from the request's fields (``REQUEST_FIELDS``), its items' and its provisions' (in order)."""
    built_items = []
    for item in items:
        snapshot = item["snapshot"] or {}
        built_items.append({
            "position": item["position"],
            "resolved": item["content_id"] is not None,
            "url": item["url"] or snapshot.get("url", ""),
            "text": snapshot.get("text", ""),
            "posted_on": snapshot["posted_at"][:10] if snapshot.get("posted_at") else None,
            "persona": snapshot.get("author_persona", ""),
            "language": snapshot.get("language", ""),
            "country": snapshot.get("country", ""),
        })
    built_provisions = [
        {
            "code": p["code"],
            "jurisdiction": p["jurisdiction_id"],
            "title": p["title"],
            "description": p["description"],
            "categories": list(p["categories"]),
            "in_force_from": p["in_force_from"].isoformat(),
            "in_force_until": p["in_force_until"].isoformat() if p["in_force_until"] else None,
            "concern": p["concern"],
        }
        for p in provisions
    ]
    court_order = None
    if request["court_name"] and request["court_case_number"]:  # TakedownRequest.has_court_order
        court_order = {"court": request["court_name"], "case_number": request["court_case_number"],
                       "date": request["court_order_date"].isoformat() if request["court_order_date"] else None}
    return {
        "request": {
            "category": request["category"],
            "requested_action": request["requested_action"],
            "urgency": request["urgency"],
            "justification_chars": len(request["justification"].strip()),
            "confidentiality_requested": request["confidentiality_requested"],
            "submitted_on": request["submitted_at"].date().isoformat(),
            "jurisdiction": jurisdiction,
            "court_order": court_order,
        },
        "items": built_items,
        "provisions": built_provisions,
    }
