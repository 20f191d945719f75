"""`vigie run` as a child process for the reliability tests: started on free ports with the demo
feed off, read through its run.json, stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from vigie.platform.processes import die_with_parent, free_port

SERVICES = ("intake", "aggregator", "alerts", "reporting")


class VigieRun:
    """One `vigie run` on embedded defaults in `data_dir`, its output in `data_dir/run.out`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 120.0) -> dict[str, Any]:
        """Start it and wait for run.json (written once every service is ready)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
        }
        env.update({f"{name.upper()}_PORT": str(free_port()) for name in SERVICES})
        env.update(
            VIGIE_SIMULATE="0",
            VIGIE_DATA_DIR=str(self.data_dir),
            INTAKE_RATE_PER_S="100000",
            INTAKE_RATE_BURST="100000",
            AGGREGATOR_SESSION_TIMEOUT_MS="6000",
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "run.out").open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vigie_cli", "run"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"vigie run exited early:\n{self.output()}")
            if (self.data_dir / "run.json").exists():
                return self.run_file()
            time.sleep(0.2)
        raise AssertionError(f"run.json did not appear:\n{self.output()}")

    def run_file(self) -> dict[str, Any]:
        """run.json as it is now."""
        return dict(json.loads((self.data_dir / "run.json").read_text()))

    def pid(self, name: str) -> int:
        """The current pid of a supervised child or server ("broker", "postgres", "intake"…)."""
        return int(self.run_file()["pids"][name][0])

    def token(self) -> str:
        """The admin token."""
        return Path(self.run_file()["admin_token_file"]).read_text().strip()

    def output(self) -> str:
        """What it printed so far."""
        return (self.data_dir / "run.out").read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM; its exit status."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(timeout=10)


def all_ready(services: dict[str, str]) -> bool:
    """Whether every service answers 200 on /health/ready."""
    for url in services.values():
        try:
            if httpx.get(f"{url}/health/ready", timeout=3).status_code != 200:
                return False
        except httpx.TransportError:
            return False
    return True
