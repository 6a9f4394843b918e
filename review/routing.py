"""Routing: a pure function of the check results.

Never of who asked: ``route`` receives only check outcomes and rule data, so it
cannot branch on an agency or a jurisdiction (tests/review/test_uniformity.py
proves it over generated cases). The first matching route wins, as in Osprey and Coop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from review.checks import CheckOutcome

# The order and versions of the checks; recorded on every request screened.
WORKFLOW_VERSION = "1"


@dataclass(frozen=True)
class Route:
    target: str                # needs_info, or a queue: policy / legal / human_rights
    priority: int | None       # 1 is the most urgent; None when no queue
    sla_hours: int | None
    reason: str
    matched_route: int

    @property
    def queue(self) -> str:
        return "" if self.target == "needs_info" else self.target

    def as_dict(self) -> dict:
        return asdict(self)


def _matches(when: dict, outcomes: dict[str, CheckOutcome]) -> bool:
    flag = when.get("flag")
    check = when.get("check")
    if check is None:
        return flag is None or any(o.has_flag(flag) for o in outcomes.values())
    outcome = outcomes.get(check)
    if outcome is None:
        return False
    if "verdict_in" in when and outcome.verdict not in when["verdict_in"]:
        return False
    return flag is None or outcome.has_flag(flag)


def route(outcomes: list[CheckOutcome], rules) -> Route:
    by_name = {outcome.name: outcome for outcome in outcomes}
    config = rules.data["routing"]
    index, rule = next((i, r) for i, r in enumerate(config["routes"]) if _matches(r["when"], by_name))
    target, reason = rule["to"], rule.get("reason", "")
    if target == "needs_info":
        return Route(target, None, None, reason, index)
    priority = next(p["priority"] for p in config["priorities"] if _matches(p["when"], by_name))
    return Route(target, priority, sla_hours(priority, rules), reason, index)


def sla_hours(priority: int, rules) -> int:
    table = {int(key): value for key, value in rules.data["routing"]["sla_hours"].items()}
    return table[priority]


def sla_due(priority: int, start: datetime, rules) -> datetime:
    return start + timedelta(hours=sla_hours(priority, rules))
