"""Aggregator processes the tests can kill with SIGKILL and start again."""

from __future__ import annotations

from pathlib import Path

import httpx

from vigie.platform.processes import free_port
from vigie.platform.service_process import ServiceProcess


def service_env(kafka_bootstrap: str, database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of an aggregator process under test."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "VIGIE_DATA_DIR": str(tmp_path / "data"),
        "AGGREGATOR_SESSION_TIMEOUT_MS": "6000",
    }


class AggregatorProcess:
    """One `python -m vigie_aggregator`, restartable on the same port."""

    def __init__(self, *, env: dict[str, str], log_dir: Path, replica: int = 0) -> None:
        port = free_port()
        self._service = ServiceProcess.vigie(
            "aggregator",
            env={**env, "VIGIE_REPLICA": str(replica)},
            log_file=log_dir / f"aggregator-{port}.log",
            port=port,
        )
        self.url = self._service.url

    @property
    def starts(self) -> int:
        """How many times it was started."""
        return self._service.starts

    def start(self, *, ready_timeout: float = 30.0) -> None:
        """Start the process and wait until /health/ready answers 200."""
        self._service.start_ready(timeout=ready_timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, like a crash or an OOM kill."""
        self._service.kill()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop."""
        self._service.stop()

    def metric(self, name: str) -> float:
        """Sum of a metric's samples (all labels) from /metrics."""
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and line[len(name)] in " {":
                total += float(line.rsplit(" ", 1)[1])
        return total
