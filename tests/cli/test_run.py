"""`vigie run` end to end: everything up on embedded defaults, a crashed service restarted,
SIGTERM stops everything and leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from vigie.platform.processes import die_with_parent, free_port
from vigie.platform.service_process import wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.connected]

SERVICES = ("intake", "aggregator", "alerts", "reporting")


def wait_for_run_file(
    path: Path, process: subprocess.Popen[str], timeout: float
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"vigie run exited early: {process.communicate()[0]}")
        if path.exists():
            return dict(json.loads(path.read_text()))
        time.sleep(0.2)
    raise AssertionError("run.json did not appear")


def test_run_starts_everything_restarts_a_crash_and_stops_cleanly(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    ports = {name: free_port() for name in SERVICES}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env.update(VIGIE_SIMULATE="0", VIGIE_DATA_DIR=str(tmp_path / "data"), AGGREGATOR_REPLICAS="2")
    process = subprocess.Popen(
        [sys.executable, "-m", "vigie_cli", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=die_with_parent(signal.SIGTERM),
    )
    try:
        run = wait_for_run_file(tmp_path / "data" / "run.json", process, timeout=90)
        services = run["services"]
        assert isinstance(services, dict)
        assert set(services) == set(SERVICES)
        for name in SERVICES:
            assert services[name] == f"http://127.0.0.1:{ports[name]}"
            ready = httpx.get(f"{services[name]}/health/ready", timeout=5)
            assert ready.status_code == 200, ready.text
            assert httpx.get(f"{services[name]}/metrics", timeout=5).status_code == 200
        pids = run["pids"]
        assert isinstance(pids, dict)
        assert len(pids["aggregator"]) == 2
        token_file = Path(str(run["admin_token_file"]))
        assert token_file.stat().st_mode & 0o077 == 0
        descendants = psutil.Process(process.pid).children(recursive=True)
        assert len(descendants) >= 6  # broker, postgres (+ its workers), five service processes

        # A crashed service comes back by itself.
        crashed = pids["intake"][0]
        os.kill(crashed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            current = json.loads((tmp_path / "data" / "run.json").read_text())["pids"]["intake"]
            if current != [crashed]:
                break
            time.sleep(0.2)
        else:
            pytest.fail("intake was not restarted")
        wait_ready(services["intake"], timeout=30)
        descendants = psutil.Process(process.pid).children(recursive=True)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Vigie is running" in output
    assert "admin token" in output
    assert "Traceback" not in output
    time.sleep(0.5)
    left = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], [p.cmdline() for p in left]
    assert not (tmp_path / "data" / "run.json").exists()
