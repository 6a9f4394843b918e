"""The record: who may ask, about what content, and what was asked.

Every government files through the same tables with the same fields. There is no
column anywhere that gives one agency or jurisdiction more access than another:
access is one tier, and ``tests/reports/test_models.py`` checks that the schema stays so.

One module per concept; everything is importable from ``reports.models`` as Django expects.
"""

from reports.models.accounts import ReporterAccount, Verification
from reports.models.appeals import Appeal, AppealStatus
from reports.models.common import choice_in, evidence_storage
from reports.models.exercises import Exercise, ExerciseMembership, ExerciseRole, ExerciseState
from reports.models.law import Agency, AgencyState, AuthorityType, Category, Jurisdiction, LegalProvision
from reports.models.platform import ContentItem, ContentRestriction, Persona, PlatformAccount
from reports.models.requests import (
    BulkSubmission,
    CitedProvision,
    Evidence,
    EvidenceKind,
    MessageKind,
    Outcome,
    Queue,
    RequestedAction,
    RequestItem,
    RequestMessage,
    Status,
    SubmissionMethod,
    TakedownRequest,
    Urgency,
)

__all__ = [
    "Agency", "AgencyState", "Appeal", "AppealStatus", "AuthorityType", "BulkSubmission", "Category", "CitedProvision",
    "ContentItem", "ContentRestriction", "Evidence", "EvidenceKind", "Exercise", "ExerciseMembership", "ExerciseRole",
    "ExerciseState", "Jurisdiction", "LegalProvision", "MessageKind", "Outcome", "Persona", "PlatformAccount", "Queue",
    "ReporterAccount", "RequestItem", "RequestMessage", "RequestedAction", "Status", "SubmissionMethod",
    "TakedownRequest", "Urgency", "Verification", "choice_in", "evidence_storage",
]
