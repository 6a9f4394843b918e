"""Human rights: the ICCPR art. 19(3) three-part test, the Rabat factors and the red flags.

Produces a risk level (low / medium / high) and the flags that raised it. The weights
and thresholds are rule data (review/rules/*.yaml), so they are versioned and can be
tried in shadow mode before they change any route.
"""

from __future__ import annotations

from reports.models import Category, Persona
from review.checks.outcome import CheckOutcome
from review.vocabulary import choice_label

NAME = "human_rights"
VERSION = "1.0"


def run(check_input: dict, rules, earlier: dict) -> CheckOutcome:
    config = rules.data["human_rights"]
    red = config.get("red_flags", {})
    request = check_input["request"]
    items = [item for item in check_input["items"] if item["resolved"]]
    law = earlier.get("local_law")
    provisions = check_input["provisions"]
    raised: list[tuple[str, int, str]] = []  # (flag, weight, why)

    def raise_flag(name: str, flag: str, why: str) -> None:
        raised.append((flag, red.get(name, {}).get("weight", 0), why))

    # 1. Provided by law (legality).
    valid = law.findings.get("valid", []) if law else []
    concerns = [p["code"] for p in provisions if p["concern"] and p["code"] in valid]
    if not valid:
        legality = "fails"
        raise_flag("no_valid_legal_basis", "no_valid_legal_basis", "no cited provision validly supports the request")
    elif concerns:
        legality = "doubtful"
    else:
        legality = "met"
    for code in concerns:
        raise_flag("provision_concern", f"provision_concern:{code}",
                   f"{code} has been criticised as vague or overbroad")
    terms = [t.lower() for t in red.get("banned_organisation", {}).get("provisions_with_terms", [])]
    for provision in provisions:
        text = (provision.get("title", "") + " " + provision.get("description", "")).lower()
        if terms and any(term in text for term in terms):
            raise_flag("banned_organisation", f"banned_organisation:{provision['code']}",
                       f"{provision['code']} concerns a banned organisation: check for actual incitement to violence")

    # 2. Legitimate aim.
    aim = config.get("legitimate_aims", {}).get(request["category"], "human_review")
    reason = choice_label(Category, request["category"], lower=True)  # the flags keep the code
    if aim == "none":
        raise_flag("no_legitimate_aim", "no_legitimate_aim",
                   f"the reason {reason} does not serve a legitimate aim under art. 19(3)")
    if request["category"] in red.get("sensitive_category", {}).get("categories", []):
        raise_flag("sensitive_category", f"sensitive_category:{request['category']}",
                   f"{reason} requests are prone to misuse against legitimate speech")

    # 3. Necessity and proportionality.
    if law and law.has_flag("global_removal_on_national_law"):
        raise_flag("wider_than_territory", "wider_than_territory",
                   "global removal is wider than the requester's territory")
    personas = set(red.get("heightened_persona", {}).get("personas", []))
    for item in items:
        if item["persona"] in personas:
            raise_flag("heightened_persona", f"persona:{item['persona']}:item{item['position']}",
                       f"item {item['position']} is by a {choice_label(Persona, item['persona'], lower=True)}")
    if len(check_input["items"]) >= red.get("bulk_request", {}).get("min_items", 10):
        raise_flag("bulk_request", "bulk_request", f"{len(check_input['items'])} items in one request")

    # Procedure.
    if request["court_order"] is None:
        raise_flag("administrative_request", "administrative_request",
                   "no judicial order: an administrative request gets heightened scrutiny")
        if request["category"] == "defamation":
            raise_flag("defamation_without_court_order", "defamation_without_court_order",
                       "defamation claims should come with a court order")
    if request["confidentiality_requested"]:
        raise_flag("confidentiality_requested", "confidentiality_requested",
                   "the requester asks that the user not be told")
    if request["urgency"] == "imminent_harm":
        raise_flag("short_deadline", "short_deadline", "an imminent-harm deadline raises the risk of over-removal")

    rabat = request["category"] in config.get("rabat_categories", [])
    score = sum(weight for _, weight, _ in raised)
    thresholds = config["risk_thresholds"]
    risk = "high" if score >= thresholds["high"] else "medium" if score >= thresholds["medium"] else "low"
    necessity = "doubtful" if any(f.startswith(("wider_than_territory", "persona:", "bulk_request"))
                                  for f, _, _ in raised) else "met"
    test = {"legality": legality, "legitimate_aim": aim, "necessity_and_proportionality": necessity}
    flags = sorted({flag for flag, _, _ in raised} | ({"rabat_assessment"} if rabat else set()))

    explanation = (
        f"Risk {risk} (score {score}; medium from {thresholds['medium']}, high from {thresholds['high']}). "
        f"Art. 19(3): provided by law — {legality}; legitimate aim — {aim.replace('_', ' ')}; "
        f"necessity and proportionality — {necessity}."
    )
    if raised:
        explanation += " Flags: " + "; ".join(f"{why} (+{weight})" for _, weight, why in raised) + "."
    if rabat:
        explanation += (" An incitement claim: a reviewer must score the Rabat factors (context, speaker, intent, "
                        "content and form, extent, likelihood and imminence).")
    findings = {"score": score, "three_part_test": test,
                "flags": [{"flag": f, "weight": w, "why": why} for f, w, why in raised],
                "rabat_factors": ["context", "speaker", "intent", "content_and_form", "extent", "likelihood"]
                if rabat else []}
    return CheckOutcome(NAME, VERSION, risk, flags, findings, explanation)
