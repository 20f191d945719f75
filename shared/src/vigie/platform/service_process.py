"""A service as a child process, for `vigie run`, the tests and the benchmarks: `python -m
<module>` in its own process group, dying with its parent, ready once `GET /health/ready`
answers 200 (docs/contract.md §1), stopped with its whole group.

Readiness is probed with the standard library's `http.client`: the platform needs no HTTP
client package, and no proxy setting can divert a probe of a loopback address."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from vigie.platform.processes import free_port, spawn, stop_group

READY_PATH = "/health/ready"
LOG_TAIL_LINES = 20


class ServiceNotReady(RuntimeError):
    """A service that exited, or did not become ready in time; the message ends with the last
    lines of its log."""


def python_module(module: str) -> list[str]:
    """The argv of `python -m module` with this interpreter."""
    return [sys.executable, "-m", module]


def ready_reason(url: str, *, timeout: float = 2.0) -> str | None:
    """None when `GET <url>/health/ready` answers 200; else why not (the answer's status and
    start, or the connection error's name)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path.rstrip("/") + READY_PATH)
        response = conn.getresponse()
        if response.status == 200:
            return None
        return f"{response.status} {response.read(200).decode(errors='replace')}"
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        conn.close()


def wait_ready(
    url: str,
    *,
    timeout: float,
    process: subprocess.Popen[bytes] | None = None,
    log_file: Path | None = None,
) -> None:
    """Poll `/health/ready` until it answers 200. ServiceNotReady, with the log's tail, when
    `process` exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise ServiceNotReady(
                f"{url}: exited with code {process.returncode} before it was ready"
                + log_tail(log_file)
            )
        reason = ready_reason(url)
        if reason is None:
            return
        if time.monotonic() >= deadline:
            raise ServiceNotReady(
                f"{url}: not ready after {timeout:.0f} s ({reason})" + log_tail(log_file)
            )
        time.sleep(0.1)


def log_tail(log_file: Path | None, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log, to append to an error message ("" without a log)."""
    if log_file is None or not log_file.exists():
        return ""
    with log_file.open("rb") as log:
        log.seek(max(0, log_file.stat().st_size - 16_384))
        text = log.read().decode(errors="replace")
    tail = "\n".join(text.splitlines()[-lines:])
    return f"\n--- last lines of {log_file} ---\n{tail}"


class ServiceProcess:
    """One `python -m <module>` child at a fixed address, which can be stopped, killed and
    started again there. Also a context manager: started and ready inside, stopped after."""

    def __init__(self, module: str, *, port: int, env: Mapping[str, str], log_file: Path) -> None:
        """`env` updates this process's environment for the child; `port` is where it listens
        (the caller passes it in `env` under the service's own variable)."""
        self.module = module
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, **env}
        self.log_file = log_file
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def vigie(
        cls, name: str, *, env: Mapping[str, str], log_file: Path, port: int | None = None
    ) -> ServiceProcess:
        """The Vigie service `name`: `python -m vigie_<name>` on `port` (else a free one),
        given to it as `<NAME>_PORT`."""
        port = port or free_port()
        env = {**env, f"{name.upper()}_PORT": str(port)}
        return cls(f"vigie_{name}", port=port, env=env, log_file=log_file)

    @property
    def pid(self) -> int:
        """The child's pid (also its process group's id)."""
        if self._process is None:
            raise RuntimeError(f"{self.module} was never started")
        return self._process.pid

    @property
    def running(self) -> bool:
        """Whether the child was started and has not exited."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the child without waiting; its output is appended to `log_file`."""
        if self.running:
            raise RuntimeError(f"{self.module} is already running")
        self._process = spawn(
            python_module(self.module),
            log_file=self.log_file,
            env=self.env,
            death_signal=signal.SIGTERM,
        )
        self.starts += 1

    def wait_ready(self, *, timeout: float = 30.0) -> None:
        """Wait until `/health/ready` answers 200; ServiceNotReady if the child exits first or
        time runs out."""
        wait_ready(self.url, timeout=timeout, process=self._process, log_file=self.log_file)

    def start_ready(self, *, timeout: float = 30.0) -> None:
        """Start the child and wait until it is ready; stop it again if it never is."""
        self.start()
        try:
            self.wait_ready(timeout=timeout)
        except BaseException:
            self.stop()
            raise

    def terminate(self) -> None:
        """SIGTERM to the child without waiting: to stop several at once, `terminate` each,
        then `stop` each."""
        if self.running:
            assert self._process is not None
            self._process.send_signal(signal.SIGTERM)

    def wait(self, *, timeout: float) -> int:
        """Wait up to `timeout` seconds for the child to exit; its exit status
        (subprocess.TimeoutExpired if it is still running)."""
        if self._process is None:
            raise RuntimeError(f"{self.module} was never started")
        return self._process.wait(timeout=timeout)

    def stop(self, *, timeout: float = 15.0) -> None:
        """SIGTERM, wait up to `timeout` seconds, then SIGKILL whatever is left of the group."""
        if self._process is not None:
            stop_group(self._process, sig=signal.SIGTERM, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the group: no shutdown code runs, like a crash or an OOM kill."""
        if self._process is not None:
            stop_group(self._process, sig=signal.SIGKILL, timeout=5)

    def __enter__(self) -> ServiceProcess:
        self.start_ready()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
