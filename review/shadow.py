"""Shadow mode: replay past requests' check inputs under a candidate rule version.

Nothing is written: the report says, per jurisdiction, how many routes would change
and why, so an administrator can decide before activating the version.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max

from review.checks import run_checks
from review.models import CheckName, ScreeningRun
from review.routing import route
from review.rules import compile_rules
from review.vocabulary import choice_label, flag_label, verdict_label


@dataclass
class RouteChange:
    """A request whose route would change. ``why`` holds codes, as the record does; ``why_in_words`` reads them."""

    reference: str
    jurisdiction: str
    before: dict
    after: dict
    # Each reason: a check's verdict changed ({check, before, after}), its flags changed ({check, flags_added,
    # flags_removed}), or neither did and the routing rules alone send it elsewhere ({}).
    why: list[dict]

    @property
    def why_in_words(self) -> list[str]:
        return [reason_in_words(reason) for reason in self.why]

    def as_dict(self) -> dict:
        return {**self.__dict__, "why_in_words": self.why_in_words}


def reason_in_words(reason: dict) -> str:
    """``{"check": "human_rights", "before": "low", "after": "high"}`` as "Human rights: Low risk → High risk"."""
    if "check" not in reason:
        return "The routing rules changed; no check's verdict or flags did"
    check = reason["check"]
    name = choice_label(CheckName, check)
    if "after" in reason:
        before = verdict_label(reason["before"], check) if reason["before"] else "not run before"
        return f"{name}: {before} → {verdict_label(reason['after'], check)}"
    changes = []
    if reason["flags_added"]:
        changes.append("now raises " + "; ".join(flag_label(flag) for flag in reason["flags_added"]))
    if reason["flags_removed"]:
        changes.append("no longer raises " + "; ".join(flag_label(flag) for flag in reason["flags_removed"]))
    return f"{name}: " + ", and ".join(changes)


@dataclass
class ShadowReport:
    candidate_version: str
    replayed: int = 0
    per_jurisdiction: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: {
        "replayed": 0, "changed": 0}))
    changes: list[RouteChange] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "candidate_version": self.candidate_version,
            "replayed": self.replayed,
            "changed": len(self.changes),
            "per_jurisdiction": dict(sorted(self.per_jurisdiction.items())),
            "changes": [change.as_dict() for change in self.changes],
        }


def _route_key(route_dict: dict) -> tuple:
    return (route_dict.get("target"), route_dict.get("priority"))


def shadow_run(*, candidate: dict) -> ShadowReport:
    """Replay the latest screening of every request under ``candidate`` rule data."""
    rules = compile_rules(candidate)
    report = ShadowReport(candidate_version=rules.version)
    latest = ScreeningRun.objects.values("request_id").annotate(last=Max("round"))
    wanted = {(row["request_id"], row["last"]) for row in latest}
    runs = (ScreeningRun.objects.filter(request_id__in={r for r, _ in wanted})
            .select_related("request").prefetch_related("checks").order_by("request_id", "round"))
    for run in runs.iterator(chunk_size=500):
        if (run.request_id, run.round) not in wanted:
            continue
        outcomes = run_checks(run.check_input, rules)
        after = route(outcomes, rules).as_dict()
        jurisdiction = run.check_input["request"]["jurisdiction"]
        bucket = report.per_jurisdiction[jurisdiction]
        bucket["replayed"] += 1
        report.replayed += 1
        if _route_key(after) == _route_key(run.route):
            continue
        bucket["changed"] += 1
        before_checks = {check.name: check for check in run.checks.all()}
        why = []
        for outcome in outcomes:
            old = before_checks.get(outcome.name)
            if old is None or old.verdict != outcome.verdict:
                why.append({"check": outcome.name, "before": old.verdict if old else None, "after": outcome.verdict})
            elif set(old.flags) != set(outcome.flags):
                why.append({"check": outcome.name, "flags_added": sorted(set(outcome.flags) - set(old.flags)),
                            "flags_removed": sorted(set(old.flags) - set(outcome.flags))})
        if not why:
            why.append({})
        report.changes.append(RouteChange(
            reference=run.request.reference, jurisdiction=jurisdiction,
            before={"target": run.route.get("target"), "priority": run.route.get("priority")},
            after={"target": after["target"], "priority": after["priority"]}, why=why))
    return report
