"""The audit trail's event types in words, for pages (the admin's list of events, and the request's timeline
where an event's title is its name alone).

The record, the API and the exports keep the codes, which auditors filter and cite.
"""

from __future__ import annotations

EVENT_NAMES = {
    "request_drafted": "Draft created",
    "request_submitted": "Request submitted",
    "evidence_added": "Evidence added",
    "screening_started": "Automated screening started",
    "check_completed": "Check completed",
    "request_routed": "Routed to a review queue",
    "screening_reenqueued": "Screening resumed",
    "info_requested": "Information requested",
    "info_provided": "Information provided",
    "request_withdrawn": "Withdrawn by the requester",
    "reconsideration_requested": "Reconsideration requested",
    "request_closed": "Request closed",
    "request_claimed": "Review started",
    "claim_released": "Returned to the queue",
    "claim_expired": "Claim expired, returned to the queue",
    "request_escalated": "Escalated to another queue",
    "sla_breached": "Past its service-level time",
    "item_decided": "Item decided",
    "request_decided": "Request decided",
    "appeal_filed": "Appeal filed by an affected user",
    "appeal_decided": "Appeal decided",
    "reporter_registered": "Reporter account registered",
    "reporter_pending": "Reporter account back to pending verification",
    "reporter_verified": "Reporter account verified",
    "reporter_rejected": "Reporter account rejected",
    "api_token_issued": "API token issued",
    "api_token_revoked": "API token revoked",
    "ruleset_activated": "Workflow rules activated",
    "export_created": "Export made",
    "agency_accepted": "Proposed agency accepted",
    "agency_rejected": "Proposed agency turned down",
    "agency_proposed": "Agency proposed again",
    "exercise_created": "Exercise created",
    "exercise_joined": "Exercise joined",
    "exercise_role_assigned": "Exercise role assigned",
    "exercise_opened": "Exercise opened",
    "exercise_closed": "Exercise closed",
}


def event_name(event_type: str) -> str:
    """``check_completed`` as "Check completed"; a type without a name by its words."""
    return EVENT_NAMES.get(event_type) or str(event_type).replace("_", " ").capitalize()
