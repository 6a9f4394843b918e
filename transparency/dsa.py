"""Decisions as DSA statements of reasons: one statement per item whose latest decision removed or restricted it.

The mapping, field by field, is documented in docs/exports.md. Every statement is checked
against the database's rules (transparency/dsa_rules.py) before it is written; a decision the
database cannot express (a restriction outside the EU/EEA, a date outside its range, no legal
ground) is not written and not bent into shape: it is counted and listed in the export's
report (``StatementReport``) with the reason.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field

from review.models import DecisionAction, DecisionReason
from transparency import dsa_rules

# The platform's name in the dump's platform_name column.
PLATFORM_NAME = "CRS Simulator platform"
# Statement ids (the dump's uuid column) are UUIDv5 of the puid in this namespace, so they are stable.
STATEMENT_NAMESPACE = uuid.UUID("6f0f3f2e-5b8a-4c5e-9a51-2f1f0e6b1c37")
# The report lists at most this many decisions by name (the counts cover all of them).
REPORT_LISTED_MAX = 1000
TRUNCATION_MARK = " […]"

# Reason categories (the transparency-report vocabulary) in the database's statement categories.
CATEGORY_OF = {
    "defamation": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "privacy_security": "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "national_security": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "hate_speech": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "government_criticism": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "religious_offense": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "obscenity_nudity": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "violence": "STATEMENT_CATEGORY_VIOLENCE",
    "electoral_law": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "bullying_harassment": "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "child_safety": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "drug_abuse": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "regulated_goods_services": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "fraud": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "false_information": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "copyright": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "trademark": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "impersonation": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "suicide_self_harm": "STATEMENT_CATEGORY_SELF_HARM",
    "other": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
}
VISIBILITY_OF = {
    DecisionAction.REMOVE_GLOBALLY: "DECISION_VISIBILITY_CONTENT_REMOVED",
    # Withheld in one country (geo-blocked): access to it is disabled there.
    DecisionAction.RESTRICT_IN_JURISDICTION: "DECISION_VISIBILITY_CONTENT_DISABLED",
}
GROUND_OF_REASON = {
    DecisionReason.POLICY_VIOLATION: dsa_rules.INCOMPATIBLE_CONTENT,
    DecisionReason.UNLAWFUL_LOCALLY: dsa_rules.ILLEGAL_CONTENT,
}
GROUND_OF_ACTION = {
    DecisionAction.REMOVE_GLOBALLY: dsa_rules.INCOMPATIBLE_CONTENT,
    DecisionAction.RESTRICT_IN_JURISDICTION: dsa_rules.ILLEGAL_CONTENT,
}
SOURCE_TYPE = "SOURCE_TYPE_OTHER_NOTIFICATION"

# The columns of the database's public CSV dumps ("full" files), in their order.
CSV_COLUMNS = (
    "uuid", "decision_visibility", "decision_visibility_other", "end_date_visibility_restriction",
    "decision_monetary", "decision_monetary_other", "end_date_monetary_restriction", "decision_provision",
    "end_date_service_restriction", "decision_account", "end_date_account_restriction", "account_type",
    "decision_ground", "decision_ground_reference_url", "illegal_content_legal_ground", "illegal_content_explanation",
    "incompatible_content_ground", "incompatible_content_explanation", "incompatible_content_illegal", "category",
    "category_addition", "category_specification", "category_specification_other", "content_type",
    "content_type_other", "content_language", "content_date", "content_id_ean", "territorial_scope",
    "application_date", "decision_facts", "source_type", "source_identity", "automated_detection",
    "automated_decision", "platform_name", "platform_uid", "created_at",
)
ARRAY_COLUMNS = ("decision_visibility", "content_type", "territorial_scope")
DATE_COLUMNS = ("content_date", "application_date", "end_date_visibility_restriction",
                "end_date_account_restriction", "end_date_monetary_restriction", "end_date_service_restriction")


class NotExpressible(Exception):
    """The decision has no faithful statement of reasons: ``reason`` says why (a few words that group
    decisions alike), ``detail`` the particulars (the values that broke a rule)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class StatementFacts:
    """What a statement needs beyond the request record: provisions' citations, the policy rules per item."""

    citations: dict[str, str]  # provision code -> "Criminal Code art. 174"
    policy_rules: dict[tuple[str, int], list[dict]] = field(default_factory=dict)  # (reference, position) -> rules


@dataclass
class StatementReport:
    """What an export wrote and what it could not: counts by reason, and the first decisions by name."""

    statements: int = 0
    not_expressible: int = 0
    reasons: Counter = field(default_factory=Counter)
    listed: list[dict] = field(default_factory=list)

    def skip(self, *, reference: str, position: int, action: str, reason: str, detail: str = "") -> None:
        self.not_expressible += 1
        self.reasons[reason] += 1
        if len(self.listed) < REPORT_LISTED_MAX:
            self.listed.append({"reference": reference, "item": position, "action": action, "reason": reason,
                                **({"detail": detail} if detail else {})})

    def as_dict(self) -> dict:
        return {"statements": self.statements, "not_expressible": self.not_expressible,
                "reasons": dict(sorted(self.reasons.items())), "listed": self.listed,
                "listed_complete": self.not_expressible <= REPORT_LISTED_MAX}

    def summary(self) -> str:
        lines = [f"{self.statements} statements written; {self.not_expressible} decisions not expressible."]
        lines += [f"  {count} x {reason}" for reason, count in sorted(self.reasons.items())]
        return "\n".join(lines)


