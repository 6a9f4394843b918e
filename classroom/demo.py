"""Demo accounts for a classroom: one verified reporter per agency, one person per role, and the author of
the posts most likely to be reported (an affected user, who reads notices and appeals).

Passwords are derived from the installation's SECRET_KEY, so they are stable across
runs (the command is idempotent) yet differ between installations.
"""

from __future__ import annotations

import hashlib
import hmac
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from rest_framework.authtoken.models import Token

from reports import roles
from reports.models import Agency, ExerciseMembership, ExerciseRole, Persona, PlatformAccount, ReporterAccount
from reports.tenancy import exercise_default

STAFF_ACCOUNTS = [
    # (username, role, group code or None for the superuser)
    ("policy-reviewer", roles.POLICY_REVIEWER, roles.POLICY_REVIEWER),
    ("legal-reviewer", roles.LEGAL_REVIEWER, roles.LEGAL_REVIEWER),
    ("hr-reviewer", roles.HUMAN_RIGHTS_REVIEWER, roles.HUMAN_RIGHTS_REVIEWER),
    ("senior-reviewer", roles.SENIOR_REVIEWER, roles.SENIOR_REVIEWER),
    ("platform-staff", roles.PLATFORM_STAFF, roles.PLATFORM_STAFF),
    ("auditor", roles.AUDITOR, roles.AUDITOR),
    ("instructor", roles.INSTRUCTOR, roles.INSTRUCTOR),
    ("admin", roles.ADMINISTRATOR, None),
]
AFFECTED_USER = "affected-user"
# Whose posts governments ask about most in the scenarios: the affected user speaks for one of them.
OFTEN_REPORTED = (Persona.JOURNALIST, Persona.OPPOSITION_ACTIVIST, Persona.NGO)
# Where each role starts working once logged in.
START_PAGES = {roles.REPORTER: "/portal/", roles.AFFECTED_USER: "/platform/", roles.AUDITOR: "/accounts/api/",
               roles.INSTRUCTOR: "/exercises/", roles.PLATFORM_STAFF: "/admin/"}


def demo_password(username: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-account:{username}".encode(), hashlib.sha256).hexdigest()
    return f"demo-{digest[:12]}"


def _password_hashes(usernames: list[str]) -> dict[str, str | None]:
    """The hash to store for each demo account, or None where the stored one already matches.

    Password hashing is deliberately slow; hashlib releases the GIL, so the accounts
    are hashed in parallel threads (no database access happens in them).
    """
    stored = dict(get_user_model().objects.filter(username__in=usernames).values_list("username", "password"))

    def needed(username: str) -> str | None:
        password = demo_password(username)
        if stored.get(username) and check_password(password, stored[username]):
            return None
        return make_password(password)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(usernames, pool.map(needed, usernames), strict=True))


def _user(username: str, *, email: str, staff: bool, new_hash: str | None, superuser: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    changed = created or new_hash is not None
    if new_hash is not None:
        user.password = new_hash
    for field, value in (("is_staff", staff), ("is_superuser", superuser), ("is_active", True)):
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed = True
    if changed:
        user.save()
    return user


def demo_accounts_ensure() -> list[dict]:
    """Create (or leave as they are) the demo accounts; return them as the instructor hands them out."""
    exercise = exercise_default()
    agencies = list(Agency.objects.filter(state=Agency.State.ACTIVE).select_related("jurisdiction"))
    hashes = _password_hashes([f"{a.code}-reporter" for a in agencies] + [name for name, _, _ in STAFF_ACCOUNTS]
                              + [AFFECTED_USER])
    accounts = []
    with transaction.atomic():
        groups = roles.ensure_role_groups()
        for agency in agencies:
            username = f"{agency.code}-reporter"
            user = _user(username, email=f"{username}@gov.example", staff=False, new_hash=hashes[username])
            account, created = ReporterAccount.objects.get_or_create(
                user=user, defaults={"exercise": exercise, "agency": agency,
                                     "official_title": "Content liaison officer",
                                     "work_email": f"{username}@gov.example",
                                     "verification": ReporterAccount.Verification.VERIFIED,
                                     "verified_at": timezone.now()})
            accounts.append(_listed(user, roles.REPORTER, agency=agency.code, jurisdiction=agency.jurisdiction_id,
                                    api_token=Token.objects.get_or_create(user=user)[0].key))
        for username, role, group_code in STAFF_ACCOUNTS:
            user = _user(username, email=f"{username}@platform.example", staff=True, new_hash=hashes[username],
                         superuser=group_code is None)
            if group_code is not None:
                user.groups.add(groups[group_code])
            accounts.append(_listed(user, role, api_token=Token.objects.get_or_create(user=user)[0].key))
        author = _affected_user(exercise, hashes[AFFECTED_USER])
        if author is not None:
            accounts.append(_listed(author.user, roles.AFFECTED_USER, speaks_for=f"@{author.platform_account.handle}"))
    return accounts


def _listed(user, role: str, *, agency: str | None = None, jurisdiction: str | None = None,
            api_token: str | None = None, speaks_for: str | None = None) -> dict:
    """One account as the instructor hands it out: the role in words and where it starts."""
    username = user.get_username()
    return {"role": role, "role_label": roles.role_label(role), "username": username,
            "password": demo_password(username), "start": START_PAGES.get(role, "/admin/"),
            "api_token": api_token, "agency": agency, "jurisdiction": jurisdiction, "speaks_for": speaks_for}


def _affected_user(exercise, new_hash: str | None) -> ExerciseMembership | None:
    """The author of the scenario's most-posted journalist or activist account, kept once chosen."""
    user = _user(AFFECTED_USER, email=f"{AFFECTED_USER}@people.example", staff=False, new_hash=new_hash)
    membership = ExerciseMembership.objects.select_related("platform_account").filter(user=user).first()
    if membership is not None and membership.exercise_id == exercise.pk:
        return membership
    account = (PlatformAccount.objects.filter(exercise=exercise, persona__in=OFTEN_REPORTED, members__isnull=True)
               .annotate(post_count=Count("posts")).order_by("-post_count", "handle").first())
    if account is None:
        return None
    if membership is not None:  # left over from another exercise (a scenario reloaded)
        membership.delete()
    return ExerciseMembership.objects.create(user=user, exercise=exercise, role=ExerciseRole.AFFECTED_USER,
                                             platform_account=account, assigned_at=timezone.now())


def login_table(accounts: list[dict]) -> list[str]:
    """The accounts as lines to read out or print: role in words, username, password, where it starts."""
    role_width = max(len(a["role_label"]) for a in accounts)
    name_width = max(len(a["username"]) for a in accounts)
    lines = []
    for account in accounts:
        who = account["agency"] and f"{account['agency']}, {account['jurisdiction']}" or account["speaks_for"]
        lines.append(f"{account['role_label']:<{role_width}}  {account['username']:<{name_width}}  "
                     f"{account['password']}  starts at {account['start']}" + (f"  ({who})" if who else ""))
    return lines
