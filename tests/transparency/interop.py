"""Decided scenarios for the DSA and Lumen exports, and checks of the reference's rules written independently.

The checks below restate the DSA Transparency Database's rules (docs/exports.md) with the
standard library only: they do not import transparency/dsa_rules.py, so a mistake there cannot
hide a bad export.
"""

from __future__ import annotations

import json
import re
from datetime import date

from reports.models import Agency, ContentItem, LegalProvision, ReporterAccount, TakedownRequest
from review.checks.platform_policy import assess_text
from review.models import Decision
from review.rules import active_ruleset, compile_rules
from review.services import item_decide, request_claim
from tests.builders import filed_and_screened
from tests.factories import ReporterFactory, UserFactory

EU_EEA = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI",
    "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"
}
VISIBILITY = {
    "DECISION_VISIBILITY_CONTENT_REMOVED", "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED", "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED", "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER"
}
CATEGORIES = {
    "STATEMENT_CATEGORY_ANIMAL_WELFARE", "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE", "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "STATEMENT_CATEGORY_VIOLENCE"
}
CONTENT_TYPES = {
    "CONTENT_TYPE_APP", "CONTENT_TYPE_AUDIO", "CONTENT_TYPE_IMAGE", "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO", "CONTENT_TYPE_OTHER"
}
SOURCE_TYPES = {"SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION", "SOURCE_VOLUNTARY"}
AUTOMATED = {"AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"}
ILLEGAL, INCOMPATIBLE = "DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"
DUMP_COLUMNS = [
    "uuid", "decision_visibility", "decision_visibility_other", "end_date_visibility_restriction",
    "decision_monetary", "decision_monetary_other", "end_date_monetary_restriction", "decision_provision",
    "end_date_service_restriction", "decision_account", "end_date_account_restriction", "account_type",
    "decision_ground", "decision_ground_reference_url", "illegal_content_legal_ground",
    "illegal_content_explanation", "incompatible_content_ground", "incompatible_content_explanation",
    "incompatible_content_illegal", "category", "category_addition", "category_specification",
    "category_specification_other", "content_type", "content_type_other", "content_language", "content_date",
    "content_id_ean", "territorial_scope", "application_date", "decision_facts", "source_type", "source_identity",
    "automated_detection", "automated_decision", "platform_name", "platform_uid", "created_at"
]


def _in_range(text: str, first: date, last: date) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and first <= date.fromisoformat(text) <= last


def reference_rule_breaches(statement: dict) -> list[str]:
    """The reference's rules, checked one by one; the names of those broken."""
    s, broken = statement, []

    def check(ok: bool, rule: str) -> None:
        if not ok:
            broken.append(rule)

    for name in ("decision_visibility", "decision_ground", "content_type", "category", "content_date",
                 "application_date", "decision_facts", "source_type", "automated_detection", "automated_decision",
                 "puid"):
        check(name in s, f"{name} required")
    check(isinstance(s.get("decision_visibility"), list) and s["decision_visibility"]
          and set(s["decision_visibility"]) <= VISIBILITY, "decision_visibility values")
    check(("DECISION_VISIBILITY_OTHER" in s.get("decision_visibility", [])) == ("decision_visibility_other" in s),
          "decision_visibility_other with OTHER only")
    check(s.get("decision_ground") in (ILLEGAL, INCOMPATIBLE), "decision_ground value")
    illegal = s.get("decision_ground") == ILLEGAL
    for name, limit in (("illegal_content_legal_ground", 500), ("illegal_content_explanation", 2000)):
        check((name in s) == illegal, f"{name} with ILLEGAL_CONTENT only")
        check(len(s.get(name, "")) <= limit, f"{name} length")
    for name, limit in (("incompatible_content_ground", 500), ("incompatible_content_explanation", 2000)):
        check(name not in s or not illegal, f"{name} with INCOMPATIBLE_CONTENT only")
        check(len(s.get(name, "")) <= limit, f"{name} length")
    check(s.get("incompatible_content_illegal", "Yes") in ("Yes", "No"), "incompatible_content_illegal value")
    check(isinstance(s.get("content_type"), list) and s["content_type"] and set(s["content_type"]) <= CONTENT_TYPES,
          "content_type values")
    check(s.get("category") in CATEGORIES, "category value")
    check(set(s.get("territorial_scope", [])) <= EU_EEA, "territorial_scope EU/EEA codes")
    check(re.fullmatch(r"[A-Z]{2}", s.get("content_language", "EN")) is not None, "content_language")
    check(_in_range(s.get("content_date", ""), date(2000, 1, 1), date(2038, 1, 1)), "content_date")
    check(_in_range(s.get("application_date", ""), date(2020, 1, 1), date(2038, 1, 1)), "application_date")
    check(0 < len(s.get("decision_facts", "")) <= 5000, "decision_facts length")
    check(s.get("source_type") in SOURCE_TYPES, "source_type value")
    check(len(s.get("source_identity", "")) <= 500, "source_identity length")
    check(s.get("automated_detection") in ("Yes", "No"), "automated_detection value")
    check(s.get("automated_decision") in AUTOMATED, "automated_decision value")
    check(re.fullmatch(r"[a-zA-Z0-9\-_]+", s.get("puid", "")) is not None and len(s.get("puid", "")) <= 500,
          "puid pattern")
    return broken


