"""How filed input becomes rows, for every filing service: fields, items with their snapshots, citations.

Shared by filing, drafts and answers, so that a request is stored the same way whichever
way it came in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

from django.db import connection
from django.utils import timezone

from audit import inserts
from audit.canonical import canonical_bytes
from filing.inputs import CourtOrderInput, RequestInput, Resolved
from filing.selectors import agency_request
from reports import statements
from reports.errors import InvalidInput, NotAllowed
from reports.limits import MAX_MESSAGE_CHARS
from reports.models import CitedProvision, ContentItem, LegalProvision, ReporterAccount, RequestItem, TakedownRequest
from reports.statements import server_bound_cursor
from reports.tenancy import require_exercise_open


def require_can_file(reporter: ReporterAccount) -> None:
    """Only a verified reporter files, and only while their exercise is open."""
    if reporter.verification != ReporterAccount.Verification.VERIFIED:
        raise NotAllowed("Only verified reporter accounts can file requests; this account is "
                         f"{reporter.get_verification_display().lower()}.")
    require_exercise_open(reporter.exercise)


def content_snapshot(content: ContentItem) -> dict:
    """What the item said when it was reported, as the reviewer will see it."""
    return {
        "content_id": content.code,
        "url": content.url,
        "author": content.author.handle,
        "author_persona": content.author.persona,
        "author_country": content.author.country,
        "text": content.text,
        "language": content.language,
        "country": content.country,
        "posted_at": content.posted_at.isoformat(),
        # Only posts in other languages than English carry one; an English post's snapshot is unchanged.
        **({"translation": content.translation} if content.translation else {}),
    }


def snapshot_hash(snapshot: dict) -> str:
    """SHA-256 of the snapshot's canonical bytes (the encoding the transparency log hashes)."""
    return hashlib.sha256(canonical_bytes(snapshot)).hexdigest()


def item_snapshot_take(item: RequestItem) -> RequestItem:
    """Snapshot the item's post as it is now (a URL that names no post has none)."""
    if item.content is not None:
        item.snapshot = content_snapshot(item.content)
        item.snapshot_sha256 = snapshot_hash(item.snapshot)
    return item


def new_item(request: TakedownRequest, position: int, content: ContentItem | None, url: str = "") -> RequestItem:
    return item_snapshot_take(RequestItem(request=request, position=position, content=content, url=url))


def new_items(request: TakedownRequest, resolved: Resolved) -> list[RequestItem]:
    return [new_item(request, position, content, url)
            for position, (content, url) in enumerate(zip(resolved.contents, resolved.urls, strict=True), start=1)]


def new_citations(request: TakedownRequest, provisions: Sequence[LegalProvision]) -> list[CitedProvision]:
    return [CitedProvision(request=request, provision=provision, position=position)
            for position, provision in enumerate(provisions, start=1)]


def items_store(request: TakedownRequest, resolved: Resolved) -> list[RequestItem]:
    """Store the request's items (replacing none: callers delete the old ones) and keep its item count."""
    items = RequestItem.objects.bulk_create(new_items(request, resolved))
    if request.item_count != len(items):  # a draft saved with as many posts as before writes nothing more
        request.item_count = len(items)
        TakedownRequest.objects.filter(pk=request.pk).update(item_count=request.item_count)
    return items


def provisions_cite(request: TakedownRequest, provisions: Sequence[LegalProvision]) -> None:
    CitedProvision.objects.bulk_create(new_citations(request, provisions))


def fields_apply(request: TakedownRequest, data: RequestInput) -> None:
    """Copy what the requester states onto the request row (not saved)."""
    order = data.court_order or CourtOrderInput()
    request.category = data.category
    request.requested_action = data.requested_action
    request.justification = data.justification.strip()
    request.urgency = data.urgency
    request.confidentiality_requested = data.confidentiality_requested
    request.court_name = order.court.strip()
    request.court_case_number = order.case_number.strip()
    request.court_order_date = order.date


STATED_FIELDS = ["category", "requested_action", "justification", "urgency", "confidentiality_requested",
                 "court_name", "court_case_number", "court_order_date"]


