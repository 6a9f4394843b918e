"""/metrics: Prometheus's text format, figures equal to what the database holds, and the token that guards it."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from audit.log import log_seal_all
from audit.models import AuditEvent, Checkpoint, ExportJob, PendingSeal
from operations import selectors
from reports.models import TakedownRequest
from review.models import Decision, ScreeningRun
from review.services import sla_watch
from tests.builders import decided, filed, filed_and_screened
from transparency import exports

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"
DASHBOARD = Path(settings.BASE_DIR) / "deploy" / "grafana" / "crs-dashboard.json"


@pytest.fixture
def workflow(kz_reporter, violating_content_code, senior_reviewer, auditor):
    """Requests in most states a dashboard shows: routed to two queues, back for information, decided, overdue,
    waiting for screening; an export job; some events sealed and some not."""
    policy = filed_and_screened(kz_reporter, violating_content_code, court_order=None)
    legal = filed_and_screened(kz_reporter, "kz-0001")
    filed_and_screened(kz_reporter, "kz-0002", legal_basis=[], court_order=None)  # back for information
    decided(senior_reviewer, policy, action="remove_globally", reason="policy_violation")
    log_seal_all()
    sla_watch(now=timezone.now() + timedelta(days=30))  # the legal request is now past its SLA
    filed(kz_reporter, "kz-0003")  # waits for screening, its events unsealed
    exports.export_job_create(actor=auditor, exercise=legal.exercise, fmt="csv", filters={})
    return {"policy": policy, "legal": legal}


def scrape(client: Client | None = None, token: str = TOKEN):
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def samples(families, sample_name: str, *label_names: str) -> dict:
    """{label values: value} of one sample name, e.g. samples(f, "crs_filings_total", "jurisdiction", "method")."""
    found = {}
    for family in families.values():
        for sample in family.samples:
            if sample.name == sample_name:
                found[tuple(sample.labels[name] for name in label_names)] = sample.value
    return found


def test_metrics_are_off_until_a_token_is_set(settings):
    settings.CRS_METRICS_TOKEN = ""

    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 403
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "Metrics are turned off on this server: set CRS_METRICS_TOKEN to a random string and scrape "
        "/metrics with the header 'Authorization: Bearer <that token>'.\n")


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                           "Bearer "])
def test_a_missing_or_wrong_token_is_refused_with_401(settings, authorization):
    settings.CRS_METRICS_TOKEN = TOKEN
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = Client().get("/metrics", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert response.content.decode() == "This endpoint needs the header 'Authorization: Bearer <CRS_METRICS_TOKEN>'.\n"
    assert b"crs_" not in response.content


def test_a_signed_in_administrator_without_the_token_is_refused_too(settings, client_for, django_user_model):
    settings.CRS_METRICS_TOKEN = TOKEN
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")

    assert client_for(admin).get("/metrics").status_code == 401


def test_counters_equal_what_the_database_holds(settings, workflow):
    settings.CRS_METRICS_TOKEN = TOKEN

    # when
    before = timezone.now()
    families = scrape()
    after = timezone.now()

    # then: each figure, counted here row by row in Python rather than by the endpoint's aggregates
    requests = list(TakedownRequest.objects.select_related("agency"))
    filings = Counter((r.agency.jurisdiction_id, r.submission_method) for r in requests if r.submitted_at)
    assert samples(families, "crs_filings_total", "jurisdiction", "method") == {k: float(v) for k, v in filings.items()}
    assert sum(filings.values()) == 4
    assert samples(families, "crs_requests", "status") == {
        (k,): float(v) for k, v in Counter(r.status for r in requests).items()}

    routes = Counter(run.route["target"] for run in ScreeningRun.objects.all())
    assert samples(families, "crs_routes_total", "target") == {(k,): float(v) for k, v in routes.items()}
    assert set(routes) == {"policy", "legal", "needs_info"}

    actions = Counter(d.action for d in Decision.objects.all())
    assert samples(families, "crs_decisions_total", "action") == {(k,): float(v) for k, v in actions.items()}
    assert actions == {"remove_globally": 1}
    outcomes = Counter(r.outcome for r in requests if r.outcome)
    assert samples(families, "crs_request_outcomes", "outcome") == {(k,): float(v) for k, v in outcomes.items()}

    breaches = sum(1 for e in AuditEvent.objects.all() if e.event_type == "sla_breached")
    assert breaches == 1
    assert samples(families, "crs_sla_breaches_total") == {(): float(breaches)}

    jobs = Counter((j.status, j.format) for j in ExportJob.objects.all())
    assert samples(families, "crs_export_jobs", "status", "format") == {k: float(v) for k, v in jobs.items()}

    events = list(AuditEvent.objects.all())
    pending = set(PendingSeal.objects.values_list("event_id", flat=True))
    assert samples(families, "crs_audit_events_total") == {(): float(len(events))}
    assert samples(families, "crs_audit_events_unsealed") == {(): float(len(pending))}
    assert samples(families, "crs_log_tree_size") == {(): float(Checkpoint.objects.latest().tree_size)}
    assert samples(families, "crs_log_checkpoints_total") == {(): float(Checkpoint.objects.count())}
    oldest_unsealed = min(e.created_at for e in events if e.pk in pending)
    lag = samples(families, "crs_log_sealing_lag_seconds")[()]
    assert (before - oldest_unsealed).total_seconds() <= lag <= (after - oldest_unsealed).total_seconds()


def test_screening_durations_are_a_histogram_of_every_round(settings, workflow):
    settings.CRS_METRICS_TOKEN = TOKEN

    families = scrape()

    # Each round's start is its own screening_started event, matched here by the round in its payload.
    starts = {(e.request_id, e.payload["round"]): e.created_at
              for e in AuditEvent.objects.filter(event_type="screening_started")}
    durations = [(run.finished_at - starts[(run.request_id, run.round)]).total_seconds()
                 for run in ScreeningRun.objects.all()]
    assert len(durations) == 3
    assert samples(families, "crs_screening_duration_seconds_count") == {(): 3.0}
    assert samples(families, "crs_screening_duration_seconds_sum")[()] == pytest.approx(sum(durations), abs=1e-5)
    buckets = samples(families, "crs_screening_duration_seconds_bucket", "le")
    assert buckets[("+Inf",)] == 3.0
    for bound in selectors.SCREENING_BUCKETS_SECONDS:
        assert buckets[(str(float(bound)),)] == sum(1 for d in durations if d <= bound)


def test_sealing_lag_is_zero_once_everything_is_sealed(settings, workflow):
    settings.CRS_METRICS_TOKEN = TOKEN
    assert PendingSeal.objects.exists()

    log_seal_all()
    families = scrape()

    assert samples(families, "crs_log_sealing_lag_seconds") == {(): 0.0}
    assert samples(families, "crs_audit_events_unsealed") == {(): 0.0}
    assert samples(families, "crs_log_tree_size") == {(): float(AuditEvent.objects.count())}


def test_a_scrape_costs_the_same_queries_however_many_requests(settings, workflow, kz_reporter,
                                                               django_assert_max_num_queries):
    settings.CRS_METRICS_TOKEN = TOKEN
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        scrape()
    for code in ("kz-0004", "kz-0005", "kz-0006"):
        filed_and_screened(kz_reporter, code)

    with django_assert_max_num_queries(len(few.captured_queries)):
        scrape()


def test_every_dashboard_panel_asks_for_metrics_the_endpoint_exposes(settings, workflow):
    settings.CRS_METRICS_TOKEN = TOKEN
    families = scrape()
    exposed = {sample.name for family in families.values() for sample in family.samples} | set(families)

    dashboard = json.loads(DASHBOARD.read_text())
    panels = [panel for panel in dashboard["panels"] if panel.get("type") != "row"]
    expressions = [target["expr"] for panel in panels for target in panel.get("targets", [])]

    assert len(panels) >= 9
    assert all(panel.get("targets") for panel in panels), "a panel without a query shows nothing"
    asked = {name for expr in expressions for name in re.findall(r"\bcrs_[a-z0-9_]+", expr)}
    assert asked, "the dashboard asks for no crs_ metric"
    assert sorted(asked - exposed) == []
    # The one threshold an on-call person must see at a glance: how far sealing has fallen behind.
    lag_panel = next(p for p in panels if any("crs_log_sealing_lag_seconds" in t["expr"] for t in p["targets"]))
    steps = lag_panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert any(step["color"] == "red" and step["value"] for step in steps)
