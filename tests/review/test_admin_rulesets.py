"""Rule versions in the admin: a shadow run before activation, and activation by administrators only."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from review.models import RuleSet
from review.rules import active_ruleset
from review.services import ruleset_store
from review.shadow import shadow_run
from tests.factories import UserFactory

CHANGELIST = reverse("admin:review_ruleset_changelist")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def candidate(db) -> RuleSet:
    """Rules that call a human-rights risk high from a score of 2: low-risk legal requests would move."""
    data = copy.deepcopy(active_ruleset().data)
    data["version"] = "2021.2"
    data["description"] = "Stricter human-rights thresholds."
    data["human_rights"]["risk_thresholds"] = {"medium": 1, "high": 2}
    return ruleset_store(data=data)


def shadow_url(ruleset) -> str:
    return reverse("admin:review_ruleset_shadow", args=[ruleset.pk])


def test_shadow_run_shows_which_routes_the_candidate_would_change_and_why(client_for, file_request, candidate,
                                                                          superuser):
    legal, policy = file_request("legal"), file_request("policy")

    response = client_for(superuser).get(shadow_url(candidate))

    assert response.status_code == 200
    report = response.context["report"]
    assert report == shadow_run(candidate=candidate.data).as_dict()
    assert (report["replayed"], report["changed"]) == (2, 1)
    change = report["changes"][0]
    assert (change["reference"], change["before"]["target"], change["after"]["target"]) == (
        legal.reference, "legal", "human_rights")
    html = response.content.decode()
    assert legal.reference in html and policy.reference not in html
    assert "Human rights: Low risk → High risk" in html and "human_rights" not in html
    assert "Local law (priority" in html and "Human-rights escalation (priority" in html
    assert "</strong> requests replayed" in html and "</strong> route would change" in html
    # Nothing was written: the rules and the requests are as they were.
    assert RuleSet.objects.get(pk=candidate.pk).state == RuleSet.State.CANDIDATE
    legal.refresh_from_db()
    assert legal.queue == "legal"


def test_superuser_activates_a_candidate_with_the_admin_action(client_for, candidate, superuser):
    previous = active_ruleset()

    response = client_for(superuser).post(CHANGELIST, {"action": "activate", "_selected_action": [candidate.pk]},
                                          follow=True)

    assert [str(m) for m in response.context["messages"]] == ["Rules 2021.2 are active for every future screening."]
    candidate.refresh_from_db()
    previous.refresh_from_db()
    assert (candidate.state, candidate.activated_by) == (RuleSet.State.ACTIVE, superuser)
    assert previous.state == RuleSet.State.RETIRED
    event = AuditEvent.objects.get(event_type="ruleset_activated", actor=superuser)
    assert event.payload["version"] == "2021.2" and event.payload["previous"] == previous.version


def test_superuser_activates_from_the_shadow_run_page(client_for, candidate, superuser):
    client = client_for(superuser)
    activate = reverse("admin:review_ruleset_activate", args=[candidate.pk])
    assert activate in client.get(shadow_url(candidate)).content.decode()

    assert client.get(activate).status_code == 405
    client.post(activate)

    assert RuleSet.objects.get(pk=candidate.pk).state == RuleSet.State.ACTIVE
    assert AuditEvent.objects.filter(event_type="ruleset_activated", actor=superuser).count() == 1


def test_activating_two_versions_at_once_is_refused(client_for, candidate, superuser):
    active = active_ruleset()

    response = client_for(superuser).post(CHANGELIST, {"action": "activate",
                                                       "_selected_action": [candidate.pk, active.pk]}, follow=True)

    assert [str(m) for m in response.context["messages"]] == ["Select exactly one rule version to activate."]
    assert RuleSet.objects.get(pk=candidate.pk).state == RuleSet.State.CANDIDATE


@pytest.mark.parametrize("person", ["senior_reviewer", "auditor"])
def test_only_administrators_run_shadow_runs_or_activate(client_for, candidate, request, person):
    user = request.getfixturevalue(person)
    client = client_for(user)

    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["action_form"] is None
    client.post(CHANGELIST, {"action": "activate", "_selected_action": [candidate.pk]})
    assert client.get(shadow_url(candidate)).status_code == 403
    assert client.post(reverse("admin:review_ruleset_activate", args=[candidate.pk])).status_code == 403

    assert RuleSet.objects.get(pk=candidate.pk).state == RuleSet.State.CANDIDATE
    assert not AuditEvent.objects.filter(event_type="ruleset_activated", actor=user).exists()
