"""Service processes for integration tests, through `vigie.platform.service_process`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vigie.platform.processes import free_port
from vigie.platform.service_process import ServiceProcess


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
    service = ServiceProcess.vigie(
        name, env=env, log_file=log_dir / f"{name}-{port}.log", port=port
    )
    service.start_ready(timeout=ready_timeout)
    try:
        yield service.url
    finally:
        service.stop()
