"""deploy/compose.yaml against the Compose specification's JSON Schema (the copy that the
check-jsonschema package ships, with its licence), and the shape the issue asks for."""

from __future__ import annotations

import base64
import copy
import json
from importlib.resources import files
from typing import Any

import jsonschema
import pytest

from tests.support.deploy import DEPLOY, load_yaml

COMPOSE = DEPLOY / "compose.yaml"
VIGIE_COMMANDS = {"intake", "aggregator", "alerts", "reporting", "init"}


def compose_schema() -> Any:
    """The Compose specification's schema (compose-spec/compose-spec, Apache-2.0), vendored by
    check-jsonschema as `vendor.compose-spec`."""
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8"))


def schema_errors(document: Any) -> list[str]:
    """Where and why the document breaks the schema."""
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)
    checker = validator(schema, format_checker=validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in checker.iter_errors(document)
    ]


@pytest.fixture(scope="module")
def compose() -> Any:
    return load_yaml(COMPOSE)


def test_the_compose_file_follows_the_compose_specification(compose: Any) -> None:
    assert schema_errors(compose) == []


def test_the_schema_catches_a_misspelt_key(compose: Any) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["intake"]["stop_grace_periode"] = "30s"
    assert any("stop_grace_periode" in error for error in schema_errors(broken))


def test_kafka_runs_three_kraft_nodes_with_replication_3_and_min_isr_2(compose: Any) -> None:
    nodes = {name: s for name, s in compose["services"].items() if name.startswith("kafka-")}
    assert sorted(nodes) == ["kafka-1", "kafka-2", "kafka-3"]
    voters = {f"{s['environment']['KAFKA_NODE_ID']}@{name}:9093" for name, s in nodes.items()}
    for name, service in nodes.items():
        env = service["environment"]
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 3
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == 2
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        # The data lives on the node's volume, not in the image's /tmp.
        (volume,) = service["volumes"]
        assert volume.endswith(":" + env["KAFKA_LOG_DIRS"])
        # Kafka formats its storage with a base64url UUID: 16 bytes.
        assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16
    assert compose["services"]["intake"]["environment"]["VIGIE_TOPIC_REPLICATION"] == 3


def test_vigie_services_run_from_the_one_image_with_two_aggregators(compose: Any) -> None:
    vigie = {n: s for n, s in compose["services"].items() if s.get("image") == "vigie:latest"}
    assert set(vigie) == VIGIE_COMMANDS
    for name, service in vigie.items():
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["command"] == [name]
        if name != "init":
            assert service["depends_on"] == {
                "init": {"condition": "service_completed_successfully"}
            }
    assert vigie["aggregator"]["deploy"]["replicas"] == 2


def test_only_the_apis_are_published_and_the_tools_on_loopback(compose: Any) -> None:
    published = {n: s["ports"] for n, s in compose["services"].items() if "ports" in s}
    assert published == {
        "intake": ["8081:8081"],
        "alerts": ["8083:8083"],
        "reporting": ["8084:8084"],
        "prometheus": ["127.0.0.1:9090:9090"],
        "grafana": ["127.0.0.1:3000:3000"],
    }


def test_prometheus_and_grafana_get_their_files(compose: Any) -> None:
    for name in ("prometheus", "grafana"):
        for volume in compose["services"][name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).is_dir(), f"{name} mounts {source}, which is missing"
    grafana_env = compose["services"]["grafana"]["environment"]
    home = grafana_env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == "/var/lib/grafana/dashboards/vigie.json"
    assert (DEPLOY / "grafana" / "dashboards" / "vigie.json").is_file()
