"""The EU DSA Transparency Database's rules for a statement of reasons (schema v2).

One place for the database's enumerations, limits and conditional rules, so that the export
checks every statement before writing it (transparency/dsa.py) and anyone can check a file
against the same rules. ``statement_problems`` answers with the broken rules in words, as the
database's own validation would refuse the statement; an empty list means it would accept it.
"""

from __future__ import annotations

import re
from datetime import date

DECISION_VISIBILITY = (
    "DECISION_VISIBILITY_CONTENT_REMOVED", "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED", "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED", "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
)
ILLEGAL_CONTENT = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE_CONTENT = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
DECISION_GROUNDS = (ILLEGAL_CONTENT, INCOMPATIBLE_CONTENT)
CONTENT_TYPES = (
    "CONTENT_TYPE_APP", "CONTENT_TYPE_AUDIO", "CONTENT_TYPE_IMAGE", "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO", "CONTENT_TYPE_OTHER",
)
CATEGORIES = tuple(f"STATEMENT_CATEGORY_{name}" for name in (
    "ANIMAL_WELFARE", "CONSUMER_INFORMATION", "CYBER_VIOLENCE", "CYBER_VIOLENCE_AGAINST_WOMEN",
    "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "ILLEGAL_OR_HARMFUL_SPEECH", "INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "NOT_SPECIFIED_NOTICE", "OTHER_VIOLATION_TC",
    "PROTECTION_OF_MINORS", "RISK_FOR_PUBLIC_SECURITY", "SCAMS_AND_FRAUD", "SELF_HARM",
    "UNSAFE_AND_PROHIBITED_PRODUCTS", "VIOLENCE",
))
# The EU and EEA states as the database spells them (Greece is GR, not EL).
EU_EEA_CODES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI",
    "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
)
SOURCE_VOLUNTARY = "SOURCE_VOLUNTARY"
SOURCE_TYPES = ("SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION", SOURCE_VOLUNTARY)
YES_NO = ("Yes", "No")
AUTOMATED_DECISIONS = ("AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED")
ACCOUNT_TYPES = ("ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE")

# Lengths in characters.
MAX_SHORT_TEXT = 500
MAX_EXPLANATION = 2000
MAX_DECISION_FACTS = 5000
PUID_PATTERN = re.compile(r"^[a-zA-Z0-9\-_]+$")
LANGUAGE_PATTERN = re.compile(r"^[A-Z]{2}$")
DAY_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
CONTENT_DATE_RANGE = (date(2000, 1, 1), date(2038, 1, 1))
APPLICATION_DATE_RANGE = (date(2020, 1, 1), date(2038, 1, 1))
END_DATES = ("end_date_visibility_restriction", "end_date_account_restriction", "end_date_monetary_restriction",
             "end_date_service_restriction")
# A statement may carry these fields and no others (this export never writes the monetary,
# provision and account decisions, so they are not accepted either).
FIELDS = frozenset({
    "decision_visibility", "decision_visibility_other", "decision_ground", "decision_ground_reference_url",
    "illegal_content_legal_ground", "illegal_content_explanation", "incompatible_content_ground",
    "incompatible_content_explanation", "incompatible_content_illegal", "content_type", "content_type_other",
    "category", "territorial_scope", "content_language", "content_date", "application_date", *END_DATES,
    "decision_facts", "source_type", "source_identity", "automated_detection", "automated_decision", "puid",
    "account_type",
})
REQUIRED = ("decision_visibility", "decision_ground", "content_type", "category", "content_date", "application_date",
            "decision_facts", "source_type", "automated_detection", "automated_decision", "puid")
BATCH_SIZE = 100  # statements per call of the bulk endpoint (POST /api/v1/statements)


def _day(value) -> date | None:
    if not isinstance(value, str) or not DAY_PATTERN.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _text(problems: list[str], statement: dict, name: str, limit: int, *, required: bool = False) -> None:
    if name not in statement:
        if required:
            problems.append(f"{name} is required")
        return
    value = statement[name]
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{name} must be a non-empty string")
    elif len(value) > limit:
        problems.append(f"{name} is {len(value)} characters long; the limit is {limit}")


def _choices(problems: list[str], statement: dict, name: str, allowed: tuple, *, required: bool = False) -> list:
    """An array field: non-empty, without repeats, each value one of ``allowed``."""
    if name not in statement:
        if required:
            problems.append(f"{name} is required")
        return []
    values = statement[name]
    if not isinstance(values, list) or not values:
        problems.append(f"{name} must be a non-empty array")
        return []
    if len(set(map(str, values))) != len(values):
        problems.append(f"{name} repeats a value")
    for value in values:
        if value not in allowed:
            problems.append(f"{name} has {value!r}, which is not one of its values")
    return values


def _choice(problems: list[str], statement: dict, name: str, allowed: tuple, *, required: bool = False) -> None:
    if name not in statement:
        if required:
            problems.append(f"{name} is required")
    elif statement[name] not in allowed:
        problems.append(f"{name} is {statement[name]!r}, which is not one of its values")


