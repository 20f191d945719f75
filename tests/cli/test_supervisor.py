"""`vigie run` waits for every service's /health/ready and says why the others are not ready."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from vigie.platform.processes import free_port
from vigie_cli.supervisor import wait_ready


@contextmanager
def health_server(status: int) -> Iterator[str]:
    """An HTTP server in a thread answering /health/ready with `status`; its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b'{"status": "unavailable"}' if status != 200 else b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_ready_services_are_not_reported() -> None:
    """All ready: nothing to report."""
    with health_server(200) as one, health_server(200) as two:
        assert await wait_ready({"intake": one, "reporting": two}, within=5) == {}


async def test_each_service_not_ready_comes_with_its_last_reason() -> None:
    """A 503 gives its answer, a closed port the connection error; a ready one is left out."""
    with health_server(200) as ready, health_server(503) as busy:
        closed = f"http://127.0.0.1:{free_port()}"
        reasons = await wait_ready({"a": ready, "b": busy, "c": closed}, within=0.5)
    assert reasons == {
        "b": '503 {"status": "unavailable"}',
        "c": "ConnectionRefusedError",
    }
