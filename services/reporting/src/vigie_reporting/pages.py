"""The dashboard at `/` and what it loads: a static page, its script and style, and the QPV map.

None of these embed incident data, so they are public: the page asks for a bearer token and
sends it with every `/v1` call (see static/app.js). The map is reference geometry only."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from functools import cache
from importlib.resources import files

from fastapi import APIRouter, Header, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from vigie_reporting.geo import qpv_map_json

STATIC_DIR = files("vigie_reporting").joinpath("static")


def static_files() -> StaticFiles:
    """The page's script, style and icons."""
    return StaticFiles(directory=str(STATIC_DIR))


@cache
def _map_payload() -> tuple[bytes, bytes, str]:
    """The map JSON, gzipped once, with its ETag."""
    raw = qpv_map_json()
    return raw, gzip.compress(raw, 6), hashlib.sha256(raw).hexdigest()[:16]


async def warm_map() -> None:
    """Simplify the map ahead of the first page load (a second of CPU, off the event loop)."""
    await asyncio.to_thread(_map_payload)


def pages_router() -> APIRouter:
    """`/` and `/geo/qpv.json`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def index() -> FileResponse:
        """The dashboard page (no data in it)."""
        return FileResponse(str(STATIC_DIR.joinpath("index.html")), media_type="text/html")

    @router.get("/geo/qpv.json")
    async def qpv_map(
        request: Request, accept_encoding: str | None = Header(default=None)
    ) -> Response:
        """The simplified QPV map, gzipped when the client accepts it."""
        raw, packed, etag = await asyncio.to_thread(_map_payload)
        headers = {"ETag": f'"{etag}"', "Cache-Control": "public, max-age=86400"}
        if request.headers.get("if-none-match") == f'"{etag}"':
            return Response(status_code=304, headers=headers)
        if accept_encoding and "gzip" in accept_encoding:
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
            return Response(packed, media_type="application/json", headers=headers)
        return Response(raw, media_type="application/json", headers=headers)

    return router
