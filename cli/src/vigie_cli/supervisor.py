"""Supervision of the service processes: start, restart a crashed one with backoff, stop all;
and of the embedded servers (broker, database) that `vigie run` started itself, restarted the
same way when they die.

Each child runs in its own process group with a parent-death signal, so neither Ctrl-C, SIGTERM
nor a killed supervisor leaves a process behind."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from vigie.platform.processes import spawn, stop_group
from vigie.platform.service_process import python_module, ready_reason

OnRestart = Callable[[str, int | None, float], None]

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 60.0  # a child up this long has its backoff reset


@dataclass
class ChildSpec:
    """How to start one child process."""

    name: str
    argv: list[str]
    env: dict[str, str]
    url: str | None = None  # its HTTP base, for readiness

    @classmethod
    def python_module(
        cls, name: str, module: str, *, env: dict[str, str], url: str | None = None
    ) -> ChildSpec:
        """A child that runs `python -m module` with this interpreter."""
        return cls(name, python_module(module), env, url)


@dataclass
class Child:
    """A supervised child and its restart bookkeeping."""

    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    restarts: int = field(default=0)


def backoff_delay(failures: int) -> float:
    """How long to wait before the next start after `failures` failures in a row."""
    return float(min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**failures))


@dataclass
class Server:
    """An embedded server started outside the supervisor (the broker, the database): how to
    tell it is alive and how to start it again (which also reaps the dead process)."""

    name: str
    alive: Callable[[], bool]
    restart: Callable[[], Awaitable[None]]
    pid: Callable[[], int | None] = field(default=lambda: None)
    returncode: Callable[[], int | None] = field(default=lambda: None)
    failures: int = 0
    restart_at: float | None = None
    restarts: int = 0
    up_since: float = field(default_factory=time.monotonic)


class Supervisor:
    """Keeps a set of children running until asked to stop."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[Child] = []
        self.servers: list[Server] = []
        self.on_launch: Callable[[], None] | None = None  # e.g. to record the new pids

    def start(self, spec: ChildSpec) -> Child:
        """Start a child now and keep it running."""
        child = Child(spec)
        self._launch(child)
        self.children.append(child)
        return child

    def pids(self) -> dict[str, list[int]]:
        """Live pids by child name (replicas share a name)."""
        result: dict[str, list[int]] = {}
        for server in self.servers:
            if (pid := server.pid()) is not None:
                result[server.name] = [pid]
        for child in self.children:
            if child.process is not None:
                result.setdefault(child.spec.name, []).append(child.process.pid)
        return result

    async def watch(self, stop: asyncio.Event, *, on_restart: OnRestart | None = None) -> None:
        """Restart crashed children with exponential backoff until `stop` is set."""
        while not stop.is_set():
            now = time.monotonic()
            for server in self.servers:
                await self._tend_server(server, now, on_restart)
            for child in self.children:
                self._tend(child, now, on_restart)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)

    def stop_all(self) -> None:
        """SIGTERM every child, then SIGKILL what is left of their process groups."""
        for child in self.children:
            if child.process is not None and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        for child in reversed(self.children):
            if child.process is not None:
                stop_group(child.process, sig=signal.SIGTERM, timeout=10)

    def _tend(self, child: Child, now: float, on_restart: OnRestart | None) -> None:
        if child.process is not None and child.process.poll() is None:
            if now - child.started_at > STABLE_AFTER_S:
                child.failures = 0
            return
        if child.restart_at is None:
            code = child.process.returncode if child.process else None
            delay = backoff_delay(child.failures)
            child.failures += 1
            child.restart_at = now + delay
            if on_restart:
                on_restart(child.spec.name, code, delay)
            return
        if now >= child.restart_at:
            child.restart_at = None
            child.restarts += 1
            self._launch(child)

    async def _tend_server(self, server: Server, now: float, on_restart: OnRestart | None) -> None:
        if server.restart_at is None:
            if server.alive():
                if now - server.up_since > STABLE_AFTER_S:
                    server.failures = 0
                return
            delay = backoff_delay(server.failures)
            server.failures += 1
            server.restart_at = now + delay
            if on_restart:
                on_restart(server.name, server.returncode(), delay)
            return
        if now < server.restart_at:
            return
        server.restart_at = None
        server.restarts += 1
        try:
            await server.restart()
        except Exception:  # not up yet (e.g. its port still held): try again, later
            delay = backoff_delay(server.failures)
            server.failures += 1
            server.restart_at = time.monotonic() + delay
            if on_restart:
                on_restart(server.name, None, delay)
            return
        server.up_since = time.monotonic()
        if self.on_launch is not None:
            self.on_launch()

    def _launch(self, child: Child) -> None:
        child.process = spawn(
            child.spec.argv,
            log_file=self.log_dir / f"{child.spec.name}.log",
            env=child.spec.env,
            death_signal=signal.SIGTERM,
        )
        child.started_at = time.monotonic()
        if self.on_launch is not None:
            self.on_launch()


async def wait_ready(urls: dict[str, str], *, within: float) -> dict[str, str]:
    """Poll each `/health/ready` until all answer 200; return {name: last reason} if not.

    Each round probes every pending URL at once, in threads (the probe is blocking and takes
    at most 2 s), so that a stop request cancels this between rounds."""
    pending = dict(urls)
    reasons: dict[str, str] = {}
    deadline = time.monotonic() + within
    while pending and time.monotonic() < deadline:
        answers = await asyncio.gather(
            *(asyncio.to_thread(ready_reason, url) for url in pending.values())
        )
        for name, reason in zip(list(pending), answers, strict=True):
            if reason is None:
                del pending[name]
                reasons.pop(name, None)
            else:
                reasons[name] = reason
        if pending:
            await asyncio.sleep(0.2)
    return {name: reasons.get(name, "no answer") for name in pending}
