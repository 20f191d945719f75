"""Running a service process: uvicorn on the configured port, quiet access log, and the drain on
SIGTERM (vigie.platform.drain)."""

from __future__ import annotations

import gc
import logging
import signal
import time
from types import FrameType

import uvicorn
from fastapi import FastAPI

from vigie.platform.drain import Drain, drain_of
from vigie.platform.http_guard import guarded_protocol
from vigie.platform.settings import ServiceSettings

log = logging.getLogger(__name__)
# Requests and batches allocate many short-lived, acyclic objects (an aggregator batch or an
# intake batch request, hundreds of thousands). With the default threshold (700 allocations)
# the cycle collector ran hundreds of times per batch, rescanning what the batch still held:
# measured, 40% of the aggregator's decoding and a tenth of the intake's single-event path.
# Reference counting frees these objects anyway; the collector still runs, only less often.
GC_THRESHOLD = (50_000, 20, 100)
# Requests still in flight once the server stops listening get this long to finish.
GRACEFUL_S = 10


class DrainingServer(uvicorn.Server):
    """uvicorn's server, which on SIGTERM drains for `drain_s` seconds before stopping as usual
    (requests in flight finish, then the lifespan shutdown). A second SIGTERM, or SIGINT, stops
    at once; SIGTERM ends the process with status 0, as an orderly stop."""

    def __init__(self, config: uvicorn.Config, *, drain: Drain, drain_s: float) -> None:
        super().__init__(config)
        self._drain = drain
        self._drain_s = drain_s
        self._stop_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Begin the drain on the first SIGTERM; otherwise as uvicorn does."""
        if sig != signal.SIGTERM:
            self._drain.begin()
            super().handle_exit(sig, frame)
        elif self._stop_at is None and not self.should_exit:
            # Only flags and a deadline here (a signal handler); on_tick stops the server.
            self._drain.begin()
            self._stop_at = time.monotonic() + self._drain_s
        else:
            self.should_exit = True
        # SIGTERM is not re-raised after the shutdown (uvicorn would, to die of it): exit 0.

    async def on_tick(self, counter: int) -> bool:
        """uvicorn's tick (every 0.1 s), which also ends the drain once its time is up."""
        if self._stop_at is not None and not self.should_exit and time.monotonic() >= self._stop_at:
            log.info("drained for %.1f s, stopping", self._drain_s)
            self.should_exit = True
        return await super().on_tick(counter)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve `app` until SIGTERM (drained first) or SIGINT, with a graceful shutdown of its
    lifespan."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Modules, schemas and the app live as long as the process: kept out of the collector's
    # scans (a full collection over them took ~50 ms, a p99 spike).
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    DrainingServer(
        server_config(app, settings), drain=drain_of(app), drain_s=settings.drain_s
    ).run()


def server_config(app: FastAPI, settings: ServiceSettings) -> uvicorn.Config:
    """uvicorn's configuration for a service: uvloop, httptools with bounded request heads."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=guarded_protocol(
            max_head_bytes=settings.http_max_head_bytes,
            head_timeout_s=settings.http_head_timeout_s,
        ),
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_S,
        log_level="info",
    )
