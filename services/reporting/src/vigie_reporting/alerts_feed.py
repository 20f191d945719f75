"""Open alerts for summaries and the dashboard, from the alerts service (docs/contract.md §7),
which may be absent: reporting then answers with no alerts rather than failing.

- A background task polls `GET /v1/alerts?state=open` with the admin token every few seconds,
  so that summaries list `open_alerts` without a network call on the request path.
- `stream` relays `GET /v1/alerts/stream` (SSE) with the caller's own token, so that the page
  gets live changes from the same origin (no CORS) and the alerts service applies its own access
  rules; when the service is down the caller gets a 503 and the page retries."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx

from vigie.platform.background import Periodic

POLL_INTERVAL_S = 5.0
_log = logging.getLogger(__name__)


class AlertsUnavailable(Exception):
    """The alerts service did not answer, or refused."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


class AlertsFeed:
    """The latest known open alerts, refreshed in the background."""

    def __init__(self, base_url: str, *, admin_token: str | None) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=None))
        self._open: list[dict[str, Any]] = []
        self._poll = Periodic(self._poll_once, interval_s=POLL_INTERVAL_S, name="alerts-poll")

    @property
    def open_alerts(self) -> list[dict[str, Any]]:
        """The open alerts seen at the last successful poll."""
        return self._open

    def start(self) -> None:
        """Start polling."""
        self._poll.start()

    async def stop(self) -> None:
        """Stop polling and close connections."""
        await self._poll.stop()
        await self._client.aclose()

    async def _poll_once(self) -> None:
        try:
            self._open = await self._fetch_open()
        except (httpx.HTTPError, ValueError, AlertsUnavailable) as exc:
            # Expected while the alerts service is down: no traceback for it.
            _log.debug("alerts service not available: %s", exc)
            self._open = []

    async def _fetch_open(self) -> list[dict[str, Any]]:
        response = await self._client.get(
            f"{self._base_url}/v1/alerts",
            params={"limit": 1000},
            headers=self._headers,
            timeout=3.0,
        )
        if response.status_code != 200:
            raise AlertsUnavailable(response.status_code, response.text[:200])
        return alert_list(response.json())

    async def acknowledge(
        self, alert_id: str, *, authorization: str, body: bytes
    ) -> tuple[int, bytes]:
        """Relay an acknowledgement with the caller's own token (the alerts service decides who
        may); its status and JSON body, or AlertsUnavailable when it does not answer."""
        try:
            response = await self._client.post(
                f"{self._base_url}/v1/alerts/{quote(alert_id, safe='')}/ack",
                content=body,
                headers={"Authorization": authorization, "Content-Type": "application/json"},
                timeout=5.0,
            )
        except httpx.HTTPError as exc:
            raise AlertsUnavailable(503, f"the alerts service is not reachable ({exc})") from None
        return response.status_code, response.content

    async def forward(
        self,
        method: str,
        path: str,
        *,
        authorization: str,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, bytes]:
        """Relay one JSON call under `/v1/` with the caller's own token (the alerts service
        applies its own access rules); its status and body, or AlertsUnavailable."""
        headers = {"Authorization": authorization, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = await self._client.request(
                method,
                f"{self._base_url}/v1/{path}",
                params=params,
                content=body,
                headers=headers,
                timeout=30.0,  # a signalement renders its PDF before answering
            )
        except httpx.HTTPError as exc:
            raise AlertsUnavailable(503, f"the alerts service is not reachable ({exc})") from None
        return response.status_code, response.content

    async def stream(self, authorization: str) -> AsyncIterator[bytes]:
        """The alerts service's SSE bytes; AlertsUnavailable before the first byte if absent."""
        request = self._client.build_request(
            "GET",
            f"{self._base_url}/v1/alerts/stream",
            headers={"Authorization": authorization, "Accept": "text/event-stream"},
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise AlertsUnavailable(503, f"the alerts service is not reachable ({exc})") from None
        if response.status_code != 200:
            await response.aclose()
            raise AlertsUnavailable(
                503 if response.status_code >= 500 or response.status_code == 404 else 403,
                f"the alerts service answered {response.status_code}",
            )
        return _relay(response)


async def _relay(response: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except httpx.HTTPError:
        return
    finally:
        await response.aclose()


def alert_list(payload: object) -> list[dict[str, Any]]:
    """The live (open or acknowledged) alerts of a `GET /v1/alerts` answer, whether a bare list
    or `{"alerts": [...]}`."""
    items = payload.get("alerts", []) if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise ValueError("unexpected alerts payload")
    return [a for a in items if isinstance(a, dict) and a.get("state", "open") != "resolved"]


def alerts_for(
    alerts: list[dict[str, Any]], *, inside: set[str], landlord_id: str | None, shared: bool
) -> list[dict[str, Any]]:
    """The open alerts on territories `inside` that the caller may see.

    A landlord sees only alerts of rules scoped to its landlord (others are computed from every
    landlord's incidents); the shared view drops `value`, a count that may be below 5."""
    out = []
    for alert in alerts:
        if alert.get("territory_id") not in inside:
            continue
        if landlord_id is not None and _alert_landlord(alert) != landlord_id:
            continue
        out.append({k: v for k, v in alert.items() if not (shared and k == "value")})
    return out


def _alert_landlord(alert: dict[str, Any]) -> object:
    scope = alert.get("scope")
    if isinstance(scope, dict) and "landlord_id" in scope:
        return scope["landlord_id"]
    return alert.get("landlord_id")
