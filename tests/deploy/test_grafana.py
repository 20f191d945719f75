"""deploy/grafana: the provisioned data source and dashboard fit together, every query parses
as PromQL, and the dashboard has the panels operators need (the metrics they use are checked
against running services in test_observability)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.deploy import DEPLOY, dashboard_expressions, load_yaml, parse_promql

GRAFANA = DEPLOY / "grafana"

# What the issue asks the dashboard to show, by panel title.
REQUIRED_PANELS = {
    "Ingest rate",
    "Accepted and rejected, by reason",
    "Consumer lag per partition",
    "Batch latency",
    "Dead-letter rate",
    "Alerts by level",
    "Notification failures",
    "Request latency (p95)",
}


@pytest.fixture(scope="module")
def dashboard() -> Any:
    return json.loads((GRAFANA / "dashboards" / "vigie.json").read_text(encoding="utf-8"))


def panels(dashboard: Any) -> list[Any]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def test_every_query_is_promql_on_the_provisioned_data_source(dashboard: Any) -> None:
    (source,) = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")[
        "datasources"
    ]
    assert source["url"] == "http://prometheus:9090"  # the compose service
    for panel in panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": source["uid"]}
        assert panel["targets"], panel["title"]
    expressions = list(dashboard_expressions(dashboard))
    assert len(expressions) > 20
    for title, expr in expressions:
        try:
            parse_promql(expr)
        except ValueError as exc:
            pytest.fail(f"{title}: {expr}: {exc}")


def test_the_panels_the_operators_need_are_laid_out(dashboard: Any) -> None:
    titles = [p["title"] for p in panels(dashboard)]
    assert set(titles) >= REQUIRED_PANELS
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]


def test_grafana_loads_the_dashboard_from_where_compose_mounts_it() -> None:
    (provider,) = load_yaml(GRAFANA / "provisioning" / "dashboards" / "vigie.yml")["providers"]
    compose = load_yaml(DEPLOY / "compose.yaml")
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"])
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
