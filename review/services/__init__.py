"""Every write of the review workflow, for the admin, the Celery tasks and the management commands.

One module per concept: ``screening`` (the checks and the route), ``claims`` (claiming, releasing,
escalating, asking the requester, SLA breaches), ``decisions`` (items, outcomes, closing),
``appeals`` (affected users' appeals), ``rulesets`` (rule versions). Import from here.
"""

from review.services.appeals import DECIDE_PERMISSION, appeal_decide, appeal_file, appealable_decision
from review.services.claims import (
    ESCALATION_TARGETS,
    claims_expire,
    request_ask_info,
    request_claim,
    request_claim_next,
    request_escalate,
    request_release,
    sla_watch,
)
from review.services.decisions import (
    ACTION_REASONS,
    decided_requests_close,
    item_decide,
    reasons_for,
    request_close,
)
from review.services.rulesets import ruleset_activate, ruleset_default_install, ruleset_store
from review.services.screening import (
    request_screen,
    requests_screen,
    stuck_requests_sweep,
    submitted_requests_screen,
)

__all__ = [
    "ACTION_REASONS", "DECIDE_PERMISSION", "ESCALATION_TARGETS", "appeal_decide", "appeal_file",
    "appealable_decision", "claims_expire", "decided_requests_close", "item_decide", "reasons_for",
    "request_ask_info", "request_claim", "request_claim_next", "request_close", "request_escalate",
    "request_release", "request_screen", "requests_screen", "ruleset_activate",
    "ruleset_default_install", "ruleset_store", "sla_watch", "stuck_requests_sweep", "submitted_requests_screen",
]
