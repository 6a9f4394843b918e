"""The sweeper: which requests count as left behind by a dead worker or a lost message, and when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.models import Status, TakedownRequest
from review.services import stuck_requests_sweep
from tests.builders import filed

pytestmark = pytest.mark.django_db


def idle(request: TakedownRequest, *, status: str, seconds: float) -> None:
    TakedownRequest.objects.filter(pk=request.pk).update(
        status=status, last_activity_at=timezone.now() - timedelta(seconds=seconds))


@pytest.fixture
def request_(kz_reporter, harmless_content_code):
    return filed(kz_reporter, harmless_content_code)


def test_a_request_idle_in_screening_past_the_stale_time_was_left_by_a_dead_worker(request_, settings):
    idle(request_, status=Status.SCREENING, seconds=settings.CRS_SCREENING_STALE.total_seconds() + 1)

    assert stuck_requests_sweep(queue_depth=7) == [request_.pk]


def test_a_request_screening_now_is_left_alone(request_, settings):
    idle(request_, status=Status.SCREENING, seconds=settings.CRS_SCREENING_STALE.total_seconds() - 5)

    assert stuck_requests_sweep(queue_depth=0) == []


def test_a_submitted_request_is_resent_early_only_when_nothing_is_queued_ahead_of_it(request_, settings):
    idle(request_, status=Status.SUBMITTED, seconds=settings.CRS_SCREENING_STALE.total_seconds() + 1)

    assert stuck_requests_sweep(queue_depth=3) == []  # it may be waiting its turn
    assert stuck_requests_sweep(queue_depth=None) == []  # the broker could not say
    assert stuck_requests_sweep(queue_depth=0) == [request_.pk]
    # Touched: a second sweep straight after leaves it alone.
    assert stuck_requests_sweep(queue_depth=0) == []


def test_a_submitted_request_idle_past_the_sweep_time_is_resent_whatever_the_queue(request_, settings):
    idle(request_, status=Status.SUBMITTED, seconds=settings.CRS_SWEEP_AFTER.total_seconds() + 1)

    assert stuck_requests_sweep(queue_depth=50) == [request_.pk]
    assert request_.events.filter(event_type="screening_reenqueued").count() == 1
