"""The accounts the web benchmarks act as: a verified reporter (password and token) and an auditor (token)."""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "bench-password-not-secret"  # noqa: S105 (a benchmark account on a benchmark database)


@dataclass
class Accounts:
    reporter: str
    reporter_token: str
    auditor_token: str
    content_ids: list[str]
    provisions: list[str]
    category: str


def bench_accounts() -> Accounts:
    """Create (or reuse) the benchmark's reporter and auditor; Django must be set up."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from reports.models import Agency, ContentItem, LegalProvision, ReporterAccount
    from reports.roles import AUDITOR, ensure_role_groups
    from reports.tenancy import exercise_default

    exercise = exercise_default()
    users = get_user_model().objects
    agency = (Agency.objects.filter(state=Agency.State.ACTIVE, jurisdiction__code="KZ").first()
              or Agency.objects.filter(state=Agency.State.ACTIVE).first())
    reporter, _ = users.get_or_create(username="bench-reporter")
    reporter.set_password(PASSWORD)
    reporter.save()
    ReporterAccount.objects.get_or_create(user=reporter, defaults={
        "exercise": exercise, "agency": agency, "official_title": "Benchmark reporter",
        "work_email": "bench-reporter@gov.example", "verification": ReporterAccount.Verification.VERIFIED,
        "verified_at": timezone.now()})
    account = ReporterAccount.objects.select_related("agency").get(user=reporter)
    auditor, _ = users.get_or_create(username="bench-auditor", defaults={"is_staff": True})
    auditor.groups.add(ensure_role_groups()[AUDITOR])
    provisions = list(LegalProvision.objects.filter(jurisdiction_id=account.agency.jurisdiction_id)
                      .order_by("code")[:2])
    content = list(ContentItem.objects.filter(exercise=exercise, country=account.agency.jurisdiction_id)
                   .order_by("code").values_list("code", flat=True)[:200])
    if not content:
        content = list(ContentItem.objects.filter(exercise=exercise).order_by("code")
                       .values_list("code", flat=True)[:200])
    return Accounts(
        reporter=reporter.username, reporter_token=Token.objects.get_or_create(user=reporter)[0].key,
        auditor_token=Token.objects.get_or_create(user=auditor)[0].key, content_ids=content,
        provisions=[p.code for p in provisions],
        category=(provisions[0].categories or ["other"])[0] if provisions else "other")
