"""Shadow mode: replay past requests' check inputs under a candidate rule version.

Nothing is written: the report says, per jurisdiction, how many routes would change
and why, so an administrator can decide before activating the version.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Max

from review.checks import run_checks
from review.models import ScreeningRun
from review.routing import route
from review.rules import compile_rules


@dataclass
class RouteChange:
    reference: str
    jurisdiction: str
    before: dict
    after: dict
    why: list[str]


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
            "changes": [change.__dict__ for change in self.changes],
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
                why.append(f"{outcome.name}: {old.verdict if old else '—'} → {outcome.verdict}")
            elif set(old.flags) != set(outcome.flags):
                added = sorted(set(outcome.flags) - set(old.flags))
                removed = sorted(set(old.flags) - set(outcome.flags))
                why.append(f"{outcome.name} flags" + (f" +{added}" if added else "")
                           + (f" -{removed}" if removed else ""))
        if not why:
            why.append("routing rules changed")
        report.changes.append(RouteChange(
            reference=run.request.reference, jurisdiction=jurisdiction,
            before={"target": run.route.get("target"), "priority": run.route.get("priority")},
            after={"target": after["target"], "priority": after["priority"]}, why=why))
    return report
