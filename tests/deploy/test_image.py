"""deploy/Dockerfile parsed by BuildKit's own parser (the `dockerfile` package), and the two
scripts the image runs: the entrypoint (which picks the process) and the HEALTHCHECK."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dockerfile  # type: ignore[import-not-found]  # a compiled module without stubs
import pytest

from tests.support.deploy import DEPLOY, REPO

ENTRYPOINT = DEPLOY / "image" / "entrypoint"
HEALTHCHECK = DEPLOY / "image" / "healthcheck.py"
# Commands that build or install: none may run in the final stage.
BUILD_TOOLS = ("pip ", "uv ", "apt-get", "apt ", "gcc", "make", "cc ", "curl", "wget")


def stages() -> list[list[Any]]:
    """The Dockerfile's instructions, split by stage (each from its FROM)."""
    result: list[list[Any]] = []
    for command in dockerfile.parse_file(str(DEPLOY / "Dockerfile")):
        if command.cmd == "FROM":
            result.append([])
        if result:
            result[-1].append(command)
    return result


def instructions(stage: list[Any], cmd: str) -> list[Any]:
    return [command for command in stage if command.cmd == cmd]


def test_the_image_is_built_in_stages_and_runs_as_an_unprivileged_user() -> None:
    build, final = stages()
    assert instructions(build[:1], "FROM")[0].value[-2:] == ("AS", "build")
    (user,) = instructions(final, "USER")
    uid = user.value[0].split(":")[0]
    # Numeric, so that Kubernetes' runAsNonRoot can check it; not root.
    assert uid.isdigit()
    assert int(uid) != 0
    copies = instructions(final, "COPY")
    assert copies
    assert all("--from=build" in command.flags for command in copies)
    for run in instructions(final, "RUN"):
        assert not any(t in run.value[0] for t in BUILD_TOOLS), f"built in the final stage: {run}"


def test_the_dependencies_are_the_locked_ones_without_dev_tools() -> None:
    build, _ = stages()
    runs = " ".join(run.value[0] for run in instructions(build, "RUN"))
    assert "uv sync --frozen --package vigie-cli --no-dev --no-editable" in runs
    copied = {command.value[0] for command in instructions(build, "COPY")}
    assert {"pyproject.toml", "shared", "services", "cli", "devtools"} <= copied


def test_a_healthcheck_and_the_entrypoint_choose_by_argument() -> None:
    _, final = stages()
    (healthcheck,) = instructions(final, "HEALTHCHECK")
    assert healthcheck.value == ("CMD", "vigie-healthcheck")
    (entrypoint,) = instructions(final, "ENTRYPOINT")
    assert entrypoint.value == ("vigie-entrypoint",)
    env = dict(
        zip(*[iter(v for c in instructions(final, "ENV") for v in c.value)] * 2, strict=True)
    )
    assert env["VIGIE_HOST"] == "0.0.0.0"  # noqa: S104  # the container's port is published


def test_the_build_context_leaves_local_state_out() -> None:
    lines = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "**"  # everything is left out, then what the build needs is let in
    kept = [line[1:] for line in patterns if line.startswith("!")]
    assert not any(k.startswith((".venv", ".vigie", ".tools", "artifacts")) for k in kept)
    for line in kept:
        base = line.split("*")[0].rstrip("/")
        assert (REPO / base).exists(), f"the context keeps {line}, which is missing"


def run_entrypoint(*args: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The entrypoint as the image runs it, with this environment's tools on PATH."""
    bin_dirs = [str(path)] if path else []
    env = {
        **os.environ,
        "PATH": os.pathsep.join(
            [*bin_dirs, str(Path(sys.executable).parent), os.environ.get("PATH", "")]
        ),
    }
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_entrypoint_is_valid_shell_and_hands_other_arguments_to_the_cli() -> None:
    subprocess.run(["sh", "-n", str(ENTRYPOINT)], check=True)
    done = run_entrypoint("--help")
    assert done.returncode == 0, done.stderr
    assert "territories" in done.stdout
    assert "migrate" in done.stdout


@pytest.mark.parametrize(("argv", "code"), [(["unknown"], 2), (["intake"], 1)])
def test_the_healthcheck_says_what_is_wrong(argv: list[str], code: int) -> None:
    # Nothing listens on the port: the check fails, and says why.
    env = {**os.environ, "INTAKE_PORT": "9"}
    done = subprocess.run(
        [sys.executable, str(HEALTHCHECK), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert done.returncode == code
    assert done.stderr.strip()
