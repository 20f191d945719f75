"""The dashboard's relays to the alerts service for the referents' network: a territory's
referents ("qui appeler") and an alert's signalements to public partners ("mobiliser les
partenaires") with their follow-up steps. Each call goes with the caller's own token, so the
alerts service applies its own rules; reporting refuses partner keys first (staff contacts
never reach them, see `access`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from vigie.platform.api import ApiError
from vigie_reporting.alerts_feed import AlertsFeed, AlertsUnavailable
from vigie_reporting.api.deps import Alerts, Member

router = APIRouter()
Authorization = Annotated[str | None, Header()]


async def _relay(
    feed: AlertsFeed,
    method: str,
    path: str,
    *,
    authorization: str | None,
    params: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    try:
        status, content = await feed.forward(
            method, path, authorization=authorization or "", params=params, body=body
        )
    except AlertsUnavailable as exc:
        raise ApiError(exc.status, "unavailable", str(exc)) from None
    return Response(content, status_code=status, media_type="application/json")


@router.get("/live/referents")
async def referents(
    principal: Member,
    feed: Alerts,
    territory_id: Annotated[str, Query(min_length=1, max_length=64)],
    authorization: Authorization = None,
) -> Response:
    """The referents covering a territory (alerts' `GET /v1/referents?territory_id=`)."""
    del principal  # a member of the network; the alerts service decides the rest
    return await _relay(
        feed,
        "GET",
        "referents",
        authorization=authorization,
        params={"territory_id": territory_id},
    )


@router.get("/live/alerts/{alert_id}/mobilisations")
async def mobilisations(
    alert_id: str, principal: Member, feed: Alerts, authorization: Authorization = None
) -> Response:
    """An alert's signalements and their follow-up (alerts' `GET /v1/alerts/{id}/mobilisations`)."""
    del principal  # a member of the network; the alerts service decides the rest
    path = f"alerts/{quote(alert_id, safe='')}/mobilisations"
    return await _relay(feed, "GET", path, authorization=authorization)


@router.post("/live/alerts/{alert_id}/mobilisations")
async def mobilise(
    alert_id: str,
    request: Request,
    principal: Member,
    feed: Alerts,
    authorization: Authorization = None,
) -> Response:
    """Send a signalement `{"note", "contact_ids"?}` to the territory's partner contacts
    (alerts' `POST /v1/alerts/{id}/mobilisations`, which decides who may)."""
    del principal  # a member of the network; the alerts service decides the rest
    path = f"alerts/{quote(alert_id, safe='')}/mobilisations"
    body = await request.body()
    return await _relay(feed, "POST", path, authorization=authorization, body=body or b"{}")


@router.post("/live/alerts/{alert_id}/mobilisations/{mobilisation_id}/events")
async def follow_up(
    alert_id: str,
    mobilisation_id: str,
    request: Request,
    principal: Member,
    feed: Alerts,
    authorization: Authorization = None,
) -> Response:
    """Record a follow-up step `{"state": "taken_up"|"action_under_way"|"closed", "note"?}`
    (alerts' `POST /v1/alerts/{id}/mobilisations/{mid}/events`; forward only, else 409)."""
    del principal  # a member of the network; the alerts service decides the rest
    path = (
        f"alerts/{quote(alert_id, safe='')}/mobilisations/{quote(mobilisation_id, safe='')}/events"
    )
    body = await request.body()
    return await _relay(feed, "POST", path, authorization=authorization, body=body or b"{}")
