"""The automated checks of the uniform workflow, run in the same order for every request.

Each check is a pure function of the *check input* (what the request states, the
items' snapshots, the cited provisions; see review/check_input.py), the rule data,
and the outcomes of the checks before it. It returns a verdict, machine-readable
flags and an explanation a student can read. Nothing here can see which agency asked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    version: str
    verdict: str
    flags: list[str] = field(default_factory=list)
    findings: dict = field(default_factory=dict)
    explanation: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def has_flag(self, flag: str) -> bool:
        return flag in self.flags


def check_sequence():
    from review.checks import completeness, human_rights, local_law, platform_policy

    return (completeness, platform_policy, local_law, human_rights)


def run_checks(check_input: dict, rules) -> list[CheckOutcome]:
    """Run every check in order. Later checks may read earlier outcomes (human rights reads legality)."""
    outcomes: dict[str, CheckOutcome] = {}
    for check in check_sequence():
        outcomes[check.NAME] = check.run(check_input, rules, outcomes)
    return list(outcomes.values())
