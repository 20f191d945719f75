"""Every environment variable a Vigie process reads (its settings' fields) is set, or left to
its default on purpose (listed beside the deployment), in compose.yaml and in the Kubernetes
example; and every variable those set is one the process reads."""

from __future__ import annotations

from typing import Any

import dockerfile  # type: ignore[import-not-found]  # a compiled module without stubs
import pytest

from tests.support.deploy import (
    DEPLOY,
    SETTINGS,
    env_names,
    example_overlay,
    kustomize,
    load_yaml,
    words,
)


def image_env() -> set[str]:
    """The Vigie variables the image's final stage sets (VIGIE_HOST, VIGIE_DATA_DIR)."""
    commands = list(dockerfile.parse_file(str(DEPLOY / "Dockerfile")))
    last_from = max(i for i, c in enumerate(commands) if c.cmd == "FROM")
    names = {
        c.value[i]
        for c in commands[last_from:]
        if c.cmd == "ENV"
        for i in range(0, len(c.value), 2)
    }
    return {name for name in names if name.startswith("VIGIE_")}


def test_the_image_sets_only_variables_every_service_reads() -> None:
    for process, settings in SETTINGS.items():
        if process != "init":
            assert image_env() <= env_names(settings), process


def check(process: str, *, set_here: set[str], defaulted: frozenset[str]) -> None:
    """`set_here`: what the container sets (the image's variables come on top)."""
    read = env_names(SETTINGS[process])
    assert set_here - read == set(), f"{process}: set but never read"
    missing = read - set_here - image_env() - defaulted
    assert missing == set(), f"{process}: read, neither set nor listed as defaulted"
    assert defaulted - read == set(), f"{process}: listed as defaulted but never read"


def test_compose_sets_what_each_service_reads() -> None:
    compose = load_yaml(DEPLOY / "compose.yaml")
    defaulted = compose["x-defaulted-env"]
    for name, service in compose["services"].items():
        if service.get("image") != "vigie:latest":
            continue
        check(
            name,
            set_here=set(service["environment"]),
            defaulted=frozenset(defaulted.get(name, [])),
        )


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return kustomize(example_overlay(tmp_path_factory.mktemp("overlay")))


def test_kubernetes_sets_what_each_service_reads(overlay: list[dict[str, Any]]) -> None:
    config_maps = {o["metadata"]["name"]: o for o in overlay if o["kind"] == "ConfigMap"}
    workloads = [o for o in overlay if o["kind"] in ("Deployment", "Job")]
    assert len(workloads) == 5
    for workload in workloads:
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        process = container["args"][0]
        set_here = {var["name"] for var in container.get("env", [])}
        for source in container.get("envFrom", []):
            set_here |= set(config_maps[source["configMapRef"]["name"]]["data"])
        annotations = workload["metadata"].get("annotations", {})
        check(process, set_here=set_here, defaulted=words(annotations.get("vigie/defaulted-env")))
