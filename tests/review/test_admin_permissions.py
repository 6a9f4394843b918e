"""What nobody may do in the admin, and what auditors may only read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from reports.models import TakedownRequest
from review.models import CheckResult, Decision, RuleSet, ScreeningRun
from review.services import item_decide, request_claim
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def decided(file_request, policy_reviewer):
    """A request decided by a policy reviewer: it has checks, a screening, a decision and audit events."""
    takedown = file_request("policy")
    request_claim(reviewer=policy_reviewer, request=takedown)
    item_decide(reviewer=policy_reviewer, item=takedown.items.get(), action="remove_globally",
                reason_code="policy_violation", rationale="Incitement to violence.")
    return takedown


RECORDS = [AuditEvent, CheckResult, Decision, ScreeningRun, RuleSet]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_nobody_may_delete_a_request_not_even_a_superuser(client_for, decided, superuser):
    client = client_for(superuser)

    assert client.get(admin_url(TakedownRequest, "delete", decided.pk)).status_code == 403
    assert client.post(admin_url(TakedownRequest, "delete", decided.pk), {"post": "yes"}).status_code == 403
    response = client.post(admin_url(TakedownRequest, "changelist"),
                           {"action": "delete_selected", "_selected_action": [decided.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert TakedownRequest.objects.filter(pk=decided.pk).exists()


def test_nobody_may_add_a_request_in_the_admin(client_for, superuser, db):
    assert client_for(superuser).get(admin_url(TakedownRequest, "add")).status_code == 403


@pytest.mark.parametrize("model", [AuditEvent, CheckResult, Decision, ScreeningRun])
def test_nobody_may_change_or_delete_a_record_not_even_a_superuser(client_for, decided, superuser, model):
    record = model.objects.filter(**({"request": decided})).order_by("pk").first()
    client = client_for(superuser)
    before = model.objects.count()

    assert client.get(admin_url(model, "change", record.pk)).status_code == 200  # readable ...
    assert client.post(admin_url(model, "change", record.pk), {"verdict": "changed"}).status_code == 403
    assert client.post(admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    assert client.get(admin_url(model, "add")).status_code == 403
    assert model.objects.count() == before
    assert model.objects.get(pk=record.pk).pk == record.pk


def test_a_check_result_keeps_its_verdict_and_explanation(client_for, decided, superuser):
    result = CheckResult.objects.filter(request=decided, name="human_rights").get()
    before = (result.verdict, result.explanation, result.flags)

    client_for(superuser).post(admin_url(CheckResult, "change", result.pk),
                               {"verdict": "low", "explanation": "nothing to see", "flags": "[]"})

    result.refresh_from_db()
    assert (result.verdict, result.explanation, result.flags) == before


@pytest.mark.parametrize("model", [TakedownRequest, *RECORDS])
def test_auditor_reads_every_list_without_actions(client_for, decided, auditor, model):
    # The request list opens on open requests; the decided one is there under "any status".
    query = {"status": "any"} if model is TakedownRequest else {}
    response = client_for(auditor).get(admin_url(model, "changelist"), query)

    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert len(response.context["cl"].result_list) >= 1


def test_auditor_reads_a_request_but_gets_no_review_buttons(client_for, decided, auditor, file_request):
    waiting = file_request("policy")

    response = client_for(auditor).get(admin_url(TakedownRequest, "change", waiting.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Claim this request" not in html and "Decide item" not in html
    assert reverse("admin:reports_takedownrequest_claim", args=[waiting.pk]) not in html


def test_audit_events_of_another_exercise_are_not_listed(client_for, decided, auditor):
    from django.utils import timezone

    from reports.models import Exercise

    other = Exercise.objects.create(slug="other", name="Other class")
    elsewhere = AuditEvent.objects.create(event_type="request_claimed", exercise=other, actor_role="system",
                                          created_at=timezone.now(), payload={}, canonical=b"{}")

    response = client_for(auditor).get(admin_url(AuditEvent, "changelist"))

    shown = {event.pk for event in response.context["cl"].result_list}
    assert set(AuditEvent.objects.filter(request=decided).values_list("pk", flat=True)) <= shown
    assert elsewhere.pk not in shown
    assert client_for(auditor).get(admin_url(AuditEvent, "change", elsewhere.pk)).status_code == 302


def test_audit_events_show_their_leaf_in_the_transparency_log_once_sealed(client_for, decided, auditor):
    from audit.log import log_seal_all

    first = AuditEvent.objects.filter(request=decided).order_by("id").first()
    client = client_for(auditor)
    assert "not yet sealed" in client.get(admin_url(AuditEvent, "change", first.pk)).content.decode()

    log_seal_all()

    response = client.get(admin_url(AuditEvent, "changelist"))
    leaves = {event.pk: event.log_entry.index for event in response.context["cl"].result_list}
    assert leaves[first.pk] == first.log_entry.index
