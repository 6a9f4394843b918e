"""Scenarios: data files of jurisdictions, provisions, agencies, platform accounts and content.

A scenario is validated in full before anything is written; loading it runs in one
transaction and is idempotent (a second load changes nothing). A malformed file
fails with an error naming the file, the entry and the field.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from reports.limits import MAX_BRIEF_CHARS, MAX_HR_NOTES_CHARS, MAX_POST_CHARS
from reports.models import (
    Agency,
    AuthorityType,
    Category,
    ContentItem,
    Exercise,
    Jurisdiction,
    LegalProvision,
    Persona,
    PlatformAccount,
)
from reports.tenancy import exercise_default

SCENARIO_DIR = Path(settings.BASE_DIR) / "scenarios"

TOP_KEYS = {"scenario": True, "title": True, "description": False, "brief": False, "jurisdictions": True,
            "agencies": True, "accounts": True, "content": True}
JURISDICTION_KEYS = {"code": True, "name": True, "provisions": False}
PROVISION_KEYS = {"code": True, "statute": True, "article": True, "title": True, "description": False,
                  "categories": True, "in_force_from": True, "in_force_until": False, "concern": False,
                  "hr_notes": False}
AGENCY_KEYS = {"code": True, "jurisdiction": True, "name": True, "authority_type": True}
ACCOUNT_KEYS = {"handle": True, "display_name": True, "persona": True, "country": True, "bio": False}
CONTENT_KEYS = {"code": True, "author": True, "language": True, "country": True, "posted_at": True, "text": True,
                "translation": False}
# Posts in this language need no translation; every other post carries an English one for the reviewers.
READERS_LANGUAGE = "en"
MAX_DESCRIPTION_CHARS = 300


class ScenarioError(Exception):
    """A scenario file that cannot be loaded; the message names the file, the entry and the field."""


@dataclass
class LoadReport:
    scenario: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: str, kind: str) -> None:
        target = getattr(self, bucket)
        target[kind] = target.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        def fmt(counts):
            return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "nothing"
        return (f"Scenario {self.scenario}: created {fmt(self.created)}; updated {fmt(self.updated)}; "
                f"unchanged {fmt(self.unchanged)}.")


def resolve_scenario_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.exists():
            raise ScenarioError(f"{candidate}: no such file.")
        return candidate
    path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
        raise ScenarioError(f"No scenario named {name_or_path!r}. Known scenarios: {known}.")
    return path


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


@dataclass(frozen=True)
class ScenarioInfo:
    """What an instructor reads when choosing a scenario."""

    slug: str
    title: str
    description: str
    jurisdictions: tuple[str, ...]


def scenario_catalog() -> list[ScenarioInfo]:
    """The bundled scenarios, with their titles, descriptions and jurisdictions (each file read once)."""
    catalog = []
    for slug in available_scenarios():
        parsed = parse_scenario(resolve_scenario_path(slug))
        catalog.append(ScenarioInfo(slug=slug, title=parsed["title"], description=parsed["description"],
                                    jurisdictions=tuple(j["name"] for j in parsed["jurisdictions"])))
    return catalog


def scenario_title(slug: str) -> str:
    """The scenario's title, or its slug if the file is gone."""
    return next((info.title for info in scenario_catalog() if info.slug == slug), slug)


class _Validator:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str):
        raise ScenarioError(f"{self.path}: {where}: {message}")

    def keys(self, entry, spec: dict[str, bool], where: str) -> None:
        if not isinstance(entry, dict):
            self.fail(where, "expected a mapping of fields")
        unknown = sorted(set(entry) - set(spec))
        if unknown:
            self.fail(where, f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(spec)}")
        for name, required in spec.items():
            if required and (entry.get(name) is None or entry.get(name) == ""):
                self.fail(where, f"field '{name}' is required")

    def text(self, entry, name: str, where: str, *, max_length: int, pattern: str | None = None) -> str:
        value = entry.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(where, f"field '{name}' must be text, not {type(value).__name__}")
        value = value.strip()
        if len(value) > max_length:
            self.fail(where, f"field '{name}' is longer than {max_length} characters")
        if pattern and not re.fullmatch(pattern, value):
            self.fail(where, f"field '{name}' value {value!r} does not match {pattern}")
        return value

    def choice(self, entry, name: str, where: str, choices) -> str:
        value = entry.get(name)
        if value not in choices.values:
            self.fail(where, f"field '{name}' value {value!r} is not one of {', '.join(choices.values)}")
        return value

    def day(self, entry, name: str, where: str) -> date | None:
        value = entry.get(name)
        if value is None:
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(where, f"field '{name}' value {value!r} is not an ISO date (YYYY-MM-DD)")

    def moment(self, entry, name: str, where: str) -> datetime:
        value = entry.get(name)
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError:
                self.fail(where, f"field '{name}' value {value!r} is not an ISO 8601 date-time")
        if moment.tzinfo is None:
            self.fail(where, f"field '{name}' needs a UTC offset, e.g. 2021-10-12T09:30:00+06:00")
        return moment

    def unique(self, seen: set, value: str, where: str, name: str) -> None:
        if value in seen:
            self.fail(where, f"field '{name}' value {value!r} is used twice")
        seen.add(value)

    def entries(self, items: list, name: str, spec: dict[str, bool], key: str, *, max_length: int, pattern: str,
                within: str = "", shown=str):
        """Each entry of a list with its place (``agencies[2] (kz-misd)``) and its key, checked and unique."""
        seen: set[str] = set()
        for index, entry in enumerate(items):
            where = f"{within}{name}[{index}]"
            self.keys(entry, spec, where)
            code = self.text(entry, key, where, max_length=max_length, pattern=pattern)
            where = f"{where} ({shown(code)})"
            self.unique(seen, code, where, key)
            yield where, entry, code


