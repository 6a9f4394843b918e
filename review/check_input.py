"""The check input: everything the automated checks may read about a request, and nothing more.

It is stored with each screening (review.models.ScreeningRun.check_input) so that a
candidate rule version can be replayed over past requests. Deliberately absent:
the agency, the person who filed, the authority type. The requester's jurisdiction
is present for one reason only: the local-law check compares it with the cited provisions'.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from reports.models import CitedProvision, TakedownRequest


def with_check_input(requests: QuerySet) -> QuerySet:
    """``requests`` with everything ``build_check_input`` reads, in a fixed number of queries however many."""
    return requests.select_related("agency").prefetch_related(
        "items", Prefetch("citations", queryset=CitedProvision.objects.select_related("provision")))


def build_check_input(request: TakedownRequest) -> dict:
    """The check input of ``request``; load it through ``with_check_input`` or each relation costs a query."""
    items = []
    for item in request.items.all():
        snapshot = item.snapshot or {}
        items.append({
            "position": item.position,
            "resolved": item.content_id is not None,
            "url": item.url or snapshot.get("url", ""),
            "text": snapshot.get("text", ""),
            "posted_on": snapshot["posted_at"][:10] if snapshot.get("posted_at") else None,
            "persona": snapshot.get("author_persona", ""),
            "language": snapshot.get("language", ""),
            "country": snapshot.get("country", ""),
        })
    provisions = [
        {
            "code": p.code,
            "jurisdiction": p.jurisdiction_id,
            "title": p.title,
            "description": p.description,
            "categories": list(p.categories),
            "in_force_from": p.in_force_from.isoformat(),
            "in_force_until": p.in_force_until.isoformat() if p.in_force_until else None,
            "concern": p.concern,
        }
        for p in (citation.provision for citation in request.citations.all())
    ]
    court_order = None
    if request.has_court_order:
        court_order = {"court": request.court_name, "case_number": request.court_case_number,
                       "date": request.court_order_date.isoformat() if request.court_order_date else None}
    return {
        "request": {
            "category": request.category,
            "requested_action": request.requested_action,
            "urgency": request.urgency,
            "justification_chars": len(request.justification.strip()),
            "confidentiality_requested": request.confidentiality_requested,
            "submitted_on": request.submitted_at.date().isoformat(),
            "jurisdiction": request.agency.jurisdiction_id,
            "court_order": court_order,
        },
        "items": items,
        "provisions": provisions,
    }