def statement_puid(reference: str, position: int) -> str:
    """The platform's id of the statement: the request's reference and the item's position, e.g. CRS-2021-000123-1."""
    return f"{reference}-{position}"


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit - len(TRUNCATION_MARK)].rstrip() + TRUNCATION_MARK


def _legal_ground(record: dict, facts: StatementFacts) -> str:
    cited = [f"{facts.citations.get(code, code)} ({code})" for code in record["provisions"]]
    order = record["court_order"]
    if order:
        cited.append(f"court order {order['case_number']} of {order['court']}"
                     + (f", {order['date']}" if order["date"] else ""))
    if not cited:
        raise NotExpressible("no legal ground: the request cites no provision and no court order")
    return _cut("; ".join(cited), dsa_rules.MAX_SHORT_TEXT)


def _policy_ground(record: dict, item: dict, facts: StatementFacts) -> str:
    rules = facts.policy_rules.get((record["reference"], item["position"]), [])
    named = ", ".join(f"{rule['rule']} {rule['title']}" for rule in rules)
    return _cut("Community standards" + (f": {named}" if named else ""), dsa_rules.MAX_SHORT_TEXT)


def _scope(record: dict, action: str) -> list[str]:
    if action == DecisionAction.REMOVE_GLOBALLY:
        return list(dsa_rules.EU_EEA_CODES)  # removed everywhere, hence in every member state
    country = record["jurisdiction"]
    if country not in dsa_rules.EU_EEA_CODES:
        raise NotExpressible(f"restricted in {country}, outside the EU/EEA")
    return [country]


def item_statement(*, record: dict, item: dict, facts: StatementFacts) -> dict:
    """The statement of reasons for ``item``'s latest decision; NotExpressible if it has none."""
    decision = item["decision"]
    action = decision["action"]
    snapshot = item["snapshot"] or {}
    if not snapshot.get("posted_at"):
        raise NotExpressible("no platform post: the item names a URL the platform does not host")
    ground = GROUND_OF_REASON.get(decision["reason_code"]) or GROUND_OF_ACTION[action]
    rationale = " ".join(decision["rationale"].split())
    statement = {
        "decision_visibility": [VISIBILITY_OF[action]],
        "decision_ground": ground,
        "content_type": ["CONTENT_TYPE_TEXT"],
        "category": CATEGORY_OF[record["category"]],
        "territorial_scope": _scope(record, action),
        "content_date": snapshot["posted_at"][:10],
        "application_date": decision["decided_at"][:10],
        "decision_facts": _cut(rationale, dsa_rules.MAX_DECISION_FACTS),
        "source_type": SOURCE_TYPE,
        "source_identity": _cut(f"{record['agency_name']} ({record['jurisdiction']})", dsa_rules.MAX_SHORT_TEXT),
        # Every item came to the platform in a government's request, not from the platform's own detection.
        "automated_detection": "No",
        # The automated checks informed the review; a human reviewer made every decision.
        "automated_decision": ("AUTOMATED_DECISION_PARTIALLY" if record["checks"]
                               else "AUTOMATED_DECISION_NOT_AUTOMATED"),
        "puid": statement_puid(record["reference"], item["position"]),
    }
    language = str(snapshot.get("language", "")).upper()
    if dsa_rules.LANGUAGE_PATTERN.match(language):
        statement["content_language"] = language
    if ground == dsa_rules.ILLEGAL_CONTENT:
        statement["illegal_content_legal_ground"] = _legal_ground(record, facts)
        statement["illegal_content_explanation"] = _cut(rationale, dsa_rules.MAX_EXPLANATION)
    else:
        statement["incompatible_content_ground"] = _policy_ground(record, item, facts)
        statement["incompatible_content_explanation"] = _cut(rationale, dsa_rules.MAX_EXPLANATION)
    problems = dsa_rules.statement_problems(statement)
    if problems:
        fields = sorted({problem.split()[0] for problem in problems})
        raise NotExpressible("breaks the database's rules on " + ", ".join(fields), "; ".join(problems))
    return statement


def record_statements(record: dict, facts: StatementFacts, report: StatementReport) -> list[tuple[dict, str]]:
    """(statement, decision time) for the request's items whose latest decision removed or restricted them."""
    statements = []
    for item in record["items"]:
        decision = item["decision"]
        if decision is None or decision["action"] not in VISIBILITY_OF:
            continue
        try:
            statements.append((item_statement(record=record, item=item, facts=facts), decision["decided_at"]))
        except NotExpressible as exc:
            report.skip(reference=record["reference"], position=item["position"], action=decision["action"],
                        reason=exc.reason, detail=exc.detail)
        else:
            report.statements += 1
    return statements


def statement_uuid(statement: dict) -> str:
    return str(uuid.uuid5(STATEMENT_NAMESPACE, statement["puid"]))


def csv_row(statement: dict, *, created_at: str) -> list[str]:
    """A statement as a row of the dump: arrays as JSON, dates as the database's timestamps, one line per row."""
    values = {**statement, "uuid": statement_uuid(statement), "platform_name": PLATFORM_NAME,
              "platform_uid": statement["puid"], "created_at": created_at}
    row = []
    for column in CSV_COLUMNS:
        value = values.get(column)
        if value is None:
            row.append("")
        elif column in ARRAY_COLUMNS:
            row.append(json.dumps(value, separators=(",", ":")))
        elif column in DATE_COLUMNS:
            row.append(f"{value} 00:00:00")
        else:
            row.append(" ".join(str(value).split()))  # the dumps replace line breaks with spaces
    return row


def dump_time(api_time: str) -> str:
    """``2021-11-02T09:30:00.25Z`` as the dump writes timestamps: ``2021-11-02 09:30:00``."""
    return api_time[:19].replace("T", " ")
