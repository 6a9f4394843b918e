"""Completeness: can the request be reviewed at all? (checklist P1-P7)

Items resolvable, at least one legal provision or a court order, a justification,
a stated scope. A request that fails goes back to the requester with the exact
missing parts, without any human involvement.
"""

from __future__ import annotations

from review.checks import CheckOutcome

NAME = "completeness"
VERSION = "1.0"


def run(check_input: dict, rules, earlier: dict) -> CheckOutcome:
    request = check_input["request"]
    min_chars = rules.data.get("completeness", {}).get("justification_min_chars", 40)
    missing: list[dict] = []

    for item in check_input["items"]:
        if not item["resolved"]:
            missing.append({
                "field": f"items.{item['position'] - 1}",
                "message": f"Item {item['position']} ({item['url']}) does not resolve to content on the "
                           "platform; give the post's URL or content id.",
            })
    if not check_input["provisions"] and not request["court_order"]:
        missing.append({"field": "legal_basis",
                        "message": "Cite at least one legal provision, or attach a court order."})
    if request["justification_chars"] < min_chars:
        missing.append({"field": "justification",
                        "message": "Explain why each item is unlawful or against policy "
                                   f"(at least {min_chars} characters)."})
    if not request["requested_action"]:
        missing.append({"field": "requested_action",
                        "message": "State the scope: remove globally, or restrict in your jurisdiction."})

    flags = [f"missing:{part['field'].split('.')[0]}" for part in missing]
    if request["urgency"] == "imminent_harm":
        flags.append("imminent_harm")
    if missing:
        explanation = "The request cannot be reviewed yet. Missing: " + "; ".join(p["message"] for p in missing)
        verdict = "incomplete"
    else:
        explanation = (f"All {len(check_input['items'])} item(s) resolve to content, the legal basis and the "
                       "justification are stated, and the requested scope is clear.")
        verdict = "complete"
    return CheckOutcome(NAME, VERSION, verdict, sorted(set(flags)), {"missing": missing}, explanation)
