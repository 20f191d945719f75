"""Aggregator processes the tests can kill with SIGKILL and start again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.services import wait_http_ready
from vigie.platform.processes import die_with_parent, free_port


class AggregatorProcess:
    """One `python -m vigie_aggregator`, restartable on the same port."""

    def __init__(self, *, env: dict[str, str], log_dir: Path, replica: int = 0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {
            **os.environ,
            **env,
            "AGGREGATOR_PORT": str(self.port),
            "VIGIE_REPLICA": str(replica),
        }
        self._log_dir = log_dir
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, *, ready_timeout: float = 30.0) -> None:
        """Start the process and wait until /health/ready answers 200."""
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with (self._log_dir / f"aggregator-{self.port}-{self.starts}.log").open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "vigie_aggregator"],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(signal.SIGTERM),
                start_new_session=True,
            )
        wait_http_ready(self.url, timeout=ready_timeout, process=self._process)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, like a crash or an OOM kill."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(5)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def metric(self, name: str) -> float:
        """Sum of a metric's samples (all labels) from /metrics."""
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and line[len(name)] in " {":
                total += float(line.rsplit(" ", 1)[1])
        return total
