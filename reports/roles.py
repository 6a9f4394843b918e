"""The roles people play, as Django groups. Created with their permissions by a migration."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

POLICY_REVIEWER = "policy_reviewer"
LEGAL_REVIEWER = "legal_reviewer"
HUMAN_RIGHTS_REVIEWER = "human_rights_reviewer"
SENIOR_REVIEWER = "senior_reviewer"
AUDITOR = "auditor"
INSTRUCTOR = "instructor"
PLATFORM_STAFF = "platform_staff"

GROUP_NAMES = {
    POLICY_REVIEWER: "Reviewers: platform policy",
    LEGAL_REVIEWER: "Reviewers: local law",
    HUMAN_RIGHTS_REVIEWER: "Reviewers: human rights",
    SENIOR_REVIEWER: "Reviewers: senior",
    AUDITOR: "Auditors",
    INSTRUCTOR: "Instructors",
    PLATFORM_STAFF: "Platform staff",
}

REVIEWER_TIERS = (POLICY_REVIEWER, LEGAL_REVIEWER, HUMAN_RIGHTS_REVIEWER, SENIOR_REVIEWER)

# Which tier works which queue (queue codes from reports.models.Queue).
QUEUE_TIER = {"policy": POLICY_REVIEWER, "legal": LEGAL_REVIEWER, "human_rights": HUMAN_RIGHTS_REVIEWER}

REPORTER = "reporter"
SYSTEM = "system"
ADMINISTRATOR = "administrator"


def group_codes(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    names = set(user.groups.values_list("name", flat=True))
    return {code for code, name in GROUP_NAMES.items() if name in names}


def has_role(user, code: str) -> bool:
    return code in group_codes(user)


def reviewer_tiers(user) -> list[str]:
    codes = group_codes(user)
    return [tier for tier in REVIEWER_TIERS if tier in codes]


def role_of(user) -> str:
    """The role an audit event records for this person (the most specific one they hold)."""
    if user is None or not user.is_authenticated:
        return SYSTEM
    if hasattr(user, "reporter_account"):
        return REPORTER
    tiers = reviewer_tiers(user)
    if tiers:
        return tiers[-1]
    codes = group_codes(user)
    for code in (AUDITOR, INSTRUCTOR, PLATFORM_STAFF):
        if code in codes:
            return code
    return ADMINISTRATOR if user.is_superuser else "staff"
