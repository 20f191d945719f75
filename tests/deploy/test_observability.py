"""The dashboard and the alert rules use metrics the services really export: a stack started as
the image starts it (deploy/image/entrypoint `init`, then each service) on the local broker and
database is scraped, and every metric name in a PromQL expression must be among its answers
(or in the short list of metrics still awaited from the services); every label named must be
one the metric has. The image's HEALTHCHECK script is run against each service too."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from tests.support.deploy import (
    AWAITED_METRICS,
    DEPLOY,
    PROMETHEUS_SERIES,
    SERVICES,
    TARGET_LABELS,
    dashboard_expressions,
    declared_labels,
    load_yaml,
    promql_usage,
    rule_expressions,
    sample_names,
)
from vigie.platform.processes import free_port, spawn, stop_group
from vigie.platform.service_process import wait_ready

pytestmark = [pytest.mark.connected, pytest.mark.e2e]
TOKEN = "deploy-test-admin-token"


def expressions() -> list[tuple[str, str]]:
    """(where, expression) of the dashboard's queries and the alert rules."""
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "vigie.json").read_text())
    rules = load_yaml(DEPLOY / "prometheus" / "rules.yml")
    return [*dashboard_expressions(dashboard), *rule_expressions(rules)]


def image_prefix(root: Path) -> Path:
    """The image's layout in a folder: bin/vigie-entrypoint and the reference territories in
    share/vigie/, copied from the installed package as deploy/Dockerfile does."""
    (root / "bin").mkdir(parents=True)
    (root / "share" / "vigie").mkdir(parents=True)
    shutil.copy(DEPLOY / "image" / "entrypoint", root / "bin" / "vigie-entrypoint")
    reference = files("vigie.platform") / "data" / "qpv_2024.csv"
    (root / "share" / "vigie" / "qpv_2024.csv").write_bytes(reference.read_bytes())
    return root / "bin" / "vigie-entrypoint"


def scrape(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def exported(empty_database_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[set[str]]:
    """Sample names the four services export, started by the image's entrypoint after its
    `init` (migrations, topics, reference territories) on an empty database."""
    entrypoint = image_prefix(tmp_path / "opt")
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(entrypoint.parent), str(Path(sys.executable).parent),
                                 os.environ.get("PATH", "")]),
        "DATABASE_URL": empty_database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "VIGIE_ADMIN_TOKEN": TOKEN,
        "VIGIE_DATA_DIR": str(tmp_path / "data"),
        "VIGIE_TOPIC_PARTITIONS": "4",
    }  # fmt: skip
    init = subprocess.run(
        ["vigie-entrypoint", "init"], env=env, capture_output=True, text=True, timeout=180,
        check=False,
    )  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    assert "QPVs" in init.stdout  # the reference territories, found beside the entrypoint
    ports = {name: free_port() for name in SERVICES}
    env |= {f"{name.upper()}_PORT": str(port) for name, port in ports.items()}
    env["VIGIE_ALERTS_URL"] = f"http://127.0.0.1:{ports['alerts']}"
    processes = {
        name: spawn(["vigie-entrypoint", name], log_file=tmp_path / f"{name}.log", env=env)
        for name in SERVICES
    }
    try:
        for name, process in processes.items():
            wait_ready(
                f"http://127.0.0.1:{ports[name]}", timeout=60, process=process,
                log_file=tmp_path / f"{name}.log",
            )  # fmt: skip
            healthcheck = subprocess.run(
                [sys.executable, str(DEPLOY / "image" / "healthcheck.py"), name],
                env=env, capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            assert healthcheck.returncode == 0, healthcheck.stderr
        yield set().union(*(sample_names(scrape(port)) for port in ports.values()))
    finally:
        for process in processes.values():
            stop_group(process, timeout=15)


def test_dashboard_and_rules_use_only_exported_metrics(exported: set[str]) -> None:
    usage = promql_usage(expr for _, expr in expressions())
    unknown = usage.metrics - exported - set(AWAITED_METRICS) - PROMETHEUS_SERIES
    assert unknown == set(), "used in deploy/ but exported by no service"
    arrived = set(AWAITED_METRICS) & exported
    assert arrived == set(), "now exported: take them off AWAITED_METRICS (tests/support)"


def test_every_label_named_is_one_the_metrics_have() -> None:
    declared = declared_labels() | AWAITED_METRICS
    for where, expr in expressions():
        usage = promql_usage([expr])
        known: set[str] = set(TARGET_LABELS)
        for metric, matched in usage.matchers.items():
            if metric in PROMETHEUS_SERIES:
                continue
            assert metric in declared, f"{where}: no declaration found for {metric}"
            labels = declared[metric] | TARGET_LABELS
            assert matched <= labels, f"{where}: {metric} has no label {matched - labels}"
            known |= labels
        assert usage.grouping <= known, f"{where}: no metric has {usage.grouping - known}"
