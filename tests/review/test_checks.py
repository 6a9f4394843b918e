"""Each check, on hand-built check inputs: verdicts, flags and explanations."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from review import literals
from review.checks import completeness, human_rights, local_law, platform_policy, run_checks
from review.rules import DEFAULT_RULES_FILE, compile_rules, load_rules_file

RULES = compile_rules(load_rules_file(DEFAULT_RULES_FILE))
PROVISION = {"code": "KZ-CC-174", "jurisdiction": "KZ", "title": "Inciting discord", "description": "",
             "categories": ["hate_speech", "religious_offense"], "in_force_from": "2015-01-01",
             "in_force_until": None, "concern": True}


def check_input(*, items=None, provisions=None, **request) -> dict:
    base = {"category": "hate_speech", "requested_action": "restrict_in_jurisdiction", "urgency": "standard",
            "justification_chars": 80, "confidentiality_requested": False, "submitted_on": "2021-11-02",
            "jurisdiction": "KZ", "court_order": None}
    return {
        "request": {**base, **request},
        "items": items if items is not None else [item(1)],
        "provisions": provisions if provisions is not None else [PROVISION],
    }


def item(position, *, text="A calm post about the price of bread.", persona="ordinary_user", posted_on="2021-10-01",
         resolved=True):
    return {"position": position, "resolved": resolved, "url": f"https://platform.example/p/kz-{position:04d}",
            "text": text, "posted_on": posted_on, "persona": persona, "language": "en", "country": "KZ"}


def run(module, data):
    outcomes = {}
    for check in (completeness, platform_policy, local_law, human_rights):
        outcomes[check.NAME] = check.run(data, RULES, outcomes)
        if check is module:
            return outcomes[check.NAME]
    raise AssertionError


def test_a_complete_request_passes_completeness():
    outcome = run(completeness, check_input())

    assert (outcome.verdict, outcome.findings["missing"]) == ("complete", [])
    assert outcome.explanation.startswith("The item resolves to content, the legal basis")


def test_completeness_counts_the_items_in_words():
    outcome = run(completeness, check_input(items=[item(1), item(2), item(3)]))

    assert outcome.explanation.startswith("All 3 items resolve to content")


def test_completeness_lists_each_missing_part():
    outcome = run(completeness, check_input(provisions=[], justification_chars=5, requested_action="",
                                            items=[item(1, resolved=False)]))

    assert outcome.verdict == "incomplete"
    assert [p["field"] for p in outcome.findings["missing"]] == ["items.0", "legal_basis", "justification",
                                                                 "requested_action"]
    assert "Cite at least one legal provision, or attach a court order." in outcome.explanation


def test_a_court_order_stands_in_for_a_cited_provision():
    outcome = run(completeness, check_input(provisions=[], court_order={"court": "c", "case_number": "1",
                                                                        "date": None}))

    assert outcome.verdict == "complete"


def test_imminent_harm_is_flagged_for_routing():
    assert "imminent_harm" in run(completeness, check_input(urgency="imminent_harm")).flags


def test_policy_finds_a_violating_item_whoever_reported_it():
    data = check_input(items=[item(1), item(2, text="We should burn them down tonight.")])

    outcome = run(platform_policy, data)

    assert outcome.verdict == "violates"
    assert [entry["verdict"] for entry in outcome.findings["items"]] == ["no_violation", "violates"]
    assert "violates:CS-VIOLENCE-1" in outcome.flags


def test_policy_finds_no_violation_in_criticism():
    outcome = run(platform_policy, check_input(items=[item(1, text="The minister has failed the people of Almaty.")]))

    assert outcome.verdict == "no_violation"


def test_local_law_supports_a_valid_provision_of_the_requesters_own_country():
    outcome = run(local_law, check_input())

    assert (outcome.verdict, outcome.findings["valid"]) == ("supported", ["KZ-CC-174"])


def test_local_law_rejects_a_foreign_provision():
    foreign = {**PROVISION, "code": "DE-STGB-130", "jurisdiction": "DE"}

    outcome = run(local_law, check_input(provisions=[foreign]))

    assert outcome.verdict == "unsupported"
    assert "foreign_provision:DE-STGB-130" in outcome.flags
    assert "belongs to DE, not to the requester's jurisdiction (KZ)" in outcome.explanation


def test_local_law_rejects_a_provision_not_in_force_when_the_content_was_posted():
    later = {**PROVISION, "code": "KZ-ONLINE-2023", "in_force_from": "2023-07-10"}

    outcome = run(local_law, check_input(provisions=[later], submitted_on="2024-01-10"))

    assert outcome.verdict == "unsupported"
    assert outcome.flags == ["not_in_force_on_content_date:KZ-ONLINE-2023"]
    assert "was not in force when item 1 was posted" in outcome.explanation
    two = run(local_law, check_input(provisions=[later], submitted_on="2024-01-10", items=[item(1), item(2)]))
    assert "was not in force when items 1, 2 were posted" in two.explanation


def test_local_law_rejects_a_provision_not_in_force_on_the_request_date():
    repealed = {**PROVISION, "in_force_until": "2021-06-30"}

    outcome = run(local_law, check_input(provisions=[repealed]))

    assert "not_in_force_on_request_date:KZ-CC-174" in outcome.flags


def test_local_law_rejects_a_provision_that_does_not_cover_the_category():
    outcome = run(local_law, check_input(category="government_criticism"))

    assert outcome.flags == ["category_not_covered:KZ-CC-174"]


def test_a_court_order_strengthens_an_otherwise_unsupported_request():
    outcome = run(local_law, check_input(category="government_criticism",
                                         court_order={"court": "c", "case_number": "1", "date": None}))

    assert outcome.verdict == "weak"
    assert "court_order" in outcome.flags


def test_global_removal_on_national_law_is_out_of_scope():
    outcome = run(local_law, check_input(requested_action="remove_globally"))

    assert "global_removal_on_national_law" in outcome.flags


def test_human_rights_marks_criticism_of_a_journalist_high_risk():
    data = check_input(category="government_criticism", items=[item(1, persona="journalist")])

    outcome = run(human_rights, data)

    assert outcome.verdict == "high"
    assert {"no_legitimate_aim", "persona:journalist:item1", "sensitive_category:government_criticism"} <= set(
        outcome.flags)
    assert outcome.findings["three_part_test"]["legitimate_aim"] == "none"


def test_human_rights_marks_a_precise_lawful_request_with_a_court_order_low_risk():
    precise = {**PROVISION, "concern": False}
    data = check_input(category="hate_speech", provisions=[precise],
                       court_order={"court": "c", "case_number": "1", "date": None})

    outcome = run(human_rights, data)

    assert outcome.verdict == "low"
    assert outcome.findings["three_part_test"] == {"legality": "met", "legitimate_aim": "public_order",
                                                   "necessity_and_proportionality": "met"}


def test_incitement_claims_ask_for_the_rabat_factors():
    outcome = run(human_rights, check_input(category="hate_speech"))

    assert "rabat_assessment" in outcome.flags
    assert len(outcome.findings["rabat_factors"]) == 6


@pytest.mark.parametrize("flag_input, flag", [
    ({"confidentiality_requested": True}, "confidentiality_requested"),
    ({"requested_action": "remove_globally"}, "wider_than_territory"),
    ({"category": "defamation"}, "defamation_without_court_order"),
])
def test_red_flags_are_raised(flag_input, flag):
    assert flag in run(human_rights, check_input(**flag_input)).flags


def test_checks_run_in_the_same_order_every_time():
    assert [o.name for o in run_checks(check_input(), RULES)] == ["completeness", "platform_policy", "local_law",
                                                                  "human_rights"]


def _scenario_texts() -> list[str]:
    texts = []
    for path in sorted((Path(DEFAULT_RULES_FILE).resolve().parents[2] / "scenarios").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [entry["text"] for entry in data.get("content", []) if entry.get("text")]
    return texts


def _case_variants(text: str) -> list[str]:
    """The text as written, shouted, whispered, and with letters re's case-insensitive matching also equates."""
    odd = str.maketrans({"s": "ſ", "k": "\u212a", "K": "\u212a", "i": "İ", "ё": "Ё", "ß": "ẞ"})
    return [text, text.upper(), text.lower(), text.swapcase(), text.translate(odd), text.upper().translate(odd)]


