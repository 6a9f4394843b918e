"""The Prometheus exposition of the workflow and the log, counted from the database at each scrape.

A custom collector on a registry of its own: nothing is counted in process memory, so every
gunicorn process answers the same figures and they equal what the database holds. Counters
(``_total``) only grow because the rows they count are never deleted; figures that can fall
(requests per status, export jobs per status) are gauges.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from operations import selectors


class WorkflowCollector(Collector):
    """Every ``crs_`` metric, from a fixed number of aggregate queries."""

    def collect(self) -> Iterator[Metric]:
        started = time.monotonic()
        now = timezone.now()

        yield _by_labels(CounterMetricFamily, "crs_filings", "Requests filed, by the requester's jurisdiction and how "
                         "they were submitted (form, api, bulk).", ["jurisdiction", "method"],
                         selectors.filings_by_jurisdiction_and_method())
        yield _by_labels(GaugeMetricFamily, "crs_requests", "Requests now in each workflow status.", ["status"],
                         selectors.requests_by_status())
        yield GaugeMetricFamily("crs_requests_stuck_in_screening", "Requests in submitted or screening with no "
                                "activity for longer than CRS_SWEEP_AFTER (the sweeper re-enqueues them).",
                                value=selectors.requests_stuck_in_screening(now=now))

        durations = selectors.screening_durations()
        buckets = [(_bound(bound), n) for bound, n in zip(selectors.SCREENING_BUCKETS_SECONDS, durations.at_most,
                                                          strict=True)]
        screening = HistogramMetricFamily("crs_screening_duration_seconds", "Screening rounds finished, by how long "
                                          "they took from screening_started to the recorded route.", labels=[])
        screening.add_metric([], buckets=[*buckets, ("+Inf", durations.count)], sum_value=durations.sum_seconds)
        yield screening

        yield _by_labels(CounterMetricFamily, "crs_routes", "Screening rounds by where they sent the request: a "
                         "review queue, or needs_info (back to the requester).", ["target"],
                         selectors.routes_by_target())
        yield _by_labels(CounterMetricFamily, "crs_decisions", "Reviewers' decisions on items, by action.", ["action"],
                         selectors.decisions_by_action())
        yield _by_labels(GaugeMetricFamily, "crs_request_outcomes", "Requests with an outcome, by outcome (a "
                         "reconsideration can change it).", ["outcome"], selectors.requests_by_outcome())

        yield CounterMetricFamily("crs_sla_breaches", "Times a request was found past its SLA.",
                                  value=selectors.sla_breaches())
        yield GaugeMetricFamily("crs_requests_overdue", "Requests queued or in review past their SLA now.",
                                value=selectors.requests_overdue(now=now))

        log = selectors.log_size()
        yield CounterMetricFamily("crs_audit_events", "Audit events written.", value=log.events)
        yield GaugeMetricFamily("crs_audit_events_unsealed", "Audit events waiting to be sealed into the log.",
                                value=log.unsealed)
        yield GaugeMetricFamily("crs_log_tree_size", "Leaves in the transparency log at its latest checkpoint.",
                                value=log.tree_size)
        yield CounterMetricFamily("crs_log_checkpoints", "Signed checkpoints.", value=log.checkpoints)
        yield GaugeMetricFamily("crs_log_latest_checkpoint_timestamp_seconds", "Unix time of the latest "
                                "checkpoint (0 when there is none).",
                                value=log.latest_checkpoint_at.timestamp() if log.latest_checkpoint_at else 0)
        yield GaugeMetricFamily("crs_log_sealing_lag_seconds", "Age of the oldest audit event not yet sealed into "
                                "the log; 0 when none waits.", value=log.sealing_lag_seconds(now))

        yield _by_labels(GaugeMetricFamily, "crs_export_jobs", "Auditors' background export jobs, by status and "
                         "format.", ["status", "format"], selectors.export_jobs_by_status_and_format())

        yield GaugeMetricFamily("crs_metrics_collect_seconds", "Time this scrape spent counting in the database.",
                                value=time.monotonic() - started)


def _by_labels(family: type[Metric], name: str, documentation: str, labels: list[str], counts: dict) -> Metric:
    """One metric family with a sample per key of ``counts`` (a label value, or a tuple of them), in key order."""
    metric = family(name, documentation, labels=labels)
    for key, n in sorted(counts.items()):
        metric.add_metric(list(key) if isinstance(key, tuple) else [key], n)
    return metric


def _bound(seconds: float) -> str:
    return repr(float(seconds))


def metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkflowCollector())
    return registry


def metrics_exposition() -> bytes:
    """The metrics in Prometheus's classic text format (0.0.4), which every Prometheus version reads."""
    return generate_latest(metrics_registry())
