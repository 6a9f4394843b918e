"""What the uniform workflow records: the rules it ran, each screening, each check, each decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reports.models import RequestedAction


def _in(field: str, values) -> Q:
    return Q(**{f"{field}__in": list(values)})


class RuleSetState(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class CheckName(models.TextChoices):
    COMPLETENESS = "completeness", "Completeness"
    PLATFORM_POLICY = "platform_policy", "Platform policy"
    LOCAL_LAW = "local_law", "Local law"
    HUMAN_RIGHTS = "human_rights", "Human rights"


class DecisionAction(models.TextChoices):
    REMOVE_GLOBALLY = RequestedAction.REMOVE_GLOBALLY.value, "Remove globally (violates platform policy)"
    RESTRICT_IN_JURISDICTION = (
        RequestedAction.RESTRICT_IN_JURISDICTION.value,
        "Restrict in the requester's jurisdiction (unlawful locally, passes human-rights review)",
    )
    NO_ACTION = "no_action", "No action"


class ItemOutcome(models.TextChoices):
    """What became of a reported item, as the transparency report and the debrief count it."""

    REMOVED_POLICY_VIOLATION = "removed_policy_violation", "Removed (platform policy)"
    RESTRICTED_LOCALLY = "restricted_locally", "Restricted locally"
    NO_ACTION = "no_action", "No action"
    PENDING = "pending", "Pending"


# The one mapping from a reviewer's decision to the outcome it counts as.
ITEM_OUTCOME_OF_ACTION = {
    DecisionAction.REMOVE_GLOBALLY.value: ItemOutcome.REMOVED_POLICY_VIOLATION.value,
    DecisionAction.RESTRICT_IN_JURISDICTION.value: ItemOutcome.RESTRICTED_LOCALLY.value,
    DecisionAction.NO_ACTION.value: ItemOutcome.NO_ACTION.value,
}


class DecisionReason(models.TextChoices):
    POLICY_VIOLATION = "policy_violation", "Violates platform policy"
    UNLAWFUL_LOCALLY = "unlawful_locally", "Unlawful under the cited local law"
    NOT_UNLAWFUL = "not_unlawful", "Not shown to be unlawful"
    HUMAN_RIGHTS = "human_rights", "Restriction fails the human-rights test"
    NOT_SPECIFIC = "not_specific", "Request not specific enough"
    NEEDS_COURT_ORDER = "needs_court_order", "A court order is needed"
    ALREADY_REMOVED = "already_removed", "Already removed"
    NOT_FOUND = "not_found", "Content not found"
    OUT_OF_SCOPE = "out_of_scope", "Outside the requester's jurisdiction"


class RuleSet(models.Model):
    """A version of the workflow's rule data: community standards, red flags, routing.

    Rules are data, not code branches. Exactly one version is active; activating
    another is an audited act of an administrator (review.services.ruleset_activate).
    """

    State = RuleSetState

    version = models.CharField(max_length=20, unique=True)
    description = models.TextField(blank=True)
    data = models.JSONField()
    data_sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CANDIDATE)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["state"], condition=Q(state="active"), name="one_active_ruleset"),
            models.CheckConstraint(condition=_in("state", RuleSetState.values), name="ruleset_state_valid"),
        ]

    def __str__(self) -> str:
        return f"rules {self.version} ({self.state})"


class ScreeningRun(models.Model):
    """One pass of a request through the automated checks, with the exact input they read.

    Keeping the input makes a shadow run of a candidate rule version a replay, not a guess.
    """

    request = models.ForeignKey("reports.TakedownRequest", on_delete=models.PROTECT, related_name="screenings")
    round = models.PositiveIntegerField()
    workflow_version = models.CharField(max_length=20)
    rules_version = models.CharField(max_length=20)
    check_input = models.JSONField()
    route = models.JSONField()
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request_id", "round"]
        constraints = [models.UniqueConstraint(fields=["request", "round"], name="screening_round_once")]


class CheckResult(models.Model):
    """The outcome of one automated check: a verdict, machine-readable flags, an explanation."""

    Name = CheckName

    screening = models.ForeignKey(ScreeningRun, on_delete=models.PROTECT, related_name="checks")
    request = models.ForeignKey("reports.TakedownRequest", on_delete=models.PROTECT, related_name="check_results")
    round = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=20, choices=Name.choices)
    version = models.CharField(max_length=20)
    verdict = models.CharField(max_length=20)
    flags = models.JSONField(default=list)
    findings = models.JSONField(default=dict)
    explanation = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request_id", "round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "round", "name"], name="check_result_once_per_round"),
            models.CheckConstraint(condition=_in("name", CheckName.values), name="check_name_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.verdict}"


NOT_ASSESSED = {"verdict": "not_assessed", "rules": []}


def item_policy(policy_check: CheckResult | None, position: int) -> dict:
    """The platform-policy check's finding on one item: its verdict and the community standards it matched.

    ``not_assessed`` when there is no such check yet or the item named no post. The request-level
    verdict is the most serious of the items' (review/checks/platform_policy.py), so an item may read
    "no violation" while the request reads "unclear" because of another item.
    """
    findings = policy_check.findings.get("items", []) if policy_check is not None else []
    return next((entry for entry in findings if entry["position"] == position), dict(NOT_ASSESSED))


class Decision(models.Model):
    """A reviewer's decision on one item, with a required rationale.

    One decision per item per review round: a reconsideration opens a new round,
    and the earlier decision stays on record.
    """

    Action = DecisionAction
    Reason = DecisionReason

    request = models.ForeignKey("reports.TakedownRequest", on_delete=models.PROTECT, related_name="decisions")
    item = models.ForeignKey("reports.RequestItem", on_delete=models.PROTECT, related_name="decisions")
    round = models.PositiveIntegerField()
    action = models.CharField(max_length=30, choices=Action.choices)
    reason_code = models.CharField(max_length=30, choices=Reason.choices)
    rationale = models.TextField(max_length=5000)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer_tier = models.CharField(max_length=30)
    contradicts_checks = models.BooleanField(default=False)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request_id", "round", "item__position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "round"], name="one_decision_per_item_per_round"),
            models.CheckConstraint(condition=_in("action", DecisionAction.values), name="decision_action_valid"),
            models.CheckConstraint(condition=_in("reason_code", DecisionReason.values), name="decision_reason_valid"),
            models.CheckConstraint(condition=~Q(rationale=""), name="decision_rationale_required"),
        ]

    def __str__(self) -> str:
        return f"{self.action} ({self.reason_code})"
