"""Platform policy: each item against the platform's own community standards.

Content that violates policy is a candidate for global removal whoever reported it;
the verdict does not depend on the request at all, only on the items' text.
"""

from __future__ import annotations

from review import literals
from review.checks.outcome import CheckOutcome

NAME = "platform_policy"
VERSION = "1.0"
SEVERITY_ORDER = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def assess_text(text: str, rules) -> tuple[str, list[dict]]:
    """(verdict, matched rules) for one post: violates / unclear / no_violation."""
    folded = literals.fold(text) if rules.prefilter else None
    violated = [rule for rule in rules.policy_rules if _matches(text, folded, rule.patterns, rule.pattern_needs)]
    if violated:
        return "violates", [{"rule": r.id, "title": r.title, "severity": r.severity, "category": r.category}
                            for r in violated]
    unclear = [rule for rule in rules.policy_rules
               if _matches(text, folded, rule.unclear_patterns, rule.unclear_needs)]
    if unclear:
        return "unclear", [{"rule": r.id, "title": r.title, "severity": r.severity, "category": r.category}
                           for r in unclear]
    return "no_violation", []


def _matches(text: str, folded: str | None, patterns, needs) -> bool:
    """Whether one of ``patterns`` matches ``text``; one whose literals ``folded`` lacks cannot, and is not searched."""
    if folded is None:
        return any(pattern.search(text) for pattern in patterns)
    return any(literals.present(folded, need) and pattern.search(text)
               for pattern, need in zip(patterns, needs, strict=True))


def run(check_input: dict, rules, earlier: dict) -> CheckOutcome:
    per_item = []
    flags: set[str] = set()
    for item in check_input["items"]:
        if not item["resolved"]:
            per_item.append({"position": item["position"], "verdict": "not_assessed", "rules": []})
            continue
        verdict, matched = assess_text(item["text"], rules)
        per_item.append({"position": item["position"], "verdict": verdict, "rules": matched})
        for rule in matched:
            flags.add(f"{'violates' if verdict == 'violates' else 'unclear'}:{rule['rule']}")
            if verdict == "violates":
                flags.add(f"severity:{rule['severity']}")

    verdicts = {entry["verdict"] for entry in per_item}
    if "violates" in verdicts:
        verdict = "violates"
    elif "unclear" in verdicts:
        verdict = "unclear"
    else:
        verdict = "no_violation"

    lines = []
    for entry in per_item:
        if entry["verdict"] == "violates":
            names = ", ".join(f"{r['rule']} {r['title']} ({r['severity']})" for r in entry["rules"])
            lines.append(f"item {entry['position']} violates {names}")
        elif entry["verdict"] == "unclear":
            names = ", ".join(f"{r['rule']} {r['title']}" for r in entry["rules"])
            lines.append(f"item {entry['position']} may touch {names}: a reviewer must judge")
        elif entry["verdict"] == "no_violation":
            lines.append(f"item {entry['position']}: no community standard violated")
        else:
            lines.append(f"item {entry['position']}: not assessed (content not found)")
    lead = {
        "violates": "Some content violates the platform's community standards and is a candidate for global "
                    "removal, whoever reported it.",
        "unclear": "Some content may touch the community standards; a reviewer must judge.",
        "no_violation": "No item violates the platform's community standards; only local law could justify a "
                        "restriction.",
    }[verdict]
    return CheckOutcome(NAME, VERSION, verdict, sorted(flags),
                        {"items": per_item}, f"{lead} Per item: " + "; ".join(lines) + ".")
