"""Filing a complete request in one step: the API, the bulk API and ``manage.py simulate``.

Every government's request is stored, checked and enqueued the same way. Each service runs
in one transaction, writes its audit event in it, and enqueues screening only after commit. (A
single filing of a few rows is one statement on PostgreSQL, which is its own transaction.)
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit import events
from filing.inputs import Catalog, RequestInput, Resolved, validate_input
from filing.services.storing import (
    fields_apply,
    new_citations,
    new_items,
    related_known,
    require_can_file,
    reserve_ids,
)
from reports.errors import InvalidInput
from reports.models import (
    BulkSubmission,
    CitedProvision,
    ReporterAccount,
    RequestItem,
    Status,
    SubmissionMethod,
    TakedownRequest,
)
from review import dispatch

# A bulk call that loses a race on an external id looks again; each retry finds the winner filed.
BULK_RACE_ATTEMPTS = 3


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
    require_can_file(reporter)
    existing = _existing_by_external_id(reporter, data.external_id)
    if existing is not None:
        return existing, False
    try:
        with _filing_transaction(data):
            return _file_now(reporter=reporter, data=data, method=method), True
    except IntegrityError:
        # Two identical filings raced; the unique (agency, external_id) constraint let one win.
        existing = _existing_by_external_id(reporter, data.external_id)
        if existing is None:
            raise
        return existing, False


def _filing_transaction(data: RequestInput):
    """The transaction a single filing runs in: none of its own when its rows are one statement.

    Such a filing (PostgreSQL, a few items and citations, outside any caller's transaction) reads
    what it cites, takes its id from the sequence and writes its request, items, citations, event
    and the event's place in the sealing queue in one statement (audit/events.py), which PostgreSQL
    commits or refuses whole. A transaction around it would add only its BEGIN and COMMIT: two
    round trips of the seven an API filing makes. Inside a caller's transaction a savepoint keeps
    that transaction usable when the statement is refused (a raced external id).
    """
    if not connection.in_atomic_block and events.written_in_one_statement(1, len(data.items), len(data.legal_basis)):
        return nullcontext()
    return transaction.atomic()


def _new_request(reporter: ReporterAccount, data: RequestInput, *, method: str, now) -> TakedownRequest:
    request = TakedownRequest(
        exercise=reporter.exercise, agency=reporter.agency, authority_type=reporter.agency.authority_type,
        submitted_by=reporter.user, submission_method=method, external_id=data.external_id or None,
        status=Status.SUBMITTED, submitted_at=now)
    fields_apply(request, data)
    return request


def _file_now(*, reporter: ReporterAccount, data: RequestInput, method: str) -> TakedownRequest:
    resolved = validate_input(data, exercise=reporter.exercise)
    return _file_many(reporter=reporter, entries=[(data, resolved)], method=method)[0]


def requests_file_bulk(*, reporter: ReporterAccount,
                       batch: Sequence[RequestInput]) -> list[tuple[TakedownRequest, bool]]:
    """File up to 100 requests all or nothing; errors are keyed by position (``requests.3.category``).

    Each request is validated as ``request_file`` validates it, and an external id the agency
    already used returns that earlier request (created False). The new requests are stored
    together (a fixed number of queries whatever the batch's size) and sent to screening as one
    task after commit.
    """
    require_can_file(reporter)
    for _attempt in range(BULK_RACE_ATTEMPTS - 1):
        try:
            with transaction.atomic():
                return _file_bulk_once(reporter=reporter, batch=batch)
        except IntegrityError:
            # Another call filed one of these external ids after we looked: look again, and that
            # request is now "earlier" (returned, not filed), as request_file answers a single race.
            continue
    with transaction.atomic():
        return _file_bulk_once(reporter=reporter, batch=batch)


def _file_bulk_once(*, reporter: ReporterAccount,
                    batch: Sequence[RequestInput]) -> list[tuple[TakedownRequest, bool]]:
    errors: dict[str, list[str]] = {}
    ids = [data.external_id for data in batch if data.external_id]
    if len(ids) != len(set(ids)):
        errors["requests"] = ["Two requests in this call share an external_id."]
    earlier = ({r.external_id: r for r in TakedownRequest.objects.filter(agency=reporter.agency, external_id__in=ids)}
               if ids else {})
    catalog = Catalog.load([data for data in batch if data.external_id not in earlier], exercise=reporter.exercise)
    resolved: dict[int, Resolved] = {}
    for index, data in enumerate(batch):
        if data.external_id in earlier:
            continue
        try:
            resolved[index] = validate_input(data, exercise=reporter.exercise, catalog=catalog)
        except InvalidInput as exc:
            for path, messages in exc.fields.items():
                errors[f"requests.{index}.{path}"] = messages
    if errors:
        # Nothing is written: the caller fixes and resends the batch.
        raise InvalidInput(errors, "Nothing was filed: some requests in the batch are invalid.")
    filed = _file_many(reporter=reporter, entries=[(batch[index], resolved[index]) for index in sorted(resolved)],
                       method=SubmissionMethod.BULK)
    new = iter(filed)
    return [(earlier[data.external_id], False) if data.external_id in earlier else (next(new), True)
            for data in batch]


def _file_many(*, reporter: ReporterAccount, entries: list[tuple[RequestInput, Resolved]],
               method: str) -> list[TakedownRequest]:
    """Store validated filings: one INSERT per table whatever their number, one event batch, one task.

    Each request's reference and item count are written with its row (its id is taken from the
    sequence first on PostgreSQL), so a single filing costs no UPDATE either.
    """
    if not entries:
        return []
    now = timezone.now()
    requests = [_new_request(reporter, data, method=method, now=now) for data, _resolved in entries]
    for request, (_data, resolved) in zip(requests, entries, strict=True):
        request.item_count = len(resolved.urls)
    reserved = reserve_ids(TakedownRequest, len(requests))
    if reserved:
        # The references are written with the rows: no second statement to set them.
        for request, pk in zip(requests, reserved, strict=True):
            request.pk, request.reference = pk, TakedownRequest.reference_for(year=now.year, pk=pk)
        items, citations = _related_rows(requests, entries)
        # Written with the events, without compiling through the ORM (the ORM's compiling was most of a
        # single filing's CPU): a few rows are one statement with the events, more a COPY per table.
        written_with = (requests, items, citations)
    else:
        TakedownRequest.objects.bulk_create(requests)
        for request in requests:
            request.reference = TakedownRequest.reference_for(year=now.year, pk=request.pk)
        TakedownRequest.objects.bulk_update(requests, ["reference"])
        items, citations = _related_rows(requests, entries)
        RequestItem.objects.bulk_create(items)
        CitedProvision.objects.bulk_create(citations)
        written_with = ()
    items_of: dict[int, list[RequestItem]] = {}
    for item in items:
        items_of.setdefault(item.request_id, []).append(item)
    citations_of: dict[int, list[CitedProvision]] = {}
    for citation in citations:
        citations_of.setdefault(citation.request_id, []).append(citation)
    submitted = events.request_submitted_events(actor=reporter.user, written_with=written_with, filings=[
        (request, items_of.get(request.pk, []), resolved.provisions)
        for request, (_data, resolved) in zip(requests, entries, strict=True)])
    for item in items:
        related_known(item, decisions=[])
    for request, event in zip(requests, submitted, strict=True):
        # A new request holds what was just written and nothing else: its representation reads none of it again.
        related_known(request, items=items_of.get(request.pk, []), citations=citations_of.get(request.pk, []),
                      check_results=[], messages=[], evidence=[], events=[event])
    dispatch.screening_enqueue_on_commit([request.pk for request in requests])
    return requests


def _related_rows(requests: list[TakedownRequest],
                  entries: list[tuple[RequestInput, Resolved]]) -> tuple[list[RequestItem], list[CitedProvision]]:
    """The new requests' items and citations, made once the requests have their ids."""
    pairs = list(zip(requests, entries, strict=True))
    items = [item for request, (_data, resolved) in pairs for item in new_items(request, resolved)]
    citations = [citation for request, (_data, resolved) in pairs
                 for citation in new_citations(request, resolved.provisions)]
    return items, citations


def bulk_file_idempotent(*, reporter: ReporterAccount, batch: Sequence[RequestInput], idempotency_key: str | None,
                         body_sha256: str) -> tuple[dict, bool]:
    """File a batch once per Idempotency-Key. Returns (response, replayed).

    A retry with the same key and body returns the stored response and files nothing;
    the same key with a different body is refused. The stored answer is written in
    the same transaction as the requests, so a crash leaves either both or neither.
    """
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
