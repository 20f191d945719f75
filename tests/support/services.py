"""Service processes for integration tests: started with `python -m`, ready-checked, stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from vigie.platform.processes import die_with_parent, free_port


@contextmanager
def service_process(
    name: str,
    *,
    env: dict[str, str],
    log_dir: Path,
    port: int | None = None,
    ready_timeout: float = 30.0,
) -> Iterator[str]:
    """Run `python -m vigie_<name>` until the block ends; yield its base URL. On a free port,
    or on `port` to stop and start a service again at the same address."""
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = (log_dir / f"{name}-{port}.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", f"vigie_{name}"],
        env={**os.environ, **env, f"{name.upper()}_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent(signal.SIGTERM),  # no orphan if the test run is killed
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http_ready(url, timeout=ready_timeout, process=process)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        log.close()


def wait_http_ready(
    url: str, *, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll `/health/ready` until 200, failing fast if the process died."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            response = httpx.get(f"{url}/health/ready", timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout} s: {last}")
