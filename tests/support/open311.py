"""Helpers of the Open311 tests: posting a form, reading GeoReport's XML."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, fromstring

import httpx

FORM = "application/x-www-form-urlencoded"
LE_BOURGET = {"lat": "48.93781", "long": "2.42913"}  # inside QN09302M


def parse_xml(document: bytes) -> Element:
    """An XML answer of our own intake (trusted: not an attack surface)."""
    return fromstring(document)  # noqa: S314


async def post(
    client: httpx.AsyncClient, fields: dict[str, str], *, fmt: str = "json"
) -> tuple[int, Any]:
    """POST a URL-encoded form to /open311/v2/requests.{fmt}; (status, decoded JSON or XML)."""
    response = await client.post(
        f"/open311/v2/requests.{fmt}", data=fields, headers={"Content-Type": FORM}
    )
    body = response.json() if fmt == "json" else parse_xml(response.content)
    return response.status_code, body
