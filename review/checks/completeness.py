"""Completeness: can the request be reviewed at all? (checklist P1-P7)

Items resolvable, at least one legal provision or a court order, a justification,
a stated scope. A request that fails goes back to the requester with the exact
missing parts, without any human involvement.
"""

from __future__ import annotations

from reports.completeness import missing_for_review
from review.checks.outcome import CheckOutcome

NAME = "completeness"
VERSION = "1.0"


def run(check_input: dict, rules, earlier: dict) -> CheckOutcome:
    request = check_input["request"]
    missing = missing_for_review(
        items=[(item["position"], item["resolved"], item["url"]) for item in check_input["items"]],
        has_legal_basis=bool(check_input["provisions"]), has_court_order=bool(request["court_order"]),
        justification_chars=request["justification_chars"], requested_action=request["requested_action"],
        min_justification_chars=rules.justification_min_chars)

    flags = [f"missing:{part['field'].split('.')[0]}" for part in missing]
    if request["urgency"] == "imminent_harm":
        flags.append("imminent_harm")
    if missing:
        explanation = "The request cannot be reviewed yet. Missing: " + "; ".join(p["message"] for p in missing)
        verdict = "incomplete"
    else:
        count = len(check_input["items"])
        resolved = "The item resolves" if count == 1 else f"All {count} items resolve"
        explanation = (f"{resolved} to content, the legal basis and the justification are stated, and the "
                       "requested scope is clear.")
        verdict = "complete"
    return CheckOutcome(NAME, VERSION, verdict, sorted(set(flags)), {"missing": missing}, explanation)
