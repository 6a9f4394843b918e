"""Local law: does the law the requester cites support the request? (checklist P3, P4, P7, P8)

The only check that reads the requester's jurisdiction, and only to compare it with
the cited provisions': a provision must belong to the requester's own country, have
been in force on the content's date and on the request's date, and cover the stated
reason category. A court order strengthens the request. Global removal asked on the
basis of national law is flagged as out of scope.
"""

from __future__ import annotations

from datetime import date

from reports.models import Category
from review.checks.outcome import CheckOutcome
from review.vocabulary import choice_label

NAME = "local_law"
VERSION = "1.0"


def _in_force(provision: dict, day: date) -> bool:
    start = date.fromisoformat(provision["in_force_from"])
    end = date.fromisoformat(provision["in_force_until"]) if provision["in_force_until"] else None
    return start <= day and (end is None or day <= end)


def run(check_input: dict, rules, earlier: dict) -> CheckOutcome:
    request = check_input["request"]
    own = request["jurisdiction"]
    requested_on = date.fromisoformat(request["submitted_on"])
    content_days = [(item["position"], date.fromisoformat(item["posted_on"]))
                    for item in check_input["items"] if item["resolved"]]
    flags: set[str] = set()
    assessed = []
    for provision in check_input["provisions"]:
        problems = []
        code = provision["code"]
        if provision["jurisdiction"] != own:
            problems.append(f"belongs to {provision['jurisdiction']}, not to the requester's jurisdiction ({own})")
            flags.add(f"foreign_provision:{code}")
        if not _in_force(provision, requested_on):
            problems.append(f"was not in force on the request's date ({requested_on})")
            flags.add(f"not_in_force_on_request_date:{code}")
        stale = [position for position, day in content_days if not _in_force(provision, day)]
        if stale:
            items = f"item {stale[0]} was" if len(stale) == 1 else "items " + ", ".join(map(str, stale)) + " were"
            problems.append(f"was not in force when {items} posted")
            flags.add(f"not_in_force_on_content_date:{code}")
        if request["category"] not in provision["categories"]:
            stated = choice_label(Category, request["category"], lower=True)
            problems.append(f"does not cover the stated reason ({stated})")
            flags.add(f"category_not_covered:{code}")
        assessed.append({"code": code, "valid": not problems, "problems": problems})

    valid = [entry["code"] for entry in assessed if entry["valid"]]
    court_order = request["court_order"] is not None
    if court_order:
        flags.add("court_order")
    if request["requested_action"] == "remove_globally":
        flags.add("global_removal_on_national_law")

    if valid:
        verdict = "supported"
        lead = "The request is supported by " + ", ".join(valid)
        lead += " and a court order." if court_order else " (no court order)."
    elif court_order:
        verdict = "weak"
        lead = "No cited provision supports the request on its own, but a court order is attached."
    else:
        verdict = "unsupported"
        lead = "No cited provision supports the request and there is no court order."
    details = [f"{e['code']} " + ("is valid" if e["valid"] else "; ".join(e["problems"])) for e in assessed]
    if "global_removal_on_national_law" in flags:
        details.append("global removal was asked on the basis of national law: out of scope, a local restriction "
                       "is the most the law of one country can support")
    explanation = lead + (" " + "; ".join(details) + "." if details else "")
    return CheckOutcome(NAME, VERSION, verdict, sorted(flags),
                        {"provisions": assessed, "valid": valid, "court_order": court_order}, explanation)
