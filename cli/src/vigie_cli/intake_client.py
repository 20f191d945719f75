"""A client of the intake API (docs/contract.md §5) for the CLI: batches and single events, sent
again
with the same bytes (so the same event_ids) while intake answers 429/503 or cannot be reached."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson

from vigie.contract.events import FieldError

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class IntakeError(Exception):
    """Intake refused the request for good (bad token, malformed request…)."""


class GaveUp(Exception):
    """Intake stayed unavailable past the caller's patience, or the caller asked to stop."""


@dataclass(frozen=True)
class Rejection:
    """One event of a batch that intake did not publish, and why."""

    index: int
    event_id: str | None
    errors: tuple[FieldError, ...]


@dataclass
class BatchResult:
    """Intake's answer to a batch."""

    accepted: int
    rejected: list[Rejection] = field(default_factory=list)


def parse_batch_response(body: Any) -> BatchResult:
    """Read `{"accepted": n, "rejected": [{"index", "event_id", "errors"}]}`."""
    if not isinstance(body, dict) or not isinstance(body.get("accepted"), int):
        raise IntakeError(f"unexpected batch answer from intake: {str(body)[:200]}")
    rejected = [
        Rejection(
            index=int(item["index"]),
            event_id=item.get("event_id"),
            errors=tuple(FieldError.model_validate(e) for e in item.get("errors") or ()),
        )
        for item in body.get("rejected") or ()
    ]
    return BatchResult(body["accepted"], rejected)


def backoff_delay(attempt: int, *, retry_after: str | None, rng: random.Random) -> float:
    """How long to wait before attempt `attempt + 1`: the server's Retry-After when it gives
    one, else exponential with jitter (so many senders do not come back together)."""
    hinted = _retry_after_seconds(retry_after)
    if hinted is not None:
        return min(BACKOFF_MAX_S, hinted)
    base: float = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2.0 ** min(attempt, 16))
    return base * rng.uniform(0.5, 1.0)


def _retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header (seconds or HTTP date) in seconds, None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def error_summary(response: httpx.Response) -> str:
    """The contract error body (`{"error", "detail", "errors"}`) as one line."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    detail = body.get("detail") or body.get("error") or ""
    fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in body.get("errors") or ())
    return f"HTTP {response.status_code} {detail}{' (' + fields + ')' if fields else ''}"


OnRetry = Callable[[str, float], None]


class IntakeClient:
    """Posts to one intake with one token; retries what may be retried."""

    def __init__(
        self,
        *,
        url: str,
        token: str,
        patience_s: float | None = 120.0,
        stop: asyncio.Event | None = None,
        on_retry: OnRetry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(60.0, connect=5.0),
            transport=transport,
        )
        self._patience = patience_s
        self._stop = stop
        self._on_retry = on_retry
        self._rng = random.Random(seed)

    async def __aenter__(self) -> IntakeClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def post_batch(self, events: list[dict[str, Any]]) -> BatchResult:
        """Send events as one JSON array."""
        return await self.post_batch_body(orjson.dumps(events), content_type="application/json")

    async def post_batch_body(self, body: bytes, *, content_type: str) -> BatchResult:
        """Send a ready-made batch body (JSON array, NDJSON or CSV with header)."""
        response = await self._send("/v1/incidents/batch", body, content_type=content_type)
        if response.status_code != 200:
            raise IntakeError(error_summary(response))
        return parse_batch_response(response.json())

    async def post_event(self, event: dict[str, Any]) -> Rejection | None:
        """Send one event; None when accepted, its field errors when rejected (422)."""
        body = orjson.dumps(event)
        response = await self._send("/v1/incidents", body, content_type="application/json")
        if response.status_code in (200, 201, 202):
            return None
        if response.status_code == 422:
            errors = response.json().get("errors") or []
            return Rejection(
                0, event.get("event_id"), tuple(FieldError.model_validate(e) for e in errors)
            )
        raise IntakeError(error_summary(response))

    async def _send(self, path: str, body: bytes, *, content_type: str) -> httpx.Response:
        """POST the same bytes until intake answers something other than 'later'."""
        loop = asyncio.get_running_loop()
        deadline = None if self._patience is None else loop.time() + self._patience
        attempt = 0
        while True:
            retry_after: str | None = None
            try:
                response = await self._http.post(
                    path, content=body, headers={"Content-Type": content_type}
                )
            except httpx.TransportError as exc:
                reason = f"intake unreachable ({type(exc).__name__})"
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                reason = f"intake answered {response.status_code}"
                retry_after = response.headers.get("Retry-After")
            delay = backoff_delay(attempt, retry_after=retry_after, rng=self._rng)
            if deadline is not None and loop.time() + delay > deadline:
                raise GaveUp(f"{reason}; gave up after {self._patience:.0f} s")
            if self._on_retry is not None:
                self._on_retry(reason, delay)
            await self._pause(delay)
            attempt += 1

    async def _pause(self, delay: float) -> None:
        """Sleep before a retry; a stop ends the wait (and the retries) at once."""
        if self._stop is None:
            await asyncio.sleep(delay)
            return
        if not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=max(delay, 0.001))
        if self._stop.is_set():
            raise GaveUp("stopped while intake was unavailable")