def _reporter(agency: Agency) -> ReporterAccount:
    return (ReporterAccount.objects.filter(agency=agency, user__username=f"rep-{agency.code}").first()
            or ReporterFactory(user=UserFactory(username=f"rep-{agency.code}"), agency=agency))


def _rules():
    return compile_rules(active_ruleset().data)


def decide_posts(reviewer, agency: Agency, codes: list[str], provision: LegalProvision) -> TakedownRequest | None:
    """One request from ``agency`` about ``codes``, decided post by post as a reviewer would.

    A post that breaks a community standard is removed globally; of the others the first is
    restricted in the requester's country and the rest are left up.
    """
    reporter = _reporter(agency)
    category = (provision.categories or ["other"])[0]
    request = filed_and_screened(reporter, *codes, category=category, legal_basis=[provision.code], court_order=None)
    if request.status != "queued":
        return None
    rules = _rules()

    request_claim(reviewer=reviewer, request=request)
    restricted = False
    for item in request.items.select_related("content").order_by("position"):
        if assess_text(item.content.text, rules)[0] == "violates":
            action, reason = "remove_globally", "policy_violation"
        elif not restricted:
            action, reason, restricted = "restrict_in_jurisdiction", "unlawful_locally", True
        else:
            action, reason = "no_action", "not_unlawful"
        item_decide(reviewer=reviewer, item=item, action=action, reason_code=reason,
                    rationale=f"Decided after reading post {item.content.code} against the cited provision.")
    return request


def decide_jurisdictions(reviewer, countries: list[str], *, requests_per_country: int = 1,
                         posts_per_request: int = 3) -> list[TakedownRequest]:
    """Each country's first agency files about its own posts, violating ones and others mixed; a reviewer decides."""
    rules = _rules()
    requests = []
    for country in countries:
        agency = Agency.objects.filter(jurisdiction_id=country).order_by("code").first()
        provision = LegalProvision.objects.filter(jurisdiction_id=country).order_by("code").first()
        posts = list(ContentItem.objects.filter(country=country).order_by("code"))
        violating = [p.code for p in posts if assess_text(p.text, rules)[0] == "violates"]
        others = [p.code for p in posts if p.code not in violating]
        mixed = [code for pair in zip(violating, others, strict=False) for code in pair]
        mixed += [code for code in violating + others if code not in mixed]
        for number in range(requests_per_country):
            codes = mixed[number * posts_per_request:(number + 1) * posts_per_request]
            if codes and (request := decide_posts(reviewer, agency, codes, provision)) is not None:
                requests.append(request)
    return requests


def removing_or_restricting_decisions() -> list[Decision]:
    """Every item's latest decision that removed or restricted it, read from the decisions themselves."""
    latest: dict[int, Decision] = {}
    for decision in Decision.objects.select_related("request", "item", "request__agency").order_by("round"):
        latest[decision.item_id] = decision
    return [d for d in latest.values() if d.action in ("remove_globally", "restrict_in_jurisdiction")]


def bodies(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]
