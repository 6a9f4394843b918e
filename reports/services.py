"""Every write about takedown requests, for every entry point.

The web form, the reporters' API, the bulk API and ``manage.py simulate`` all call
these functions, so every government's request is stored, checked and enqueued the
same way. Each service runs in one transaction, writes its audit event in it, and
enqueues Celery work only after commit.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit import events
from audit.canonical import canonical_bytes
from reports import transitions
from reports.errors import InvalidInput, NotAllowed
from reports.exercises import require_exercise_open
from reports.models import (
    Category,
    CitedProvision,
    ContentItem,
    LegalProvision,
    ReporterAccount,
    RequestedAction,
    RequestItem,
    RequestMessage,
    Status,
    SubmissionMethod,
    TakedownRequest,
    Urgency,
)

logger = logging.getLogger(__name__)

MAX_ITEMS_PER_REQUEST = 500
MAX_PROVISIONS_PER_REQUEST = 20
MAX_JUSTIFICATION_CHARS = 10_000
MAX_MESSAGE_CHARS = 10_000
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass
class ItemInput:
    content_id: str = ""
    url: str = ""


@dataclass
class CourtOrderInput:
    court: str = ""
    case_number: str = ""
    date: date | None = None


@dataclass
class RequestInput:
    """What a requester states: the standard intake form (which rule or law, why, the evidence)."""

    items: list[ItemInput] = field(default_factory=list)
    category: str = ""
    legal_basis: list[str] = field(default_factory=list)
    requested_action: str = ""
    justification: str = ""
    urgency: str = Urgency.STANDARD
    court_order: CourtOrderInput | None = None
    confidentiality_requested: bool = False
    external_id: str | None = None


@dataclass
class _Resolved:
    contents: list[ContentItem | None]
    urls: list[str]
    provisions: list[LegalProvision]


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidInput(self.fields)


# --- Validation -------------------------------------------------------------------------

def _content_code_from_url(url: str) -> str | None:
    if url.lower().startswith(ContentItem.URL_PREFIX):
        return url[len(ContentItem.URL_PREFIX):].strip("/").split("?")[0].lower() or None
    return None


def _content_code(item: ItemInput) -> str | None:
    content_id, url = (item.content_id or "").strip(), (item.url or "").strip()
    return content_id.lower() if content_id else _content_code_from_url(url) if url else None


def _provision_codes(data: RequestInput) -> list[str]:
    return [code.strip().upper() for code in data.legal_basis if code and code.strip()]


@dataclass
class _Catalog:
    """The content and provisions a batch names, read with two queries for the whole batch."""

    contents: dict[str, ContentItem]
    provisions: dict[str, LegalProvision]

    @classmethod
    def load(cls, batch: Sequence[RequestInput], *, exercise) -> _Catalog:
        codes = {code for data in batch for code in map(_content_code, data.items) if code}
        basis = {code for data in batch for code in _provision_codes(data)}
        return cls(
            contents={c.code: c for c in ContentItem.objects.filter(exercise=exercise, code__in=codes)
                      .select_related("author")} if codes else {},
            provisions={p.code: p for p in LegalProvision.objects.filter(code__in=basis)} if basis else {})


def _validate(data: RequestInput, *, exercise, draft: bool = False, catalog: _Catalog | None = None) -> _Resolved:
    """Check that the input can be stored; return the content and provisions it names.

    Only malformed input is refused here. Whether the request is *complete* (a legal
    basis, a justification, a scope) is for the completeness check to say, so that an
    incomplete request is answered with the exact missing parts rather than lost.
    """
    errors = _Errors()
    # A NUL character cannot be stored (PostgreSQL refuses it) and has no place in a request.
    texts = {"justification": data.justification, "external_id": data.external_id, "category": data.category,
             "requested_action": data.requested_action, "urgency": data.urgency,
             **{f"legal_basis.{n}": code for n, code in enumerate(data.legal_basis)},
             **{f"items.{n}": f"{i.content_id}{i.url}" for n, i in enumerate(data.items)}}
    if data.court_order is not None:
        texts.update({"court_order.court": data.court_order.court,
                      "court_order.case_number": data.court_order.case_number})
    for path, value in texts.items():
        if value and "\x00" in value:
            errors.add(path, "Remove the NUL character (\\x00) from this field.")
    errors.raise_if_any()

    if not data.items and not draft:
        errors.add("items", "Name at least one item: a content id or a URL.")
    if len(data.items) > MAX_ITEMS_PER_REQUEST:
        errors.add("items", f"At most {MAX_ITEMS_PER_REQUEST} items per request; split larger requests.")
    codes: list[str | None] = []
    urls: list[str] = []
    for index, item in enumerate(data.items):
        content_id, url = (item.content_id or "").strip(), (item.url or "").strip()
        if bool(content_id) == bool(url):
            errors.add(f"items.{index}", "Give either content_id or url, not both and not neither.")
            codes.append(None)
            urls.append("")
            continue
        if url:
            if len(url) > 500 or not URL_PATTERN.match(url):
                errors.add(f"items.{index}.url", "Enter a full http(s) URL of at most 500 characters.")
            codes.append(_content_code_from_url(url))
        else:
            codes.append(content_id.lower())
        urls.append(url)

    if catalog is None:
        catalog = _Catalog.load([data], exercise=exercise)
    found = catalog.contents
    contents: list[ContentItem | None] = []
    seen: dict[str, int] = {}
    for index, (item, code) in enumerate(zip(data.items, codes, strict=True)):
        content = found.get(code) if code else None
        if (item.content_id or "").strip() and content is None and f"items.{index}" not in errors.fields:
            errors.add(f"items.{index}.content_id", f"No content with id {item.content_id.strip()!r} on the platform.")
        if content is not None:
            if content.code in seen:
                errors.add(f"items.{index}",
                           f"Duplicate of item {seen[content.code]}: {content.code} is already listed.")
            seen.setdefault(content.code, index)
        contents.append(content)

    if data.category and data.category not in Category.values:
        errors.add("category", f"Unknown category {data.category!r}; use one of the documented codes.")
    elif not data.category and not draft:
        errors.add("category", "Choose the reason category.")

    basis = _provision_codes(data)
    if len(basis) > MAX_PROVISIONS_PER_REQUEST:
        errors.add("legal_basis", f"Cite at most {MAX_PROVISIONS_PER_REQUEST} provisions.")
    if len(set(basis)) != len(basis):
        errors.add("legal_basis", "A provision is cited twice.")
    provisions = catalog.provisions
    for index, code in enumerate(basis):
        if code not in provisions:
            errors.add(f"legal_basis.{index}",
                       f"Unknown provision {code!r}; see /api/v1/jurisdictions/<code>/provisions/.")

    if data.requested_action and data.requested_action not in RequestedAction.values:
        errors.add("requested_action", "Use remove_globally or restrict_in_jurisdiction.")
    if data.urgency not in Urgency.values:
        errors.add("urgency", "Use standard or imminent_harm.")
    if len(data.justification or "") > MAX_JUSTIFICATION_CHARS:
        errors.add("justification", f"At most {MAX_JUSTIFICATION_CHARS} characters.")
    if data.external_id is not None and not (0 < len(data.external_id) <= 100):
        errors.add("external_id", "An external id has 1 to 100 characters.")

    order = data.court_order
    if order is not None and (order.court or order.case_number or order.date):
        if not order.court.strip():
            errors.add("court_order.court", "Name the court that issued the order.")
        if not order.case_number.strip():
            errors.add("court_order.case_number", "Give the case number.")
        if len(order.court) > 200 or len(order.case_number) > 100:
            errors.add("court_order", "Court at most 200 and case number at most 100 characters.")
        if order.date and order.date > timezone.now().date():
            errors.add("court_order.date", "The order's date cannot be in the future.")

    errors.raise_if_any()
    return _Resolved(contents=contents, urls=urls, provisions=[provisions[code] for code in basis])


# --- Snapshots ----------------------------------------------------------------------------

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
    }


def snapshot_hash(snapshot: dict) -> str:
    return hashlib.sha256(canonical_bytes(snapshot)).hexdigest()


def _item(request: TakedownRequest, position: int, content: ContentItem | None, url: str = "") -> RequestItem:
    item = RequestItem(request=request, position=position, content=content, url=url)
    if content is not None:
        item.snapshot = content_snapshot(content)
        item.snapshot_sha256 = snapshot_hash(item.snapshot)
    return item


def _store_items(request: TakedownRequest, resolved: _Resolved) -> list[RequestItem]:
    return RequestItem.objects.bulk_create(
        _item(request, position, content, url)
        for position, (content, url) in enumerate(zip(resolved.contents, resolved.urls, strict=True), start=1))


def _cite(request: TakedownRequest, provisions: Sequence[LegalProvision]) -> None:
    CitedProvision.objects.bulk_create(
        CitedProvision(request=request, provision=provision, position=position)
        for position, provision in enumerate(provisions, start=1)
    )


def _apply_fields(request: TakedownRequest, data: RequestInput) -> None:
    order = data.court_order or CourtOrderInput()
    request.category = data.category
    request.requested_action = data.requested_action
    request.justification = data.justification.strip()
    request.urgency = data.urgency
    request.confidentiality_requested = data.confidentiality_requested
    request.court_name = order.court.strip()
    request.court_case_number = order.case_number.strip()
    request.court_order_date = order.date


def _assign_reference(request: TakedownRequest) -> None:
    year = (request.submitted_at or request.created_at or timezone.now()).year
    request.reference = f"CRS-{year}-{request.pk:06d}"
    TakedownRequest.objects.filter(pk=request.pk).update(reference=request.reference)


# --- Enqueueing ---------------------------------------------------------------------------

def enqueue_screening(request_id: int) -> None:
    """Send the request to screening. Called after commit; a broker outage is not the filer's problem.

    If the message cannot be sent the request stays ``submitted`` and the sweeper
    (review.tasks.sweep_stuck_requests) sends it again later.
    """
    from review.tasks import screen_request

    try:
        screen_request.delay(request_id)
    except Exception as exc:  # kombu raises several connection error types; all mean "try later"
        logger.warning("could not enqueue screening of request %s (%s); the sweeper will retry", request_id, exc)


def enqueue_screening_batch(request_ids: list[int]) -> None:
    """Send a batch of requests to screening as one task (see ``enqueue_screening``)."""
    from review.tasks import screen_requests

    try:
        screen_requests.delay(request_ids)
    except Exception as exc:  # kombu raises several connection error types; all mean "try later"
        logger.warning("could not enqueue screening of %d requests (%s); the sweeper will retry",
                       len(request_ids), exc)


def _enqueue_after_commit(request_id: int) -> None:
    transaction.on_commit(lambda: enqueue_screening(request_id))


# --- Filing -------------------------------------------------------------------------------

def _require_can_file(reporter: ReporterAccount) -> None:
    if reporter.verification != ReporterAccount.Verification.VERIFIED:
        raise NotAllowed("Only verified reporter accounts can file requests; this account is "
                         f"{reporter.get_verification_display().lower()}.")
    require_exercise_open(reporter.exercise)


def _existing_by_external_id(reporter: ReporterAccount, external_id: str | None) -> TakedownRequest | None:
    if not external_id or "\x00" in external_id:  # no stored id holds a NUL; validation names the field
        return None
    return TakedownRequest.objects.filter(agency=reporter.agency, external_id=external_id).first()


def request_file(*, reporter: ReporterAccount, data: RequestInput,
                 method: str = SubmissionMethod.API) -> tuple[TakedownRequest, bool]:
    """File a complete submission in one step (API, bulk, simulate). Returns (request, created).

    An external id already used by the same agency returns that earlier request and
    creates nothing. Invalid input raises InvalidInput naming each field; nothing is written.
    """
    _require_can_file(reporter)
    existing = _existing_by_external_id(reporter, data.external_id)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _file_now(reporter=reporter, data=data, method=method), True
    except IntegrityError:
        # Two identical filings raced; the unique (agency, external_id) constraint let one win.
        existing = _existing_by_external_id(reporter, data.external_id)
        if existing is None:
            raise
        return existing, False


def _file_now(*, reporter: ReporterAccount, data: RequestInput, method: str) -> TakedownRequest:
    resolved = _validate(data, exercise=reporter.exercise)
    now = timezone.now()
    request = TakedownRequest(
        exercise=reporter.exercise,
        agency=reporter.agency,
        authority_type=reporter.agency.authority_type,
        submitted_by=reporter.user,
        submission_method=method,
        external_id=data.external_id or None,
        status=Status.SUBMITTED,
        submitted_at=now,
    )
    _apply_fields(request, data)
    request.save()
    _assign_reference(request)
    items = _store_items(request, resolved)
    _cite(request, resolved.provisions)
    events.request_submitted_event(request=request, actor=reporter.user, items=items, provisions=resolved.provisions)
    _enqueue_after_commit(request.pk)
    return request


def requests_file_bulk(*, reporter: ReporterAccount,
                       batch: Sequence[RequestInput]) -> list[tuple[TakedownRequest, bool]]:
    """File up to 100 requests all or nothing; errors are keyed by position (``requests.3.category``).

    Each request is validated as ``request_file`` validates it, and an external id the agency
    already used returns that earlier request (created False). The new requests are stored
    together (a fixed number of queries whatever the batch's size) and sent to screening as one
    task after commit.
    """
    _require_can_file(reporter)
    errors: dict[str, list[str]] = {}
    ids = [data.external_id for data in batch if data.external_id]
    if len(ids) != len(set(ids)):
        errors["requests"] = ["Two requests in this call share an external_id."]
    earlier = ({r.external_id: r for r in TakedownRequest.objects.filter(agency=reporter.agency, external_id__in=ids)}
               if ids else {})
    catalog = _Catalog.load([data for data in batch if data.external_id not in earlier], exercise=reporter.exercise)
    resolved: dict[int, _Resolved] = {}
    for index, data in enumerate(batch):
        if data.external_id in earlier:
            continue
        try:
            resolved[index] = _validate(data, exercise=reporter.exercise, catalog=catalog)
        except InvalidInput as exc:
            for path, messages in exc.fields.items():
                errors[f"requests.{index}.{path}"] = messages
    if errors:
        # Nothing is written: the caller fixes and resends the batch.
        raise InvalidInput(errors, "Nothing was filed: some requests in the batch are invalid.")
    with transaction.atomic():
        filed = _file_many(reporter=reporter, entries=[(batch[index], resolved[index]) for index in sorted(resolved)],
                           method=SubmissionMethod.BULK)
    new = iter(filed)
    return [(earlier[data.external_id], False) if data.external_id in earlier else (next(new), True)
            for data in batch]


def _reserve_ids(model, count: int) -> list[int] | None:
    """``count`` primary keys from the table's sequence (PostgreSQL); None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


def _file_many(*, reporter: ReporterAccount, entries: list[tuple[RequestInput, _Resolved]],
               method: str) -> list[TakedownRequest]:
    """``_file_now`` for many requests at once: one INSERT per table, one event batch, one task."""
    if not entries:
        return []
    now = timezone.now()
    requests = []
    for data, _resolved in entries:
        request = TakedownRequest(
            exercise=reporter.exercise, agency=reporter.agency, authority_type=reporter.agency.authority_type,
            submitted_by=reporter.user, submission_method=method, external_id=data.external_id or None,
            status=Status.SUBMITTED, submitted_at=now)
        _apply_fields(request, data)
        requests.append(request)
    reserved = _reserve_ids(TakedownRequest, len(requests))
    if reserved:
        # The references are written with the rows: no second statement to set them.
        for request, pk in zip(requests, reserved, strict=True):
            request.pk, request.reference = pk, f"CRS-{now.year}-{pk:06d}"
        TakedownRequest.objects.bulk_create(requests)
    else:
        TakedownRequest.objects.bulk_create(requests)
        for request in requests:
            request.reference = f"CRS-{now.year}-{request.pk:06d}"
        TakedownRequest.objects.bulk_update(requests, ["reference"])
    items = RequestItem.objects.bulk_create(
        _item(request, position, content, url)
        for request, (_data, resolved) in zip(requests, entries, strict=True)
        for position, (content, url) in enumerate(zip(resolved.contents, resolved.urls, strict=True), start=1))
    CitedProvision.objects.bulk_create(
        CitedProvision(request=request, provision=provision, position=position)
        for request, (_data, resolved) in zip(requests, entries, strict=True)
        for position, provision in enumerate(resolved.provisions, start=1))
    items_of: dict[int, list[RequestItem]] = {}
    for item in items:
        items_of.setdefault(item.request_id, []).append(item)
    events.request_submitted_events(actor=reporter.user, filings=[
        (request, items_of.get(request.pk, []), resolved.provisions)
        for request, (_data, resolved) in zip(requests, entries, strict=True)])
    request_ids = [request.pk for request in requests]
    transaction.on_commit(lambda: enqueue_screening_batch(request_ids))
    return requests


# --- Drafts (the web form) ----------------------------------------------------------------

def request_draft_save(*, reporter: ReporterAccount, data: RequestInput,
                       draft: TakedownRequest | None = None) -> TakedownRequest:
    """Create or update a draft. Drafts may be incomplete; they are checked in full on submit."""
    _require_can_file(reporter)
    with transaction.atomic():
        resolved = _validate(data, exercise=reporter.exercise, draft=True)
        if draft is None:
            draft = TakedownRequest(
                exercise=reporter.exercise, agency=reporter.agency, authority_type=reporter.agency.authority_type,
                submitted_by=reporter.user, submission_method=SubmissionMethod.FORM, status=Status.DRAFT,
            )
            _apply_fields(draft, data)
            draft.save()
            _assign_reference(draft)
            events.request_drafted_event(request=draft, actor=reporter.user)
        else:
            draft = TakedownRequest.objects.select_for_update().get(pk=draft.pk, agency=reporter.agency)
            if draft.status != Status.DRAFT:
                raise transitions.IllegalTransition(f"{draft.reference} is no longer a draft.")
            _apply_fields(draft, data)
            draft.last_activity_at = timezone.now()
            draft.save()
            RequestItem.objects.filter(request=draft).delete()
            CitedProvision.objects.filter(request=draft).delete()
        _store_items(draft, resolved)
        _cite(draft, resolved.provisions)
    return draft


def draft_add_content(*, reporter: ReporterAccount, content: ContentItem) -> TakedownRequest:
    """The platform's "Report" button: add a post to the reporter's open draft (creating one)."""
    _require_can_file(reporter)
    with transaction.atomic():
        draft = (TakedownRequest.objects.select_for_update()
                 .filter(agency=reporter.agency, submitted_by=reporter.user, status=Status.DRAFT)
                 .order_by("-created_at").first())
        if draft is None:
            draft = request_draft_save(reporter=reporter, data=RequestInput())
        if not draft.items.filter(content=content).exists():
            last = draft.items.order_by("-position").values_list("position", flat=True).first() or 0
            _item(draft, last + 1, content).save()
            TakedownRequest.objects.filter(pk=draft.pk).update(last_activity_at=timezone.now())
    return draft


def draft_input(draft: TakedownRequest) -> RequestInput:
    """The stored draft as input, for re-validation on submit and for the edit form."""
    return RequestInput(
        items=[ItemInput(content_id=item.content.code if item.content else "", url="" if item.content else item.url)
               for item in draft.items.select_related("content")],
        category=draft.category,
        legal_basis=[c.provision.code for c in draft.citations.select_related("provision")],
        requested_action=draft.requested_action,
        justification=draft.justification,
        urgency=draft.urgency,
        court_order=CourtOrderInput(draft.court_name, draft.court_case_number, draft.court_order_date),
        confidentiality_requested=draft.confidentiality_requested,
    )


def request_submit(*, reporter: ReporterAccount, draft: TakedownRequest) -> TakedownRequest:
    """Submit a draft: validate it in full, snapshot its items, and send it to screening."""
    _require_can_file(reporter)
    with transaction.atomic():
        draft = TakedownRequest.objects.select_for_update().get(pk=draft.pk, agency=reporter.agency)
        resolved = _validate(draft_input(draft), exercise=reporter.exercise)
        now = timezone.now()
        transitions.apply(draft, "submit", submitted_at=now)
        # Snapshots are taken again at submission: what counts is the post as it was when filed.
        items = list(draft.items.select_related("content__author"))
        for item in items:
            if item.content is not None:
                item.snapshot = content_snapshot(item.content)
                item.snapshot_sha256 = snapshot_hash(item.snapshot)
        RequestItem.objects.bulk_update(items, ["snapshot", "snapshot_sha256"])
        events.request_submitted_event(request=draft, actor=reporter.user, items=items, provisions=resolved.provisions,
                                       evidence=list(draft.evidence.all()))
        _enqueue_after_commit(draft.pk)
    return draft


# --- The requester's later actions ----------------------------------------------------------

def _own_request_locked(reporter: ReporterAccount, request: TakedownRequest) -> TakedownRequest:
    return TakedownRequest.objects.select_for_update().get(pk=request.pk, agency=reporter.agency)


def _message_body(body: str, field_name: str = "message") -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput({field_name: ["Write a message."]})
    if len(body) > MAX_MESSAGE_CHARS:
        raise InvalidInput({field_name: [f"At most {MAX_MESSAGE_CHARS} characters."]})
    return body


RESPONSE_FIELDS = ("items", "category", "legal_basis", "requested_action", "justification", "court_order")


def request_respond(*, reporter: ReporterAccount, request: TakedownRequest, message: str,
                    changes: dict | None = None) -> TakedownRequest:
    """Answer a request for information, optionally correcting the request; it is screened again.

    ``changes`` may hold any of RESPONSE_FIELDS with the same meaning as at filing.
    """
    _require_can_file(reporter)
    body = _message_body(message)
    changes = changes or {}
    unknown = sorted(set(changes) - set(RESPONSE_FIELDS))
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed in a response."] for name in unknown})
    with transaction.atomic():
        request = _own_request_locked(reporter, request)
        if not transitions.can("respond", request.status):
            raise transitions.IllegalTransition(f"{request.reference} is not waiting for information.")
        current = draft_input(request)
        for name, value in changes.items():
            setattr(current, name, value)
        resolved = _validate(current, exercise=request.exercise)
        _apply_fields(request, current)
        request.save(update_fields=["category", "requested_action", "justification", "urgency",
                                    "confidentiality_requested", "court_name", "court_case_number",
                                    "court_order_date"])
        if "items" in changes:
            if request.decisions.exists():
                raise InvalidInput({"items": ["Items already decided on cannot be replaced."]})
            RequestItem.objects.filter(request=request).delete()
            _store_items(request, resolved)
        if "legal_basis" in changes:
            CitedProvision.objects.filter(request=request).delete()
            _cite(request, resolved.provisions)
        reply = RequestMessage.objects.create(request=request, kind=RequestMessage.Kind.INFO_RESPONSE,
                                              author=reporter.user, body=body)
        transitions.apply(request, "respond", missing_parts=[], queue="", priority=None, sla_due_at=None,
                          sla_breached=False)
        events.info_provided_event(request=request, actor=reporter.user, message_id=reply.pk,
                                   changed_fields=sorted(changes))
        _enqueue_after_commit(request.pk)
    return request


def request_withdraw(*, reporter: ReporterAccount, request: TakedownRequest, reason: str = "") -> TakedownRequest:
    """Withdraw a request before it is decided."""
    _require_can_file(reporter)
    with transaction.atomic():
        request = _own_request_locked(reporter, request)
        previous = request.status
        if len(reason) > MAX_MESSAGE_CHARS:
            raise InvalidInput({"reason": [f"At most {MAX_MESSAGE_CHARS} characters."]})
        transitions.apply(request, "withdraw", claimed_by=None, claimed_at=None, closed_at=timezone.now())
        events.request_withdrawn_event(request=request, actor=reporter.user, previous_status=previous,
                                       reason=reason.strip())
    return request


MAX_RECONSIDERATIONS = 1


def request_reconsider(*, reporter: ReporterAccount, request: TakedownRequest, message: str) -> TakedownRequest:
    """Ask once for a decided request to be reviewed again, with reasons; it returns to its queue."""
    from review.routing import sla_due

    _require_can_file(reporter)
    body = _message_body(message)
    with transaction.atomic():
        request = _own_request_locked(reporter, request)
        if request.status == Status.DECIDED and request.review_round > MAX_RECONSIDERATIONS:
            raise NotAllowed(f"{request.reference} has already been reconsidered once; the decision is final.")
        note = RequestMessage.objects.create(request=request, kind=RequestMessage.Kind.RECONSIDERATION,
                                             author=reporter.user, body=body)
        now = timezone.now()
        transitions.apply(request, "reconsider", outcome="", decided_at=None,
                          sla_due_at=sla_due(request.priority or 3, now), sla_breached=False,
                          review_round=request.review_round + 1)
        events.reconsideration_requested_event(request=request, actor=reporter.user, message_id=note.pk)
    return request


def request_close(*, request: TakedownRequest, reason: str, actor=None) -> TakedownRequest:
    with transaction.atomic():
        transitions.apply(request, "close", closed_at=timezone.now())
        events.request_closed_event(request=request, actor=actor, reason=reason)
    return request


# --- Evidence -------------------------------------------------------------------------------

# Files are recognised by their first bytes, not by their names or the browser's claim.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
EVIDENCE_OPEN_STATES = (Status.DRAFT, Status.SUBMITTED, Status.SCREENING, Status.NEEDS_INFO, Status.QUEUED,
                        Status.IN_REVIEW)


def sniff_file_type(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


def evidence_attach(*, reporter: ReporterAccount, request: TakedownRequest, upload, kind: str = "supporting"):
    """Store an uploaded PDF, PNG or JPEG (at most 5 MB) privately under a generated name."""
    from django.conf import settings as django_settings
    from django.core.files.base import ContentFile

    from reports.models import Evidence, EvidenceKind

    _require_can_file(reporter)
    if kind not in EvidenceKind.values:
        raise InvalidInput({"kind": ["Use supporting or court_order."]})
    size = upload.size or 0
    if size == 0:
        raise InvalidInput({"file": ["The file is empty."]})
    if size > django_settings.EVIDENCE_MAX_BYTES:
        raise InvalidInput({"file": [f"The file is {size / 1024 / 1024:.1f} MB; the limit is 5 MB."]})
    upload.seek(0)
    data = upload.read()
    sniffed = sniff_file_type(data[:16])
    if sniffed is None:
        raise InvalidInput({"file": ["Only PDF, PNG and JPEG files are accepted; this file is none of them."]})
    content_type, extension = sniffed
    original = re.sub(r"[^\w.\- ]+", "_", (getattr(upload, "name", "") or "evidence").rsplit("/", 1)[-1])[:200]
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        request = _own_request_locked(reporter, request)
        if request.status not in EVIDENCE_OPEN_STATES:
            raise transitions.IllegalTransition(f"{request.reference} is decided; evidence can no longer be added.")
        evidence = Evidence(request=request, kind=kind, original_name=original or "evidence",
                            content_type=content_type, size=len(data), sha256=digest, uploaded_by=reporter.user)
        # The stored name is generated: nothing the uploader typed reaches the filesystem.
        evidence.file.save(f"{request.reference}-{digest[:16]}.{extension}", ContentFile(data), save=False)
        evidence.save()
        if request.status != Status.DRAFT:
            events.evidence_added_event(evidence=evidence, actor=reporter.user)
    return evidence


# --- Bulk filing with an Idempotency-Key ------------------------------------------------------

def bulk_file_idempotent(*, reporter: ReporterAccount, batch: Sequence[RequestInput], idempotency_key: str | None,
                         body_sha256: str) -> tuple[dict, bool]:
    """File a batch once per Idempotency-Key. Returns (response, replayed).

    A retry with the same key and body returns the stored response and files nothing;
    the same key with a different body is refused. The stored answer is written in
    the same transaction as the requests, so a crash leaves either both or neither.
    """
    from reports.models import BulkSubmission

    if idempotency_key is not None and not (0 < len(idempotency_key) <= 200):
        raise InvalidInput({"Idempotency-Key": ["A key has 1 to 200 characters."]})

    def stored() -> tuple[dict, bool] | None:
        if not idempotency_key:
            return None
        previous = BulkSubmission.objects.filter(agency=reporter.agency, idempotency_key=idempotency_key).first()
        if previous is None:
            return None
        if previous.body_sha256 != body_sha256:
            raise InvalidInput({"Idempotency-Key": ["This key was used for a different batch; use a new key."]},
                               "Idempotency-Key reused with a different body.")
        return previous.response, True

    replay = stored()
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            results = requests_file_bulk(reporter=reporter, batch=batch)
            response = {"results": [{"reference": r.reference, "status": r.status, "created": created}
                                    for r, created in results]}
            if idempotency_key:
                BulkSubmission.objects.create(agency=reporter.agency, idempotency_key=idempotency_key,
                                              body_sha256=body_sha256, response=response)
        return response, False
    except IntegrityError:
        # The same key raced in from a retry; its transaction won and ours rolled back whole.
        replay = stored()
        if replay is None:
            raise
        return replay