def parse_scenario(path: Path) -> dict:
    """Read and validate a scenario file into plain, checked values (nothing is written)."""
    try:
        modified = path.stat().st_mtime_ns
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc.strerror}") from None
    return copy.deepcopy(_parse_cached(path, modified))


@lru_cache(maxsize=8)
def _parse_cached(path: Path, modified: int) -> dict:
    # Keyed by modification time: an edited file is read again.
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    v = _Validator(path)
    v.keys(raw, TOP_KEYS, "top level")
    slug = v.text(raw, "scenario", "top level", max_length=60, pattern=r"[a-z0-9-]+")
    parsed = {"scenario": slug, "title": v.text(raw, "title", "top level", max_length=200),
              "description": v.text(raw, "description", "top level", max_length=MAX_DESCRIPTION_CHARS),
              "brief": v.text(raw, "brief", "top level", max_length=MAX_BRIEF_CHARS),
              "jurisdictions": [], "provisions": [], "agencies": [], "accounts": [], "content": []}

    for key in ("jurisdictions", "agencies", "accounts", "content"):
        if not isinstance(raw[key], list) or not raw[key]:
            v.fail("top level", f"field '{key}' must be a non-empty list")

    codes: set[str] = set()
    provision_codes: set[str] = set()
    for where, entry, code in v.entries(raw["jurisdictions"], "jurisdictions", JURISDICTION_KEYS, "code",
                                        max_length=2, pattern=r"[A-Z]{2}"):
        codes.add(code)
        parsed["jurisdictions"].append({"code": code, "name": v.text(entry, "name", where, max_length=100)})
        provisions = entry.get("provisions") or []
        if not isinstance(provisions, list):
            v.fail(where, "field 'provisions' must be a list")
        for p_where, provision, p_code in v.entries(provisions, "provisions", PROVISION_KEYS, "code", max_length=40,
                                                    pattern=r"[A-Z]{2}-[A-Z0-9-]+", within=f"{where} "):
            v.unique(provision_codes, p_code, p_where, "code")  # unique across jurisdictions too
            if not p_code.startswith(code + "-"):
                v.fail(p_where, f"field 'code' must start with the jurisdiction's code {code}-")
            categories = provision.get("categories")
            if not isinstance(categories, list) or not categories:
                v.fail(p_where, "field 'categories' must be a non-empty list")
            for category in categories:
                if category not in Category.values:
                    v.fail(p_where, f"field 'categories' has unknown category {category!r}")
            start = v.day(provision, "in_force_from", p_where)
            end = v.day(provision, "in_force_until", p_where)
            if end is not None and end < start:
                v.fail(p_where, "field 'in_force_until' is before 'in_force_from'")
            concern = provision.get("concern", False)
            if not isinstance(concern, bool):
                v.fail(p_where, "field 'concern' must be true or false")
            parsed["provisions"].append({
                "code": p_code, "jurisdiction_id": code,
                "statute": v.text(provision, "statute", p_where, max_length=200),
                "article": v.text(provision, "article", p_where, max_length=60),
                "title": v.text(provision, "title", p_where, max_length=200),
                "description": v.text(provision, "description", p_where, max_length=1000),
                "categories": list(categories), "in_force_from": start, "in_force_until": end,
                "concern": concern, "hr_notes": v.text(provision, "hr_notes", p_where, max_length=MAX_HR_NOTES_CHARS),
            })

    for where, entry, code in v.entries(raw["agencies"], "agencies", AGENCY_KEYS, "code", max_length=60,
                                        pattern=r"[a-z0-9-]+"):
        jurisdiction = entry.get("jurisdiction")
        if jurisdiction not in codes:
            v.fail(where, f"field 'jurisdiction' value {jurisdiction!r} is not a jurisdiction of this file")
        parsed["agencies"].append({"code": code, "jurisdiction_id": jurisdiction,
                                   "name": v.text(entry, "name", where, max_length=200),
                                   "authority_type": v.choice(entry, "authority_type", where, AuthorityType)})

    handles: set[str] = set()
    for where, entry, handle in v.entries(raw["accounts"], "accounts", ACCOUNT_KEYS, "handle", max_length=30,
                                          pattern=r"[a-z0-9_.]{3,30}", shown=lambda handle: f"@{handle}"):
        handles.add(handle)
        parsed["accounts"].append({"handle": handle,
                                   "display_name": v.text(entry, "display_name", where, max_length=100),
                                   "persona": v.choice(entry, "persona", where, Persona),
                                   "country": v.text(entry, "country", where, max_length=2, pattern=r"[A-Z]{2}"),
                                   "bio": v.text(entry, "bio", where, max_length=300)})

    for where, entry, code in v.entries(raw["content"], "content", CONTENT_KEYS, "code", max_length=20,
                                        pattern=r"[a-z]{2}-[0-9]{4,}"):
        author = entry.get("author")
        if author not in handles:
            v.fail(where, f"field 'author' value {author!r} is not an account of this file")
        country = v.text(entry, "country", where, max_length=2, pattern=r"[A-Z]{2}")
        if country not in codes:
            v.fail(where, f"field 'country' value {country!r} is not a jurisdiction of this file")
        language = v.text(entry, "language", where, max_length=8, pattern=r"[a-z]{2,3}")
        translation = v.text(entry, "translation", where, max_length=MAX_POST_CHARS)
        if language != READERS_LANGUAGE and not translation:
            v.fail(where, f"field 'translation' is required: reviewers read an English translation of every post "
                          f"in another language ({language})")
        if language == READERS_LANGUAGE and translation:
            v.fail(where, "field 'translation' is for posts in other languages than English")
        parsed["content"].append({"code": code, "author": author, "language": language, "country": country,
                                  "posted_at": v.moment(entry, "posted_at", where),
                                  "text": v.text(entry, "text", where, max_length=MAX_POST_CHARS),
                                  "translation": translation})
    return parsed


