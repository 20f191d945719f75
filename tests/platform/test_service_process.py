"""A service child process: started, ready on /health/ready, stopped with nothing left; a child
that exits or never gets ready gives an error carrying its log's last lines."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from vigie.platform.processes import free_port
from vigie.platform.service_process import ServiceNotReady, ServiceProcess, log_tail, ready_reason

# A stand-in service: `python -m vigie_fake` answering /health/ready with FAKE_READY_STATUS.
FAKE_SERVICE = """
import http.server, os

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = int(os.environ.get("FAKE_READY_STATUS", "200"))
        self.send_response(status if self.path == "/health/ready" else 404)
        self.end_headers()
        self.wfile.write(b"not yet" if status != 200 else b"ok")

    def log_message(self, *args):
        pass

print("fake service starting", flush=True)
if os.environ.get("FAKE_EXIT"):
    raise SystemExit(int(os.environ["FAKE_EXIT"]))
server = http.server.HTTPServer(("127.0.0.1", int(os.environ["FAKE_PORT"])), Handler)
server.serve_forever()
"""


def fake(tmp_path: Path, **env: str) -> ServiceProcess:
    """The stand-in service on a free port, with these environment variables."""
    (tmp_path / "vigie_fake.py").write_text(textwrap.dedent(FAKE_SERVICE))
    return ServiceProcess.vigie(
        "fake", env={"PYTHONPATH": str(tmp_path), **env}, log_file=tmp_path / "fake.log"
    )


def gone(pid: int) -> bool:
    """Whether no process has this pid any more (it exited and was reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_nothing_listening_is_a_reason_not_an_error() -> None:
    """The probe says why a service is not ready instead of raising."""
    assert ready_reason(f"http://127.0.0.1:{free_port()}") == "ConnectionRefusedError"


def test_the_log_tail_keeps_the_last_lines(tmp_path: Path) -> None:
    """An error message ends with the log's last lines, and nothing when there is no log."""
    log = tmp_path / "service.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    tail = log_tail(log, lines=3)
    assert tail.endswith("line 97\nline 98\nline 99")
    assert "line 96" not in tail
    assert log_tail(tmp_path / "missing.log") == ""
    assert log_tail(None) == ""


@pytest.mark.e2e
def test_a_service_is_ready_inside_the_block_and_gone_after(tmp_path: Path) -> None:
    """Started, ready, restartable at the same address, and stopped with nothing left."""
    with fake(tmp_path) as service:
        assert ready_reason(service.url) is None
        service.kill()
        assert not service.running
        service.start_ready()
        assert ready_reason(service.url) is None
        pid = service.pid
    assert service.starts == 2
    assert not service.running
    assert gone(pid)


@pytest.mark.e2e
def test_a_child_that_exits_is_reported_at_once_with_its_log(tmp_path: Path) -> None:
    """No waiting for the timeout: the exit code and the log's last lines are in the error."""
    service = fake(tmp_path, FAKE_EXIT="3")
    with pytest.raises(ServiceNotReady) as error:
        service.start_ready(timeout=60)
    message = str(error.value)
    assert "exited with code 3" in message
    assert "fake service starting" in message


@pytest.mark.e2e
def test_a_service_never_ready_is_stopped_and_says_why(tmp_path: Path) -> None:
    """A 503 until the timeout: the error gives the last answer, and the child is stopped."""
    service = fake(tmp_path, FAKE_READY_STATUS="503")
    with pytest.raises(ServiceNotReady) as error:
        service.start_ready(timeout=1)
    assert "not ready after 1 s (503 not yet)" in str(error.value)
    assert not service.running
    assert gone(service.pid)
