"""Service processes for the benchmarks, through `vigie.platform.service_process`: started
without waiting so that several can start together, then waited for, then stopped together."""

from __future__ import annotations

from pathlib import Path

from vigie.platform.service_process import ServiceProcess

# The intake under load must not be throttled by the per-key rate limit.
UNLIMITED_INTAKE = {"INTAKE_RATE_PER_S": "1000000", "INTAKE_RATE_BURST": "1000000"}


def start_service(name: str, *, env: dict[str, str], log: Path) -> tuple[str, ServiceProcess]:
    """Start `python -m vigie_<name>` on a free port; its URL and process (not yet ready)."""
    service = ServiceProcess.vigie(name, env=env, log_file=log)
    service.start()
    return service.url, service


def wait_ready(_url: str, process: ServiceProcess, *, within: float = 30.0) -> None:
    """Wait until the process is ready; ServiceNotReady (a RuntimeError, with the log's tail)
    if it exits or time runs out. The URL is the process's own, kept for the callers."""
    process.wait_ready(timeout=within)


def stop(*processes: ServiceProcess) -> None:
    """SIGTERM every process at once, then wait for each (SIGKILL after 20 s)."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop(timeout=20)
