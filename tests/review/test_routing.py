"""Routing: first match wins, on check results alone."""

from __future__ import annotations

import inspect

import pytest

from review.checks import CheckOutcome
from review.routing import route
from review.rules import DEFAULT_RULES_FILE, compile_rules, load_rules_file

RULES = compile_rules(load_rules_file(DEFAULT_RULES_FILE))


def outcomes(completeness="complete", policy="no_violation", law="supported", rights="low", flags=()):
    return [CheckOutcome("completeness", "1.0", completeness, [f for f in flags if f == "imminent_harm"]),
            CheckOutcome("platform_policy", "1.0", policy, [f for f in flags if f.startswith("severity")]),
            CheckOutcome("local_law", "1.0", law),
            CheckOutcome("human_rights", "1.0", rights)]


@pytest.mark.parametrize("results, expected", [
    (outcomes(completeness="incomplete", policy="violates", rights="high"), ("needs_info", None, None)),
    (outcomes(policy="violates", rights="high"), ("policy", 2, 48)),
    (outcomes(policy="violates", flags=["severity:critical"]), ("policy", 1, 4)),
    (outcomes(rights="high"), ("human_rights", 2, 48)),
    (outcomes(rights="medium"), ("legal", 3, 120)),
    (outcomes(law="unsupported", rights="low"), ("legal", 3, 120)),
    (outcomes(policy="unclear", rights="medium"), ("legal", 3, 120)),
    (outcomes(rights="low", flags=["imminent_harm"]), ("legal", 1, 4)),
])
def test_each_route(results, expected):
    decided = route(results, RULES)

    assert (decided.target, decided.priority, decided.sla_hours) == expected


def test_routing_takes_nothing_but_check_results_and_rules():
    assert list(inspect.signature(route).parameters) == ["outcomes", "rules"]
