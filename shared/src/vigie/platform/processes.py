"""Child processes that die with their parent: own process group, parent-death signal, and a
stop that escalates from a polite signal to SIGKILL of the whole group."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections there."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def die_with_parent(sig: int) -> Callable[[], None]:
    """A preexec function: the kernel sends `sig` to the child if its parent dies (even by
    SIGKILL), so a crashed supervisor leaves no orphan behind."""

    def _preexec() -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)

    return _preexec


def spawn(
    argv: list[str],
    *,
    log_file: Path,
    death_signal: int = signal.SIGTERM,
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start a child in a new session (its own process group), output appended to `log_file`.

    With `user`, the child runs as that user with its primary group and no other group, so
    that group permissions of root-owned folders do not apply to it."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(death_signal),
            env=env,
            **as_user(user),
        )


def as_user(user: str | None) -> dict[str, Any]:
    """Popen arguments to run a child as `user` (its uid, primary gid, no extra groups)."""
    if user is None:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def stop_group(
    process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout: float = 10.0
) -> None:
    """Signal a child's process group, wait, then SIGKILL the group if anything is left."""
    if process.poll() is None:
        _signal_group(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    # Grand-children may outlive the leader; the group id is the leader's pid.
    _signal_group(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(5)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `check` until true, or raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
