"""Running a service process: uvicorn on the configured port, quiet access log."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from vigie.settings import ServiceSettings


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve `app` until SIGINT/SIGTERM, with a graceful shutdown of its lifespan."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        access_log=False,
        timeout_graceful_shutdown=10,
        log_level="info",
    )
