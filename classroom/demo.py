"""Demo accounts for a classroom: one verified reporter per agency, one person per role.

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
from django.utils import timezone
from rest_framework.authtoken.models import Token

from reports import roles
from reports.models import Agency, ReporterAccount
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
    hashes = _password_hashes([f"{a.code}-reporter" for a in agencies] + [name for name, _, _ in STAFF_ACCOUNTS])
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
            accounts.append({"role": roles.REPORTER, "username": username, "password": demo_password(username),
                             "api_token": Token.objects.get_or_create(user=user)[0].key, "agency": agency.code,
                             "jurisdiction": agency.jurisdiction_id})
        for username, role, group_code in STAFF_ACCOUNTS:
            user = _user(username, email=f"{username}@platform.example", staff=True, new_hash=hashes[username],
                         superuser=group_code is None)
            if group_code is not None:
                user.groups.add(groups[group_code])
            accounts.append({"role": role, "username": username, "password": demo_password(username),
                             "api_token": Token.objects.get_or_create(user=user)[0].key, "agency": None,
                             "jurisdiction": None})
    return accounts
