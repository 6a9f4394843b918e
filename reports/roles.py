"""The roles people play, as Django groups. Created with their permissions by a migration."""

from __future__ import annotations

from functools import lru_cache

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import connection

from reports import statements

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

# What each group may do (app label, codename). The migration review/0002_roles.py created
# these groups; ensure_role_groups() restores them where they have been removed.
READ_REQUEST_DATA = [
    ("reports", "view_takedownrequest"), ("reports", "view_requestitem"), ("reports", "view_evidence"),
    ("reports", "view_citedprovision"), ("reports", "view_requestmessage"), ("reports", "view_legalprovision"),
    ("reports", "view_jurisdiction"), ("reports", "view_agency"), ("reports", "view_contentitem"),
    ("reports", "view_platformaccount"), ("reports", "view_contentrestriction"),
    ("review", "view_checkresult"), ("review", "view_screeningrun"), ("review", "view_decision"),
    ("review", "view_ruleset"), ("audit", "view_auditevent"), ("reports", "view_appeal"),
]
REVIEWING = READ_REQUEST_DATA + [("reports", "review_takedownrequest"), ("review", "add_decision"),
                                 ("reports", "decide_appeal")]
ROLE_PERMISSIONS = {
    POLICY_REVIEWER: REVIEWING,
    LEGAL_REVIEWER: REVIEWING,
    HUMAN_RIGHTS_REVIEWER: REVIEWING,
    SENIOR_REVIEWER: REVIEWING,
    AUDITOR: READ_REQUEST_DATA + [("reports", "view_exercise")],
    INSTRUCTOR: READ_REQUEST_DATA + [("reports", "view_exercise"), ("reports", "add_exercise"),
                                     ("reports", "change_exercise"), ("reports", "view_reporteraccount"),
                                     ("reports", "view_exercisemembership"), ("reports", "change_exercisemembership")],
    PLATFORM_STAFF: [("reports", "view_reporteraccount"), ("reports", "change_reporteraccount"),
                     ("reports", "verify_reporteraccount"), ("reports", "view_agency"), ("reports", "change_agency"),
                     ("reports", "view_jurisdiction")],
}

REPORTER = "reporter"
AFFECTED_USER = "affected_user"
SYSTEM = "system"
ADMINISTRATOR = "administrator"
STUDENT = "student"

# Every role an audit event or a decision records, in words (the tiers read as their groups do).
ROLE_LABELS = {
    **GROUP_NAMES,
    POLICY_REVIEWER: "Reviewer: platform policy", LEGAL_REVIEWER: "Reviewer: local law",
    HUMAN_RIGHTS_REVIEWER: "Reviewer: human rights", SENIOR_REVIEWER: "Reviewer: senior",
    AUDITOR: "Auditor", INSTRUCTOR: "Instructor", PLATFORM_STAFF: "Platform staff",
    REPORTER: "Government reporter", AFFECTED_USER: "Affected user", SYSTEM: "The workflow (automated)",
    ADMINISTRATOR: "Administrator", STUDENT: "Student", "staff": "Platform staff",
}


def role_label(code: str) -> str:
    return ROLE_LABELS.get(code, str(code).replace("_", " "))


def group_codes(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The person's roles, from their groups as the database holds them now (every API call asks once)."""
    if not user.is_authenticated:
        return set()
    if connection.vendor == "postgresql":
        with statements.server_bound_cursor() as cursor:
            cursor.execute(_group_names_statement(), [user.pk])
            names = {row[0] for row in cursor.fetchall()}
    else:
        names = set(user.groups.values_list("name", flat=True))
    return {code for code, name in GROUP_NAMES.items() if name in names}


@lru_cache(maxsize=1)
def _group_names_statement() -> str:
    """``user.groups.values_list("name")`` written once."""
    table, column, membership = statements.table, statements.column, Group.user_set.through
    return (f"SELECT g.{column(Group, 'name')} "  # noqa: S608 (names from the models)
            f"FROM {table(Group)} g JOIN {table(membership)} m "
            f"ON m.{column(membership, 'group')} = g.{column(Group, 'pk')} "
            f"WHERE m.{column(membership, 'user')} = %s")


def has_role(user, code: str) -> bool:
    return code in group_codes(user)


def reviewer_tiers(user) -> list[str]:
    codes = group_codes(user)
    return [tier for tier in REVIEWER_TIERS if tier in codes]


def reviewer_may_work(user, queue: str) -> bool:
    """Whether the person's tier works this queue (the senior tier works all three)."""
    tiers = reviewer_tiers(user)
    return SENIOR_REVIEWER in tiers or QUEUE_TIER.get(queue) in tiers


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


def ensure_role_groups() -> dict[str, object]:
    """The role groups with their permissions, created where missing (idempotent)."""
    groups = {}
    for code, permissions in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[code])
        wanted = [Permission.objects.get(content_type__app_label=app, codename=codename)
                  for app, codename in permissions]
        group.permissions.add(*wanted)
        groups[code] = group
    return groups


PERSONAL_DATA_PERMISSION = "reports.view_personal_data"


def is_instructor(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or has_role(user, INSTRUCTOR)))


def is_auditor(user) -> bool:
    return has_role(user, AUDITOR)


# Whether an account holds one permission, given to it or to one of its groups: what Django's model
# backend answers for an active user, in one query instead of loading every permission the account and
# its groups hold (two queries and about 2.5 ms of CPU on every call of the auditors' API).
HOLDS_PERMISSION_SQL = """
    SELECT EXISTS (
        SELECT 1 FROM auth_permission p JOIN django_content_type c ON c.id = p.content_type_id
        WHERE c.app_label = %(app_label)s AND p.codename = %(codename)s AND (
            EXISTS (SELECT 1 FROM auth_user_user_permissions up WHERE up.permission_id = p.id AND up.user_id = %(user)s)
            OR EXISTS (SELECT 1 FROM auth_group_permissions gp JOIN auth_user_groups ug ON ug.group_id = gp.group_id
                       WHERE gp.permission_id = p.id AND ug.user_id = %(user)s)))
"""


def may_see_personal_data(user, *, held: bool | None = None) -> bool:
    """Reporters' usernames and authors' handles in exports: a permission of its own (reports.view_personal_data).

    Answered as ``user.has_perm`` answers with the model backend (an inactive account holds
    nothing, a superuser everything), from the database as it is now. ``held``: whether the account
    or its groups hold the permission, where the caller has just read it (``HOLDS_PERMISSION_SQL``).
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    if held is not None:
        return held
    app_label, codename = PERSONAL_DATA_PERMISSION.split(".")
    with connection.cursor() as cursor:
        cursor.execute(HOLDS_PERMISSION_SQL, {"app_label": app_label, "codename": codename, "user": user.pk})
        return bool(cursor.fetchone()[0])
