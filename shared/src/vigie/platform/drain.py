"""The drain of a service process on SIGTERM (deploy/README.md, "Stopping and rolling updates").

`serve()` begins the drain when SIGTERM arrives; for `drain_s` seconds the server still listens
but `/health/ready` answers 503 "draining" (the load balancer takes the process out) and new API
requests answer 503 with Retry-After (clients retry elsewhere, with the same event_id for an
incident). Then uvicorn stops listening, lets the requests in flight finish and runs the
lifespan shutdown, where each service finishes its own work (the aggregator's batch, the alerts'
deliveries)."""

from __future__ import annotations

import time

from fastapi import FastAPI

# What a draining process still serves: probes and scrapes. Everything else that reaches it is
# refused only under these prefixes (the API), so that a page being loaded is not cut.
REFUSED_PREFIXES = ("/v1/", "/open311/")
RETRY_AFTER_S = 1


class Drain:
    """Whether the process is draining, and since when (monotonic seconds)."""

    __slots__ = ("active", "since")

    def __init__(self) -> None:
        self.active = False
        self.since: float | None = None

    def begin(self) -> None:
        """Turn readiness false and refuse new API requests from now on."""
        if not self.active:
            self.since = time.monotonic()
            self.active = True


def drain_of(app: FastAPI) -> Drain:
    """The drain state of `app` (one per app, created on first use)."""
    drain: Drain | None = getattr(app.state, "vigie_drain", None)
    if drain is None:
        drain = Drain()
        app.state.vigie_drain = drain
    return drain
