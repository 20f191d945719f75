"""Service processes for the benchmarks: `python -m vigie_<name>` on a free port, dying with
the bench, started without waiting so that several can start together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from vigie.platform.processes import die_with_parent, free_port

# The intake under load must not be throttled by the per-key rate limit.
UNLIMITED_INTAKE = {"INTAKE_RATE_PER_S": "1000000", "INTAKE_RATE_BURST": "1000000"}


def start_service(
    name: str, *, env: dict[str, str], log: Path
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start the service on a free port; its URL and process (not yet ready)."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", f"vigie_{name}"],
            env={**os.environ, **env, f"{name.upper()}_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
    return f"http://127.0.0.1:{port}", process


def wait_ready(url: str, process: subprocess.Popen[bytes], *, within: float = 30.0) -> None:
    """Poll /health/ready until 200; RuntimeError if the process exits or time runs out."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {within:.0f} s")


def stop(*processes: subprocess.Popen[bytes]) -> None:
    """SIGTERM every process, then wait for each."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(20)
