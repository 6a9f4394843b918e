"""The workflow's codes in words: check verdicts and flags as people read them.

The record keeps codes (``provision_concern:KZ-CC-274``), because auditors filter and cite
them; every page shows these words instead, with the provision, rule or item a reviewer
needs to cite kept in the sentence.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import get_language_info

from reports.models import Category, Persona, Queue, RequestedAction
from review.models import CheckName, DecisionAction

VERDICTS = {
    CheckName.COMPLETENESS: {"complete": "Complete", "incomplete": "Incomplete: information is missing"},
    CheckName.PLATFORM_POLICY: {
        "violates": "Violates the community standards", "unclear": "Unclear: a reviewer must judge",
        "no_violation": "No violation", "not_assessed": "Not assessed (the post was not found)"},
    CheckName.LOCAL_LAW: {
        "supported": "Supported by the cited law", "weak": "Weak: a court order, no valid provision",
        "unsupported": "Not supported by the cited law"},
    CheckName.HUMAN_RIGHTS: {"low": "Low risk", "medium": "Medium risk", "high": "High risk"},
}
ALL_VERDICTS = {verdict: label for labels in VERDICTS.values() for verdict, label in labels.items()}

# What a part of a request is called (reports/completeness.py's fields, and the others an answer may change).
PARTS = {"items": "the posts", "legal_basis": "a legal basis", "justification": "a justification",
         "requested_action": "the scope", "category": "the reason category", "message": "an answer",
         "court_name": "the court", "court_case_number": "the case number", "court_order_date": "the order's date",
         "urgency": "the urgency", "confidentiality_requested": "the request for confidentiality",
         "external_id": "the agency's own reference"}


def part_label(field: str) -> str:
    """``requested_action`` as "the scope"; ``items.2`` as "item 3"."""
    name, _, index = field.partition(".")
    if name == "items" and index.isdigit():
        return f"item {int(index) + 1}"
    return PARTS.get(field, field.replace("_", " "))

FLAGS = {
    "imminent_harm": "Imminent harm is claimed",
    "court_order": "A court order is attached",
    "global_removal_on_national_law": "Global removal asked on the basis of national law (out of scope)",
    "no_valid_legal_basis": "No cited provision validly supports the request",
    "no_legitimate_aim": "No legitimate aim under ICCPR art. 19(3)",
    "wider_than_territory": "Wider than the requester's territory",
    "bulk_request": "Many posts in one request",
    "administrative_request": "No court order: an administrative request",
    "defamation_without_court_order": "Defamation claimed without a court order",
    "confidentiality_requested": "The requester asks that the author not be told",
    "short_deadline": "A short deadline (imminent harm)",
    "rabat_assessment": "An incitement claim: the Rabat factors must be assessed",
}
# Flags that name something (``kind:subject``); the subject is kept, as reviewers cite it.
FLAG_KINDS = {
    "missing": lambda part: f"Missing: {part_label(part)}",
    "violates": lambda rule: f"Breaks community standard {rule}",
    "unclear": lambda rule: f"May touch community standard {rule}",
    "severity": lambda level: f"Severity: {level}",
    "foreign_provision": lambda code: f"{code} belongs to another jurisdiction",
    "not_in_force_on_request_date": lambda code: f"{code} was not in force on the request's date",
    "not_in_force_on_content_date": lambda code: f"{code} was not in force when the post was published",
    "category_not_covered": lambda code: f"{code} does not cover the stated reason",
    "provision_concern": lambda code: f"{code} is criticised as vague or overbroad",
    "banned_organisation": lambda code: f"{code} concerns a banned organisation",
    "sensitive_category": lambda category: f"A reason prone to misuse: {choice_label(Category, category, lower=True)}",
    "persona": lambda rest: _persona_flag(rest),
}


def choice_label(choices, code: str, *, lower: bool = False) -> str:
    """A code of ``choices`` by its label (mid-sentence with ``lower``, acronyms like "NGO" kept); others as words."""
    label = _labels(choices).get(code)
    if label is None:
        return str(code or "").replace("_", " ")
    return label.lower() if lower and not label.isupper() else label


@lru_cache(maxsize=64)
def _labels(choices) -> dict:
    # ``choices.values`` builds a new list on every access; the checks ask for labels per request.
    return {member.value: member.label for member in choices}


def _persona_flag(rest: str) -> str:
    persona, _, item = rest.partition(":")
    who = choice_label(Persona, persona, lower=True)
    return f"Item {item.removeprefix('item')} is by {'an' if who[:1] in 'aeiou' else 'a'} {who}" if item else who


def verdict_label(verdict: str, check: str | None = None) -> str:
    """``no_violation`` as "No violation"; ``high`` (human rights) as "High risk"."""
    labels = VERDICTS.get(check, ALL_VERDICTS) if check else ALL_VERDICTS
    return labels.get(verdict) or ALL_VERDICTS.get(verdict) or str(verdict).replace("_", " ")


def flag_label(flag: str) -> str:
    """``provision_concern:KZ-CC-274`` as "KZ-CC-274 is criticised as vague or overbroad"."""
    if flag in FLAGS:
        return FLAGS[flag]
    kind, _, subject = flag.partition(":")
    if subject and kind in FLAG_KINDS:
        return FLAG_KINDS[kind](subject)
    return flag.replace("_", " ").replace(":", ": ")


# Where screening sent a request: a review queue, or back to the requester.
ROUTE_TARGETS = {**dict(Queue.choices), "needs_info": "Sent back for information"}


def route_label(target: str) -> str:
    """``human_rights`` as "Human-rights escalation"; ``needs_info`` as "Sent back for information"."""
    return ROUTE_TARGETS.get(target) or str(target).replace("_", " ")


def route_place(route: dict) -> str:
    """``{"target": "legal", "priority": 3}`` as "Local law (priority 3)"; a route without a priority by its target."""
    place = route_label(route.get("target"))
    return f"{place} (priority {route['priority']})" if route.get("priority") else place


def language_name(code: str) -> str:
    """``kk`` as "Kazakh" (the names Django knows)."""
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return code


def action_label(action: str) -> str:
    """A decision or a requested action in words (``restrict_in_jurisdiction`` → "Restrict in …")."""
    return choice_label(DecisionAction if action in DecisionAction.values else RequestedAction, action)
