"""simulate files realistic synthetic requests through the same filing service."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from reports.models import TakedownRequest

pytestmark = pytest.mark.django_db


def test_simulate_files_requests_from_the_scenarios_agencies(comparative_scenario, capsys):
    call_command("simulate", "--requests", "30", "--seed", "7", verbosity=0)

    assert "Filed 30 request(s); 0 refused." in capsys.readouterr().out
    assert TakedownRequest.objects.filter(status="submitted").count() == 30
    assert AuditEvent.objects.filter(event_type="request_submitted").count() == 30
    assert TakedownRequest.objects.values("agency__jurisdiction").distinct().count() > 3


def test_simulate_can_keep_to_one_jurisdiction(comparative_scenario):
    call_command("simulate", "--requests", "10", "--jurisdiction", "TR", verbosity=0)

    assert set(TakedownRequest.objects.values_list("agency__jurisdiction_id", flat=True)) == {"TR"}


def test_simulate_is_reproducible_with_a_seed(comparative_scenario):
    call_command("simulate", "--requests", "5", "--seed", "3", verbosity=0)
    first = list(TakedownRequest.objects.order_by("id").values_list("agency__code", "category"))
    TakedownRequest.objects.update(external_id=None)

    call_command("simulate", "--requests", "5", "--seed", "3", verbosity=0)

    assert list(TakedownRequest.objects.order_by("id").values_list("agency__code", "category"))[5:] == first


def test_simulate_refuses_an_unknown_jurisdiction(kz_scenario):
    with pytest.raises(CommandError, match="No active agencies in XX; load a scenario first."):
        call_command("simulate", "--requests", "3", "--jurisdiction", "XX", verbosity=0)