def reserve_ids(model, count: int) -> list[int] | None:
    """``count`` primary keys from the table's sequence (PostgreSQL); None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


def request_id_take(request: TakedownRequest) -> bool:
    """Give a new request its id from the sequence, and so its reference, before it is written (PostgreSQL).

    False elsewhere: the request gets both when it is inserted (``request_insert``).
    """
    reserved = reserve_ids(TakedownRequest, 1)
    if reserved is None:
        return False
    request.pk = reserved[0]
    request.reference = TakedownRequest.reference_for(year=(request.submitted_at or timezone.now()).year,
                                                      pk=request.pk)
    return True


def request_insert(request: TakedownRequest) -> None:
    """Insert a new request with its reference.

    On PostgreSQL its id is taken from the sequence first, so that one INSERT writes both;
    elsewhere the reference follows in an UPDATE (``reference_assign``).
    """
    if not request_id_take(request):
        request.save()
        reference_assign(request)
        return
    request.save(force_insert=True)


def stated_rows_replace(request: TakedownRequest, resolved: Resolved) -> None:
    """Store what a draft now states: its stated fields, activity time and items, with new items and citations.

    The old items and citations are deleted. On PostgreSQL that is two statements written once:
    the deletes with the request's ``UPDATE`` (of the columns a draft states, not every column as
    ``save`` writes), then the new rows from JSON (audit/inserts.py). A draft's items have no
    decisions or appeals; were one to, its foreign key would refuse the delete at commit.
    """
    items, citations = new_items(request, resolved), new_citations(request, resolved.provisions)
    request.item_count = len(items)
    if connection.vendor != "postgresql":
        request.save()
        RequestItem.objects.filter(request=request).delete()
        CitedProvision.objects.filter(request=request).delete()
        RequestItem.objects.bulk_create(items)
        CitedProvision.objects.bulk_create(citations)
        return
    values = [getattr(request, name) for name in (*STATED_FIELDS, "last_activity_at", "item_count")]
    with server_bound_cursor() as cursor:
        cursor.execute(_stated_rows_statement(), [request.pk, request.pk, *values, request.pk])
    inserts.instances_insert_together([items, citations])


@lru_cache(maxsize=1)
def _stated_rows_statement() -> str:
    table, column = statements.table, statements.column
    assigned = ", ".join(f"{column(TakedownRequest, name)} = %s"
                         for name in (*STATED_FIELDS, "last_activity_at", "item_count"))
    # Only quoted names from the models' metadata are spliced in.
    return (f"WITH items_gone AS (DELETE FROM {table(RequestItem)} "  # noqa: S608
            f"WHERE {column(RequestItem, 'request')} = %s), "
            f"citations_gone AS (DELETE FROM {table(CitedProvision)} WHERE {column(CitedProvision, 'request')} = %s) "
            f"UPDATE {table(TakedownRequest)} SET {assigned} WHERE {column(TakedownRequest, 'pk')} = %s")


def snapshots_write(items: Sequence[RequestItem]) -> None:
    """Store the items' snapshots (taken at submission): one statement written once on PostgreSQL."""
    if connection.vendor != "postgresql":
        RequestItem.objects.bulk_update(items, ["snapshot", "snapshot_sha256"])
        return
    if not items:
        return
    rows = inserts.json_text([{"id": item.pk, "snapshot": item.snapshot, "snapshot_sha256": item.snapshot_sha256}
                              for item in items])
    with server_bound_cursor() as cursor:
        cursor.execute(_snapshots_statement(), [rows])


@lru_cache(maxsize=1)
def _snapshots_statement() -> str:
    table, column = statements.table, statements.column
    snapshot, sha256 = column(RequestItem, "snapshot"), column(RequestItem, "snapshot_sha256")
    # Only quoted names from the models' metadata are spliced in.
    return (f"UPDATE {table(RequestItem)} i SET {snapshot} = r.snapshot, {sha256} = r.snapshot_sha256 "  # noqa: S608
            f"FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, snapshot jsonb, snapshot_sha256 text) "
            f"WHERE i.{column(RequestItem, 'pk')} = r.id")


def reference_assign(request: TakedownRequest) -> None:
    """Give a just-inserted request its reference, from its primary key, in the same transaction."""
    year = (request.submitted_at or request.created_at or timezone.now()).year
    request.reference = TakedownRequest.reference_for(year=year, pk=request.pk)
    TakedownRequest.objects.filter(pk=request.pk).update(reference=request.reference)


def related_known(instance, **related: Sequence) -> None:
    """Give ``instance``'s related managers the rows the caller has just written, as ``prefetch_related`` would.

    For rows created in the same transaction, whose related rows are exactly those written with
    them: reading ``instance.items.all()`` and the like then costs no query. Any other reading
    (``filter``, ``get``, ``count``) still asks the database.
    """
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in related.items():
        queryset = getattr(instance, name).all()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset


def own_request_locked(reporter: ReporterAccount, request: TakedownRequest) -> TakedownRequest:
    """The agency's request read again with its row locked, for a change made in the caller's transaction."""
    return agency_request(reporter, pk=request.pk, lock=True)


def message_body(body: str, field_name: str = "message") -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput({field_name: ["Write a message."]})
    if len(body) > MAX_MESSAGE_CHARS:
        raise InvalidInput({field_name: [f"At most {MAX_MESSAGE_CHARS} characters."]})
    return body
