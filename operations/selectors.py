"""What the operators' metrics read: aggregates of the workflow's and the log's own records.

Every figure is counted from the database when asked, not kept in process memory: gunicorn
runs several processes and the workers others still, and only the database sees them all.
Each function issues one or two aggregate queries, however many requests there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from audit.models import AuditEvent, Checkpoint, ExportJob, PendingSeal
from reports.models import Status, TakedownRequest
from review.models import Decision, ScreeningRun

# Upper bounds (seconds) of the screening-duration histogram: the checks take milliseconds when a
# worker is free, seconds when the queue is long, minutes when a worker died mid-screening.
SCREENING_BUCKETS_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


def filings_by_jurisdiction_and_method() -> dict[tuple[str, str], int]:
    """Requests filed (drafts not yet submitted are not filings), by jurisdiction and submission method."""
    rows = (TakedownRequest.objects.filter(submitted_at__isnull=False)
            .values_list("agency__jurisdiction_id", "submission_method").annotate(n=Count("id")).order_by())
    return {(jurisdiction, method): n for jurisdiction, method, n in rows}


def requests_by_status() -> dict[str, int]:
    rows = TakedownRequest.objects.values_list("status").annotate(n=Count("id")).order_by()
    return dict(rows)


def requests_stuck_in_screening(*, now: datetime | None = None) -> int:
    """Requests in submitted or screening with no activity for CRS_SWEEP_AFTER: what the sweeper will re-enqueue."""
    cutoff = (now or timezone.now()) - settings.CRS_SWEEP_AFTER
    return TakedownRequest.objects.filter(status__in=[Status.SUBMITTED, Status.SCREENING],
                                          last_activity_at__lt=cutoff).count()


@dataclass(frozen=True)
class ScreeningDurations:
    count: int
    sum_seconds: float
    # Cumulative: how many screenings took at most each bound of SCREENING_BUCKETS_SECONDS.
    at_most: tuple[int, ...]


def screening_durations() -> ScreeningDurations:
    """Each finished screening round, from its screening_started event to its recorded result.

    The start is the request's latest screening_started event written before the round finished
    (a round's result and its start event belong to one request, rounds never overlap).
    """
    started = (AuditEvent.objects.filter(request_id=OuterRef("request_id"), event_type="screening_started",
                                         created_at__lte=OuterRef("finished_at"))
               .order_by("-created_at").values("created_at")[:1])
    runs = ScreeningRun.objects.annotate(started_at=Subquery(started)).filter(started_at__isnull=False).annotate(
        duration=ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField()))
    buckets = {f"le_{i}": Count("id", filter=Q(duration__lte=timedelta(seconds=bound)))
               for i, bound in enumerate(SCREENING_BUCKETS_SECONDS)}
    totals = runs.aggregate(count=Count("id"), total=Sum("duration"), **buckets)
    total = totals["total"] or timedelta(0)
    return ScreeningDurations(count=totals["count"], sum_seconds=total.total_seconds(),
                              at_most=tuple(totals[f"le_{i}"] for i in range(len(SCREENING_BUCKETS_SECONDS))))


def routes_by_target() -> dict[str, int]:
    """Screening rounds by where they sent the request: a queue, or back to the requester (needs_info)."""
    rows = ScreeningRun.objects.values_list("route__target").annotate(n=Count("id")).order_by()
    return {str(target): n for target, n in rows}


def decisions_by_action() -> dict[str, int]:
    """Reviewers' decisions on items (every round's, a reconsidered one too), by what they decided."""
    return dict(Decision.objects.values_list("action").annotate(n=Count("id")).order_by())


def requests_by_outcome() -> dict[str, int]:
    """Requests with an outcome (decided or closed after a decision), by outcome: full, partial, none."""
    return dict(TakedownRequest.objects.exclude(outcome="").values_list("outcome").annotate(n=Count("id")).order_by())


def sla_breaches() -> int:
    """Requests found past their SLA (each breach is an audit event, so a later re-route does not erase it)."""
    return AuditEvent.objects.filter(event_type="sla_breached").count()


def requests_overdue(*, now: datetime | None = None) -> int:
    """Requests waiting for a reviewer past their SLA right now."""
    return TakedownRequest.objects.filter(status__in=[Status.QUEUED, Status.IN_REVIEW],
                                          sla_due_at__lt=now or timezone.now()).count()


@dataclass(frozen=True)
class LogSize:
    events: int
    unsealed: int
    tree_size: int
    checkpoints: int
    latest_checkpoint_at: datetime | None
    oldest_unsealed_at: datetime | None

    def sealing_lag_seconds(self, now: datetime) -> float:
        """Age of the oldest event not yet in the log; 0 when every event is sealed."""
        if self.oldest_unsealed_at is None:
            return 0.0
        return max(0.0, (now - self.oldest_unsealed_at).total_seconds())


@dataclass(frozen=True)
class LogSealing:
    unsealed: int
    oldest_unsealed_at: datetime | None
    tree_size: int
    latest_checkpoint_at: datetime | None


def log_sealing() -> LogSealing:
    """How far sealing has come: what waits (and since when) and the latest checkpoint. Two small queries."""
    pending = PendingSeal.objects.aggregate(n=Count("event_id"), oldest=Min("event__created_at"))
    latest = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", "timestamp").first()
    return LogSealing(unsealed=pending["n"], oldest_unsealed_at=pending["oldest"],
                      tree_size=latest[0] if latest else 0, latest_checkpoint_at=latest[1] if latest else None)


def log_size() -> LogSize:
    sealing = log_sealing()
    return LogSize(events=AuditEvent.objects.count(), unsealed=sealing.unsealed, tree_size=sealing.tree_size,
                   checkpoints=Checkpoint.objects.count(), latest_checkpoint_at=sealing.latest_checkpoint_at,
                   oldest_unsealed_at=sealing.oldest_unsealed_at)


def export_jobs_by_status_and_format() -> dict[tuple[str, str], int]:
    rows = ExportJob.objects.values_list("status", "format").annotate(n=Count("id")).order_by()
    return {(status, fmt): n for status, fmt, n in rows}
