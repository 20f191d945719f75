"""`/mobilisations/receipt/{token}`: a partner's acknowledgement link. Outside /v1 and without
a key: the token, unguessable and stored hashed, is the credential. GET shows a French page
with a button and changes nothing (mail scanners open links); POST records the receipt, once:
a link already used answers 410 Gone."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from vigie_alerts.api.deps import Runtime
from vigie_alerts.mobilisations import follow_up, pages
from vigie_alerts.mobilisations import repository as store

router = APIRouter(prefix="/mobilisations/receipt", tags=["mobilisations"])
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,100}")
# A link's page must not leak its URL (the token) to other sites, nor be cached or indexed.
_HEADERS = {
    "Content-Security-Policy": pages.CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


# A link unknown, used or expired is answered with a page too (a person follows it).
_PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "the link is unknown, used or expired: a page saying so",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}


@router.get("/{token}", response_class=HTMLResponse, responses=_PAGE_ERRORS)
async def receipt_page(token: str, rt: Runtime) -> HTMLResponse:
    """The confirmation page (404 unknown link, 410 already used)."""
    found = await _found(token, rt)
    if found is None:
        return _html(pages.unknown_page(), 404)
    name = rt.evaluator.index.name(found["territory_id"])
    if found["received_at"] is not None:
        return _html(pages.used_page(found, name), 410)
    return _html(pages.confirm_page(found, name))


@router.post("/{token}", response_class=HTMLResponse, responses=_PAGE_ERRORS)
async def confirm_receipt(token: str, rt: Runtime) -> HTMLResponse:
    """Record the receipt (by the contact the link was sent to), once."""
    if not _TOKEN.fullmatch(token):
        return _html(pages.unknown_page(), 404)
    async with rt.pool.acquire() as conn:
        try:
            async with conn.transaction():
                found = await follow_up.acknowledge_receipt(
                    conn,
                    token,
                    # Recorded as the contact the link was sent to (acknowledge_receipt names it).
                    step=follow_up.Step("", rt.evaluator.index, rt.dashboard_url, rt.clock()),
                )
        except follow_up.FollowUpConflict:
            used = await store.by_token(conn, follow_up.token_hash(token))
            assert used is not None  # it was found to be used
            return _html(pages.used_page(used, rt.evaluator.index.name(used["territory_id"])), 410)
    if found is None:
        return _html(pages.unknown_page(), 404)
    rt.changed()
    return _html(pages.received_page(found, rt.evaluator.index.name(found["territory_id"])))


async def _found(token: str, rt: Any) -> Any:
    if not _TOKEN.fullmatch(token):
        return None
    async with rt.pool.acquire() as conn:
        return await store.by_token(conn, follow_up.token_hash(token))
