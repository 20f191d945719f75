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


def test_the_build_stage_makes_an_environment_without_development_tools(tmp_path: Path) -> None:
    """The build stage's own RUN commands (but the first, which installs uv), run here with the
    image's /opt/vigie moved to a temporary folder: the locked environment they make has the
    CLI and the services, the reference territories at their fixed path, and nothing for
    development."""
    uv = REPO / ".tools" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("no uv in .tools/ (`make install` puts it there)")
    build, _ = stages()
    prefix = tmp_path / "opt-vigie"
    env_pairs = [v for c in instructions(build, "ENV") for v in c.value]
    env = dict(zip(env_pairs[::2], env_pairs[1::2], strict=True))
    env = {k: v.replace("/opt/vigie", str(prefix)) for k, v in env.items()}
    env = {**os.environ, **env, "PATH": f"{uv.parent}{os.pathsep}{os.environ['PATH']}"}
    env["UV_COMPILE_BYTECODE"] = "0"  # the image's start-up speed; half this test's time here
    env.pop("VIRTUAL_ENV", None)
    for run in instructions(build, "RUN")[1:]:
        script = run.value[0].replace("/opt/vigie", str(prefix))
        done = subprocess.run(
            ["sh", "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"
    python = str(prefix / "bin" / "python")
    for module in ("vigie_devtools", "pytest", "ruff", "mypy", "yaml"):
        found = subprocess.run([python, "-c", f"import {module}"], capture_output=True, check=False)
        assert found.returncode != 0, f"{module} is in the image's environment"
    cli = subprocess.run(
        [str(prefix / "bin" / "vigie"), "--help"], capture_output=True, check=False
    )
    assert cli.returncode == 0
    assert (prefix / "share" / "vigie" / "qpv_2024.csv").stat().st_size > 100_000
