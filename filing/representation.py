"""A takedown request as the reporters' API shows it: plain dictionaries, ready for JSON.

The request's serializers (filing/serializers.py) declare these shapes for the schema and the
documentation; the values are made here, once per answer, without DRF's field objects. DRF makes
and binds a field object per attribute for every request, item, message and piece of evidence it
shows, which was a quarter of a filing's CPU. tests/filing/test_representation.py holds these
functions to DRF's own rendering of the same serializers, key for key and value for value.

Each function reads only relations the caller has loaded (``request_detail_queryset``, or the rows
a filing has just written), apart from the timeline's seal.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from reports.models import RequestItem, RequestMessage, TakedownRequest
from review.timeline import request_timeline


def when(value: datetime | None) -> str | None:
    """A time as DRF writes it: ISO 8601 in the site's time zone, UTC as ``Z``."""
    if value is None:
        return None
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value) -> str | None:
    return None if value is None else str(value)


def request_summary(request: TakedownRequest) -> dict:
    """The fields a list of requests shows (``RequestSummarySerializer``)."""
    return {
        "reference": _text(request.reference),
        "status": _text(request.status),
        "agency": request.agency.code,
        "jurisdiction": request.agency.jurisdiction_id,
        "category": _text(request.category),
        "requested_action": _text(request.requested_action),
        "urgency": _text(request.urgency),
        "submission_method": _text(request.submission_method),
        "external_id": request.external_id,
        "queue": _text(request.queue),
        "priority": request.priority,
        "sla_due_at": when(request.sla_due_at),
        "outcome": _text(request.outcome),
        "created_at": when(request.created_at),
        "submitted_at": when(request.submitted_at),
        "decided_at": when(request.decided_at),
        "last_activity_at": when(request.last_activity_at),
    }


def request_detail(request: TakedownRequest, *, just_filed: bool = False) -> dict:
    """Everything a reporter sees of one request (``RequestDetailSerializer``).

    ``just_filed``: the request was filed by this call and holds the rows written with it; its
    events are not in the log yet.
    """
    return {
        **request_summary(request),
        "authority_type": _text(request.authority_type),
        "legal_basis": legal_basis(request),
        "justification": request.justification,
        "court_order": court_order(request),
        "confidentiality_requested": request.confidentiality_requested,
        "workflow_version": request.workflow_version,
        "rules_version": request.rules_version,
        "screening_round": request.screening_round,
        "review_round": request.review_round,
        "missing_parts": request.missing_parts,
        "checks": checks(request),
        "items": [_item(item) for item in request.items.all()],
        "messages": [{"kind": _text(message.kind), "body": message.body, "created_at": when(message.created_at),
                      "from_platform": from_platform(message)} for message in request.messages.all()],
        "evidence": [{"id": piece.pk, "kind": _text(piece.kind), "original_name": piece.original_name,
                      "content_type": piece.content_type, "size": piece.size, "sha256": piece.sha256,
                      "uploaded_at": when(piece.uploaded_at)} for piece in request.evidence.all()],
        "timeline": timeline(request, just_filed=just_filed),
    }


def legal_basis(request: TakedownRequest) -> list[str]:
    return [citation.provision.code for citation in request.citations.all()]


def court_order(request: TakedownRequest) -> dict | None:
    if not request.has_court_order:
        return None
    return {"court": request.court_name, "case_number": request.court_case_number,
            "date": _day(request.court_order_date)}


def checks(request: TakedownRequest) -> list[dict]:
    """The latest screening round's checks: what the current route rests on."""
    return [{"name": result.name, "version": result.version, "verdict": _text(result.verdict),
             "flags": [None if flag is None else str(flag) for flag in result.flags],
             "explanation": result.explanation, "round": result.round}
            for result in request.check_results.all() if result.round == request.screening_round]


def decision(item: RequestItem) -> dict | None:
    """The item's decision in the latest round that has one."""
    decisions = list(item.decisions.all())
    if not decisions:
        return None
    latest = decisions[-1]
    return {"action": _text(latest.action), "reason_code": _text(latest.reason_code), "rationale": latest.rationale,
            "round": latest.round, "decided_at": when(latest.decided_at)}


def from_platform(message: RequestMessage) -> bool:
    return message.kind == RequestMessage.Kind.INFO_REQUEST


def timeline(request: TakedownRequest, *, just_filed: bool = False) -> list[dict]:
    return [{"at": when(entry.at), "type": entry.type, "title": entry.title, "detail": entry.detail,
             "event_uid": entry.event_uid, "log_index": entry.log_index, "checkpoint": entry.checkpoint}
            for entry in request_timeline(request, just_written=just_filed)]


def item_content_id(item: RequestItem) -> str | None:
    return item.content.code if item.content_id else None


def _item(item: RequestItem) -> dict:
    return {"position": item.position, "content_id": item_content_id(item), "url": item.url,
            "snapshot": item.snapshot, "snapshot_sha256": item.snapshot_sha256, "decision": decision(item)}
