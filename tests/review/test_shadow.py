"""Shadow mode reports exactly the requests whose route a candidate rule version would change."""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import call_command

from audit.models import AuditEvent
from filing.inputs import ItemInput, RequestInput
from filing.services import request_file
from review.models import RuleSet
from review.rules import DEFAULT_RULES_FILE, RULES_DIR, active_ruleset
from review.services import request_screen
from review.vocabulary import route_place

pytestmark = pytest.mark.django_db


def screened(reporter, code, category, law):
    request, _ = request_file(reporter=reporter, data=RequestInput(
        items=[ItemInput(content_id=code)], category=category, legal_basis=[law],
        requested_action="restrict_in_jurisdiction", justification="A justification that is long enough to count."))
    request_screen(request_id=request.pk)
    request.refresh_from_db()
    return request


def candidate_file(tmp_path, change) -> str:
    data = yaml.safe_load(DEFAULT_RULES_FILE.read_text())
    data["community_standards_file"] = str(RULES_DIR / "community_standards.yaml")
    change(data)
    path = tmp_path / "candidate.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return str(path)


def test_a_lower_high_risk_threshold_changes_exactly_the_medium_risk_routes(tmp_path, kz_reporter, capsys):
    requests = [screened(kz_reporter, code, "hate_speech", "KZ-CC-174") for code in ("kz-0001", "kz-0003", "kz-0007",
                                                                                     "kz-0010", "kz-0024")]
    medium_to_legal = [r.reference for r in requests
                       if r.queue == "legal" and r.check_results.get(name="human_rights").verdict == "medium"]
    assert medium_to_legal, "the data set needs at least one medium-risk request in the legal queue"

    def lower_threshold(data):
        data["version"] = "2021.2-candidate"
        data["human_rights"]["risk_thresholds"] = {"medium": 2, "high": 3}

    call_command("workflow_shadow", "--rules", candidate_file(tmp_path, lower_threshold), "--json")
    report = json.loads(capsys.readouterr().out)

    changed = sorted(change["reference"] for change in report["changes"])
    expected = sorted(r.reference for r in requests
                      if r.queue == "legal" and r.check_results.get(name="human_rights").findings["score"] >= 3)
    assert changed == expected
    assert all(c["after"]["target"] == "human_rights" for c in report["changes"])
    assert all({"check": "human_rights", "before": "medium", "after": "high"} in c["why"] for c in report["changes"])
    assert all("Human rights: Medium risk → High risk" in c["why_in_words"] for c in report["changes"])
    assert report["per_jurisdiction"]["KZ"] == {"replayed": len(requests), "changed": len(expected)}


def test_the_command_says_in_words_where_each_route_would_go_and_why(tmp_path, kz_reporter, capsys):
    request = screened(kz_reporter, "kz-0007", "hate_speech", "KZ-CC-174")
    assert request.queue == "legal"

    def every_risk_high(data):
        data["version"] = "2021.2-candidate"
        data["human_rights"]["risk_thresholds"] = {"medium": 0, "high": 0}

    call_command("workflow_shadow", "--rules", candidate_file(tmp_path, every_risk_high))

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Candidate rules 2021.2-candidate: 1 request(s) replayed, 1 route(s) would change."
    (change,) = [line for line in lines if request.reference in line]
    assert change.startswith(f"  {request.reference} (KZ): Local law (priority ")
    assert "→ Human-rights escalation (priority " in change and change.endswith("→ High risk")
    assert "human_rights" not in change and "None" not in change


def test_a_place_without_a_priority_is_named_by_its_target_alone():
    assert route_place({"target": "needs_info", "priority": None}) == "Sent back for information"
    assert route_place({"target": "policy", "priority": 2}) == "Platform policy (priority 2)"


def test_an_unchanged_rule_file_changes_no_route(tmp_path, kz_reporter, capsys):
    for code in ("kz-0001", "kz-0007", "kz-0014"):
        screened(kz_reporter, code, "hate_speech", "KZ-CC-174")

    call_command("workflow_shadow", "--rules", candidate_file(tmp_path, lambda data: None), "--json")

    report = json.loads(capsys.readouterr().out)
    assert (report["replayed"], report["changed"]) == (3, 0)


def test_a_shadow_run_writes_nothing(tmp_path, kz_reporter, capsys):
    screened(kz_reporter, "kz-0007", "hate_speech", "KZ-CC-174")
    before = (AuditEvent.objects.count(), RuleSet.objects.count())

    call_command("workflow_shadow", "--rules", candidate_file(tmp_path, lambda d: d.update(version="x")))

    assert (AuditEvent.objects.count(), RuleSet.objects.count()) == before


def test_activating_a_version_is_audited_and_used_by_later_screenings(tmp_path, kz_reporter, capsys):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", "root@example.org", "x")
    active_ruleset()

    call_command("workflow_activate", "--rules", candidate_file(tmp_path, lambda d: d.update(version="2021.2")),
                 "--by", "root")

    assert active_ruleset().version == "2021.2"
    event = AuditEvent.objects.get(event_type="ruleset_activated", payload__version="2021.2")
    assert event.payload["previous"] == "2021.1"
    assert screened(kz_reporter, "kz-0007", "hate_speech", "KZ-CC-174").rules_version == "2021.2"