def _upsert_many(model, key: str, entries: list[dict], report: LoadReport, kind: str, **scope) -> dict:
    """Create the missing rows and update the changed ones; key value -> row.

    One query reads the rows that exist and one inserts the new ones, so that loading a
    scenario into a new exercise (hundreds of accounts and posts) stays quick.
    """
    existing = {getattr(obj, key): obj for obj in model.objects.filter(
        **scope, **{f"{key}__in": [entry[key] for entry in entries]})}
    rows, new = {}, []
    for entry in entries:
        values = {name: value for name, value in entry.items() if name != key}
        obj = existing.get(entry[key])
        if obj is None:
            obj = model(**scope, **{key: entry[key]}, **values)
            new.append(obj)
            report.count("created", kind)
        else:
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            if changed:
                for name in changed:
                    setattr(obj, name, values[name])
                obj.save(update_fields=changed)
                report.count("updated", kind)
            else:
                report.count("unchanged", kind)
        rows[entry[key]] = obj
    model.objects.bulk_create(new)
    return rows


def load_scenario(name_or_path: str, *, exercise: Exercise | None = None) -> LoadReport:
    """Load a scenario into ``exercise`` (the default one unless given). Idempotent, all or nothing."""
    path = resolve_scenario_path(name_or_path)
    parsed = parse_scenario(path)
    report = LoadReport(scenario=parsed["scenario"])
    with transaction.atomic():
        exercise = exercise or exercise_default()
        if not exercise.scenario:
            exercise.scenario = parsed["scenario"]
            exercise.brief = parsed["brief"]
            exercise.save(update_fields=["scenario", "brief"])
        _upsert_many(Jurisdiction, "code", parsed["jurisdictions"], report, "jurisdictions")
        _upsert_many(LegalProvision, "code", parsed["provisions"], report, "provisions")
        _upsert_many(Agency, "code", parsed["agencies"], report, "agencies")
        accounts = _upsert_many(PlatformAccount, "handle", parsed["accounts"], report, "platform accounts",
                                exercise=exercise)
        # By id: comparing the author objects would read each existing post's author once more.
        content = [{**{k: v for k, v in entry.items() if k != "author"}, "author_id": accounts[entry["author"]].pk}
                   for entry in parsed["content"]]
        _upsert_many(ContentItem, "code", content, report, "content items", exercise=exercise)
    return report