def test_searching_only_patterns_whose_literals_are_present_gives_every_texts_own_verdict_and_rules():
    texts = [variant for text in _scenario_texts() for variant in _case_variants(text)]
    every_pattern = dataclasses.replace(RULES, prefilter=False)
    verdicts = [platform_policy.assess_text(text, RULES) for text in texts]

    assert verdicts == [platform_policy.assess_text(text, every_pattern) for text in texts]
    assert {verdict for verdict, _rules in verdicts} == {"violates", "unclear", "no_violation"}


@pytest.mark.parametrize(("pattern", "text"), [
    (r"\bkys\b", "KYS"),
    (r"\bkys\b", "\u212aYS"),  # KELVIN SIGN: matched as "k" by re.IGNORECASE
    (r"\bsieg\s+heil\b", "ſieg heil"),  # LONG S: matched as "s"
    (r"\bmiracle\s+cure\b", "MİRACLE CURE"),
    (r"журвак\w*", "ЖУРВАКИ"),
    (r"(сожж[её]м|сожгите)", "СОЖЖЁМ"),
    (r"\bdrink(ing)?\s+(a\s+spoon\s+of\s+)?(bleach|kerosene)\b", "Drinking a spoon of BLEACH"),
])
def test_a_pattern_whose_literals_are_present_in_any_case_is_still_searched(pattern, text):
    compiled = re.compile(pattern, re.IGNORECASE)
    assert bool(compiled.search(text)) == literals.present(literals.fold(text), literals.needs(compiled))


def test_literals_are_read_from_words_alternatives_and_repeats_but_not_from_classes_or_optional_parts():
    def needs(pattern: str) -> set:
        return {tuple(sorted(group)) for group in literals.needs(re.compile(pattern, re.IGNORECASE))}

    assert needs(r"\b(burn|torch)\s+it\s+down\b") == {("burn", "torch"), ("it",), ("down",)}
    assert needs(r"molotovs?") == {("molotov",)}
    assert needs(r"(ab)+c") == {("ab",), ("c",)}
    assert needs(r"(?:x)?[abc]\d*") == set()
    assert needs(r"(a|[bc])d") == {("d",)}
    assert needs(r"\b(\w+) \1\b") == {(" ",)}


def test_the_case_equivalences_the_literals_are_folded_by_are_whole_classes():
    from re import _casefix

    for code, others in _casefix._EXTRA_CASES.items():
        members = {code, *others}
        assert all({other, *_casefix._EXTRA_CASES[other]} == members for other in others)


def test_patterns_that_count_groups_match_as_written():
    data = load_rules_file(DEFAULT_RULES_FILE)
    data["version"] = "backreference"
    data["community_standards"][0]["patterns"] = [r"\b(\w+) \1\b"]
    rules = compile_rules(data)

    first = rules.policy_rules[0].id
    assert first in [rule["rule"] for rule in platform_policy.assess_text("bread bread", rules)[1]]
    assert first not in [rule["rule"] for rule in platform_policy.assess_text("bread and tea", rules)[1]]
