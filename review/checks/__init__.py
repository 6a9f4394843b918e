"""The automated checks of the uniform workflow, run in the same order for every request.

Each check is a pure function of the *check input* (what the request states, the
items' snapshots, the cited provisions; see review/check_input.py), the rule data,
and the outcomes of the checks before it. It returns a verdict, machine-readable
flags and an explanation a student can read. Nothing here can see which agency asked.
To add a check, write a module with NAME, VERSION and ``run`` and put it in CHECK_SEQUENCE.
"""

from __future__ import annotations

from review.checks import completeness, human_rights, local_law, platform_policy
from review.checks.outcome import CheckOutcome

# The order every request goes through; recorded (with each check's version) on every screening.
CHECK_SEQUENCE = (completeness, platform_policy, local_law, human_rights)

__all__ = ["CHECK_SEQUENCE", "CheckOutcome", "run_checks"]


def run_checks(check_input: dict, rules) -> list[CheckOutcome]:
    """Run every check in order. Later checks may read earlier outcomes (human rights reads legality)."""
    outcomes: dict[str, CheckOutcome] = {}
    for check in CHECK_SEQUENCE:
        outcomes[check.NAME] = check.run(check_input, rules, outcomes)
    return list(outcomes.values())
