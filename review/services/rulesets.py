"""Rule versions: stored as candidates, activated by an administrator (an audited act), the bundled one installed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit import events
from reports.errors import InvalidInput
from review.models import RuleSet
from review.rules import bundled_rules, rules_digest, validate_rules


def ruleset_activate(*, ruleset: RuleSet, actor) -> RuleSet:
    """Make ``ruleset`` the active rules for all future screenings (an audited act)."""
    with transaction.atomic():
        ruleset = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
        if ruleset.state == RuleSet.State.ACTIVE:
            return ruleset
        previous = RuleSet.objects.select_for_update().filter(state=RuleSet.State.ACTIVE).first()
        if previous is not None:
            previous.state = RuleSet.State.RETIRED
            previous.save(update_fields=["state"])
        ruleset.state = RuleSet.State.ACTIVE
        ruleset.activated_at = timezone.now()
        ruleset.activated_by = actor
        ruleset.save(update_fields=["state", "activated_at", "activated_by"])
        events.ruleset_activated_event(ruleset=ruleset, actor=actor,
                                       previous_version=previous.version if previous else None)
    return ruleset


def ruleset_store(*, data: dict) -> RuleSet:
    """Store a rule set as a candidate (or return the stored one with the same version and content)."""
    validate_rules(data)
    digest = rules_digest(data)
    existing = RuleSet.objects.filter(version=data["version"]).first()
    if existing is not None:
        if existing.data_sha256 != digest:
            raise InvalidInput({"version": [f"Rules version {data['version']} already exists with other content; "
                                            "give the new rules a new version."]})
        return existing
    return RuleSet.objects.create(version=data["version"], data=data, data_sha256=digest,
                                  description=data.get("description", ""))


def ruleset_default_install() -> RuleSet:
    """Install the bundled rules, active, where no rule set is active yet (run by ``manage.py migrate``).

    Part of installing the product, like its permissions: no one acts, so no event is written.
    Every later activation is an administrator's audited act (``ruleset_activate``).
    """
    with transaction.atomic():
        active = RuleSet.objects.select_for_update().filter(state=RuleSet.State.ACTIVE).first()
        if active is not None:
            return active
        data = bundled_rules()
        ruleset, _ = RuleSet.objects.get_or_create(
            version=data["version"], defaults={"data": data, "data_sha256": rules_digest(data),
                                               "description": data.get("description", "")})
        RuleSet.objects.filter(pk=ruleset.pk).update(state=RuleSet.State.ACTIVE, activated_at=timezone.now())
        ruleset.refresh_from_db()
    return ruleset
