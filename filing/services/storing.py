"""How filed input becomes rows, for every filing service: fields, items with their snapshots, citations.

Shared by filing, drafts and answers, so that a request is stored the same way whichever
way it came in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from audit.canonical import canonical_bytes
from filing.inputs import CourtOrderInput, RequestInput, Resolved
from filing.selectors import agency_request
from reports.errors import InvalidInput, NotAllowed
from reports.limits import MAX_MESSAGE_CHARS
from reports.models import CitedProvision, ContentItem, LegalProvision, ReporterAccount, RequestItem, TakedownRequest
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


def request_insert(request: TakedownRequest) -> None:
    """Insert a new request with its reference.

    On PostgreSQL its id is taken from the sequence first, so that one INSERT writes both;
    elsewhere the reference follows in an UPDATE (``reference_assign``).
    """
    reserved = reserve_ids(TakedownRequest, 1)
    if reserved is None:
        request.save()
        reference_assign(request)
        return
    request.pk = reserved[0]
    request.reference = TakedownRequest.reference_for(year=(request.submitted_at or timezone.now()).year,
                                                      pk=request.pk)
    request.save(force_insert=True)


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
