"""Versioned rule data: loading, validating and compiling a rule set.

A rule set is a YAML file (see review/rules/2021.1.yaml). Once stored in the
database (review.models.RuleSet) it is immutable: a change is a new version.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.db import connection

from reports.completeness import DEFAULT_JUSTIFICATION_MIN_CHARS
from reports.errors import DomainError
from reports.models import Category, Persona
from review import literals
from review.models import RuleSet

RULES_DIR = Path(__file__).resolve().parent / "rules"
DEFAULT_RULES_FILE = RULES_DIR / "2021.1.yaml"
SEVERITIES = ("low", "medium", "high", "critical")
QUEUE_TARGETS = ("needs_info", "policy", "legal", "human_rights")


class RuleError(DomainError):
    def __init__(self, message: str):
        super().__init__(message, code="invalid_rules")


@dataclass(frozen=True)
class PolicyRule:
    id: str
    title: str
    category: str
    severity: str
    patterns: tuple[re.Pattern, ...]
    unclear_patterns: tuple[re.Pattern, ...]
    # For each pattern, the literals a text must contain before it can match (review/literals.py).
    pattern_needs: tuple[literals.Needs, ...] = ()
    unclear_needs: tuple[literals.Needs, ...] = ()


@dataclass(frozen=True)
class CompiledRules:
    version: str
    data: dict
    policy_rules: tuple[PolicyRule, ...]
    # Search a pattern only where its literals are present (False: search every pattern, as the
    # reference the tests compare with).
    prefilter: bool = True

    @property
    def justification_min_chars(self) -> int:
        """How long a justification the completeness check asks for (reports/completeness.py)."""
        return self.data.get("completeness", {}).get("justification_min_chars", DEFAULT_JUSTIFICATION_MIN_CHARS)


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise RuleError(f"{where}: {message}")


def load_rules_file(path: Path | str) -> dict:
    """Read a rule file (and the community standards it includes) into one plain dict."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleError(f"{path}: cannot be read: {exc}") from None
    _require(isinstance(data, dict), str(path), "a rule file is a mapping")
    include = data.pop("community_standards_file", None)
    if include:
        try:
            standards = yaml.safe_load((path.parent / include).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise RuleError(f"{path.parent / include}: cannot be read: {exc}") from None
        _require(isinstance(standards, dict) and isinstance(standards.get("rules"), list),
                 include, "expected a mapping with a 'rules' list")
        data["community_standards"] = standards["rules"]
    validate_rules(data, where=str(path))
    return data


def validate_rules(data: dict, *, where: str = "rules") -> None:
    """Refuse rule data the checks could not run, naming the place of each problem."""
    _require(isinstance(data.get("version"), str) and data["version"].strip() != "", where, "'version' is required")
    standards = data.get("community_standards")
    _require(isinstance(standards, list) and standards, where, "'community_standards' must list rules")
    seen = set()
    for index, rule in enumerate(standards):
        at = f"{where}: community_standards[{index}]"
        _require(isinstance(rule, dict), at, "each rule is a mapping")
        _require(bool(rule.get("id")) and rule["id"] not in seen, at, "'id' is required and unique")
        seen.add(rule["id"])
        _require(rule.get("category") in Category.values, at, f"unknown category {rule.get('category')!r}")
        _require(rule.get("severity") in SEVERITIES, at, f"severity must be one of {', '.join(SEVERITIES)}")
        for key in ("patterns", "unclear_patterns"):
            for pattern in rule.get(key) or []:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise RuleError(f"{at}.{key}: bad regular expression {pattern!r}: {exc}") from None
        _require(bool(rule.get("patterns")), at, "'patterns' must list at least one expression")

    hr = data.get("human_rights")
    _require(isinstance(hr, dict), where, "'human_rights' is required")
    aims = hr.get("legitimate_aims", {})
    unknown = set(aims) - set(Category.values)
    _require(not unknown, f"{where}: human_rights.legitimate_aims", f"unknown categories {sorted(unknown)}")
    flags = hr.get("red_flags", {})
    for name, flag in flags.items():
        _require(isinstance(flag, dict) and isinstance(flag.get("weight"), int),
                 f"{where}: human_rights.red_flags.{name}", "needs an integer 'weight'")
    personas = set(flags.get("heightened_persona", {}).get("personas", []))
    _require(personas <= set(Persona.values), f"{where}: human_rights.red_flags.heightened_persona",
             f"unknown personas {sorted(personas - set(Persona.values))}")
    thresholds = hr.get("risk_thresholds", {})
    _require(isinstance(thresholds.get("medium"), int) and isinstance(thresholds.get("high"), int)
             and thresholds["medium"] <= thresholds["high"],
             f"{where}: human_rights.risk_thresholds", "needs integers medium <= high")

    routing = data.get("routing")
    _require(isinstance(routing, dict), where, "'routing' is required")
    routes = routing.get("routes")
    _require(isinstance(routes, list) and routes, f"{where}: routing.routes", "must list routes")
    for index, route in enumerate(routes):
        _require(route.get("to") in QUEUE_TARGETS, f"{where}: routing.routes[{index}]",
                 f"'to' must be one of {', '.join(QUEUE_TARGETS)}")
        _require(isinstance(route.get("when"), dict), f"{where}: routing.routes[{index}]", "'when' is a mapping")
    _require(routes[-1]["when"] == {}, f"{where}: routing.routes", "the last route must match everything (when: {})")
    priorities = routing.get("priorities")
    _require(isinstance(priorities, list) and priorities and priorities[-1].get("when") == {},
             f"{where}: routing.priorities", "must end with a catch-all (when: {})")
    sla = {int(key): value for key, value in (routing.get("sla_hours") or {}).items()}
    for index, rule in enumerate(priorities):
        _require(rule.get("priority") in sla, f"{where}: routing.priorities[{index}]",
                 "its priority needs an entry in sla_hours")


def rules_digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@lru_cache(maxsize=16)
def _compile(digest: str, frozen: str) -> CompiledRules:
    data = json.loads(frozen)
    rules = []
    for rule in data["community_standards"]:
        patterns = tuple(re.compile(p, re.IGNORECASE) for p in rule.get("patterns") or [])
        unclear = tuple(re.compile(p, re.IGNORECASE) for p in rule.get("unclear_patterns") or [])
        rules.append(PolicyRule(
            id=rule["id"], title=rule.get("title", rule["id"]), category=rule["category"],
            severity=rule["severity"], patterns=patterns, unclear_patterns=unclear,
            pattern_needs=tuple(literals.needs(p) for p in patterns),
            unclear_needs=tuple(literals.needs(p) for p in unclear)))
    return CompiledRules(version=data["version"], data=data, policy_rules=tuple(rules))


def compile_rules(data: dict) -> CompiledRules:
    """Compiled rules, cached per content so that every screening does not recompile regexes."""
    return _compile(rules_digest(data), json.dumps(data, sort_keys=True))


class NoActiveRules(RuleError):
    def __init__(self):
        super().__init__("No rule set is active; run `python3 manage.py migrate`, which installs the bundled rules.")


def active_ruleset() -> RuleSet:
    """The active rule set (``manage.py migrate`` installs the bundled one; activating another is audited)."""
    active = RuleSet.objects.filter(state=RuleSet.State.ACTIVE).first()
    if active is None:
        raise NoActiveRules()
    return active


def active_rules() -> CompiledRules:
    """The active rule set, compiled (cached per content, so screening does not recompile its patterns).

    A stored rule set never changes (a change is a new version, and the admin shows it read-only),
    so the compiled rules are kept per (rule set, digest of its data): each call reads only which
    rule set is active, not its data, and neither serialises nor hashes the data again.
    """
    with connection.cursor() as cursor:
        # Asked of every screening task: one small statement, without the ORM's compilation.
        cursor.execute(_active_sql(), [RuleSet.State.ACTIVE.value])
        active = cursor.fetchone()
    if active is None:
        raise NoActiveRules()
    active = tuple(active)
    compiled = _compiled_by_row.get(active)
    if compiled is None:
        compiled = compile_rules(RuleSet.objects.values_list("data", flat=True).get(pk=active[0]))
        if len(_compiled_by_row) >= 16:
            _compiled_by_row.clear()
        _compiled_by_row[active] = compiled
    return compiled


_compiled_by_row: dict[tuple[int, str], CompiledRules] = {}


@lru_cache(maxsize=1)
def _active_sql() -> str:
    meta, quote = RuleSet._meta, connection.ops.quote_name
    return (f"SELECT {quote(meta.pk.column)}, {quote(meta.get_field('data_sha256').column)} "  # noqa: S608
            f"FROM {quote(meta.db_table)} WHERE {quote(meta.get_field('state').column)} = %s")


@lru_cache(maxsize=4)
def _bundled(path: Path, modified: int) -> str:
    # Keyed by modification time: an edited file is read again.
    return json.dumps(load_rules_file(path), sort_keys=True)


def bundled_rules() -> dict:
    """The rule file shipped with the product (DEFAULT_RULES_FILE), read and validated once."""
    return json.loads(_bundled(DEFAULT_RULES_FILE, DEFAULT_RULES_FILE.stat().st_mtime_ns))