def _date(problems: list[str], statement: dict, name: str, bounds: tuple[date, date] | None,
          *, required: bool = False) -> date | None:
    if name not in statement:
        if required:
            problems.append(f"{name} is required")
        return None
    day = _day(statement[name])
    if day is None:
        problems.append(f"{name} must be a date written YYYY-MM-DD, not {statement[name]!r}")
        return None
    if bounds and not bounds[0] <= day <= bounds[1]:
        problems.append(f"{name} {day} is outside {bounds[0]} to {bounds[1]}")
    return day


def _only_with(problems: list[str], statement: dict, names: tuple[str, ...], condition: bool, reason: str) -> None:
    for name in names:
        if name in statement and not condition:
            problems.append(f"{name} is allowed only {reason}")


def statement_problems(statement: dict) -> list[str]:
    """Every rule of the database that ``statement`` (one JSON statement) breaks, in words; [] if none."""
    if not isinstance(statement, dict):
        return ["a statement must be a JSON object"]
    problems = [f"{name} is not a field of a statement" for name in sorted(set(statement) - FIELDS)]
    problems += [f"{name} is required" for name in REQUIRED if name not in statement]

    visibility = _choices(problems, statement, "decision_visibility", DECISION_VISIBILITY)
    other = "DECISION_VISIBILITY_OTHER" in visibility
    _text(problems, statement, "decision_visibility_other", MAX_SHORT_TEXT, required=other)
    _only_with(problems, statement, ("decision_visibility_other",), other, "with DECISION_VISIBILITY_OTHER")

    _choice(problems, statement, "decision_ground", DECISION_GROUNDS)
    ground = statement.get("decision_ground")
    illegal, incompatible = ground == ILLEGAL_CONTENT, ground == INCOMPATIBLE_CONTENT
    _text(problems, statement, "illegal_content_legal_ground", MAX_SHORT_TEXT, required=illegal)
    _text(problems, statement, "illegal_content_explanation", MAX_EXPLANATION, required=illegal)
    _only_with(problems, statement, ("illegal_content_legal_ground", "illegal_content_explanation"), illegal,
               f"with {ILLEGAL_CONTENT}")
    _text(problems, statement, "incompatible_content_ground", MAX_SHORT_TEXT, required=incompatible)
    _text(problems, statement, "incompatible_content_explanation", MAX_EXPLANATION, required=incompatible)
    _choice(problems, statement, "incompatible_content_illegal", YES_NO)
    _only_with(problems, statement, ("incompatible_content_ground", "incompatible_content_explanation",
                                     "incompatible_content_illegal"), incompatible, f"with {INCOMPATIBLE_CONTENT}")
    if "decision_ground_reference_url" in statement:
        _text(problems, statement, "decision_ground_reference_url", MAX_SHORT_TEXT)
        if not URL_PATTERN.match(str(statement["decision_ground_reference_url"])):
            problems.append("decision_ground_reference_url must be a URL")

    types = _choices(problems, statement, "content_type", CONTENT_TYPES)
    type_other = "CONTENT_TYPE_OTHER" in types
    _text(problems, statement, "content_type_other", MAX_SHORT_TEXT, required=type_other)
    _only_with(problems, statement, ("content_type_other",), type_other, "with CONTENT_TYPE_OTHER")

    _choice(problems, statement, "category", CATEGORIES)
    _choices(problems, statement, "territorial_scope", EU_EEA_CODES)
    if "content_language" in statement and not LANGUAGE_PATTERN.match(str(statement["content_language"])):
        problems.append(f"content_language must be an upper-case ISO 639-1 code, not {statement['content_language']!r}")

    content_day = _date(problems, statement, "content_date", CONTENT_DATE_RANGE)
    application_day = _date(problems, statement, "application_date", APPLICATION_DATE_RANGE)
    if content_day and application_day and application_day < content_day:
        problems.append("application_date is before content_date")
    for name in END_DATES:
        end = _date(problems, statement, name, None)
        if end and application_day and end < application_day:
            problems.append(f"{name} is before application_date")

    _text(problems, statement, "decision_facts", MAX_DECISION_FACTS)
    _choice(problems, statement, "source_type", SOURCE_TYPES)
    _text(problems, statement, "source_identity", MAX_SHORT_TEXT)
    _only_with(problems, statement, ("source_identity",), statement.get("source_type") != SOURCE_VOLUNTARY,
               f"when source_type is not {SOURCE_VOLUNTARY}")
    _choice(problems, statement, "automated_detection", YES_NO)
    _choice(problems, statement, "automated_decision", AUTOMATED_DECISIONS)
    _text(problems, statement, "puid", MAX_SHORT_TEXT)
    if isinstance(statement.get("puid"), str) and not PUID_PATTERN.match(statement["puid"]):
        problems.append(f"puid {statement['puid']!r} has characters other than letters, digits, - and _")
    _choice(problems, statement, "account_type", ACCOUNT_TYPES)
    return problems
