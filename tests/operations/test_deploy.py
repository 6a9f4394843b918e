"""The monitoring profile in docker-compose.yml and the files it mounts (no Docker engine needed)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
MONITORING = {"prometheus", "grafana"}


def test_prometheus_and_grafana_start_only_with_the_monitoring_profile():
    services = COMPOSE["services"]

    assert set(services) >= MONITORING
    assert {name for name, service in services.items() if "profiles" in service} == MONITORING
    for name in MONITORING:
        assert services[name]["profiles"] == ["monitoring"]


def test_every_file_the_monitoring_services_mount_exists():
    for name in MONITORING:
        for volume in COMPOSE["services"][name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repository"


def test_prometheus_scrapes_the_web_service_with_the_token_compose_gives_it():
    prometheus = COMPOSE["services"]["prometheus"]
    config_mount = next(v for v in prometheus["volumes"] if v.endswith("/etc/prometheus/prometheus.yml:ro"))
    config = yaml.safe_load((ROOT / config_mount.split(":")[0]).read_text())
    [job] = config["scrape_configs"]

    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"] == [{"targets": ["web:8000"]}]
    assert "web" in COMPOSE["services"] and "8000" in COMPOSE["services"]["web"]["command"]
    assert job["authorization"]["type"] == "Bearer"
    secret = job["authorization"]["credentials_file"].removeprefix("/run/secrets/")
    assert secret in prometheus["secrets"]
    assert COMPOSE["secrets"][secret] == {"environment": "CRS_METRICS_TOKEN"}
    # The web app reads the same variable, and answers to the name Prometheus uses for it.
    assert COMPOSE["x-app"]["environment"]["CRS_METRICS_TOKEN"] == "${CRS_METRICS_TOKEN:-}"
    assert "web" in COMPOSE["x-app"]["environment"]["DJANGO_ALLOWED_HOSTS"].split(":-")[1].rstrip("}").split(",")


def test_grafana_is_provisioned_with_the_datasource_the_dashboard_names():
    provisioning = ROOT / "deploy" / "grafana" / "provisioning"
    [datasource] = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    [provider] = yaml.safe_load((provisioning / "dashboards" / "crs.yml").read_text())["providers"]
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "crs-dashboard.json").read_text())
    mounts = COMPOSE["services"]["grafana"]["volumes"]

    assert datasource["url"] == "http://prometheus:9090"
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {datasource["uid"]}
    assert any(m.endswith(f"{provider['options']['path']}/crs-dashboard.json:ro") for m in mounts)
