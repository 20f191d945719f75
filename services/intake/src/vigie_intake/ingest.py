"""The intake use case: check events against the rules and the caller's rights, publish the
valid ones, count everything. HTTP details (auth headers, body reading) stay in `api.py`."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from vigie.platform.api import ApiError
from vigie.platform.auth import Principal
from vigie.platform.known_territories import KnownTerritories
from vigie_intake.metrics import IntakeMetrics
from vigie_intake.publisher import BrokerUnavailable, IncidentPublisher
from vigie_intake.validation import (
    UNKNOWN_TERRITORY,
    Accepted,
    Checked,
    MediaKind,
    Rejected,
    check_event,
    errors_json,
    split_batch,
)


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch request did: how many events were published, which lines were not."""

    accepted: int
    rejected: list[Rejected]


class Ingestor:
    """Checks and publishes events on behalf of an authenticated caller."""

    def __init__(
        self,
        *,
        publisher: IncidentPublisher,
        territories: KnownTerritories,
        metrics: IntakeMetrics,
        retry_after_s: int,
        max_batch_events: int,
    ) -> None:
        self._publisher = publisher
        self._territories = territories
        self._metrics = metrics
        self._retry_after = str(retry_after_s)
        self._max_batch_events = max_batch_events

    async def one(self, body: bytes, principal: Principal) -> Accepted:
        """Publish one event; ApiError 422/403 when it is refused, 503 when the broker is not."""
        (checked,) = await self._check([body], principal)
        if isinstance(checked, Rejected):
            self._metrics.reject(checked.reason, checked.landlord_id or principal.landlord_id)
            raise _refusal(checked)
        await self._publish([checked], endpoint="single")
        self._metrics.accept(checked.event.landlord_id)
        return checked

    async def batch(self, body: bytes, kind: MediaKind, principal: Principal) -> BatchOutcome:
        """Publish every valid line of a batch body, report the others."""
        lines = split_batch(body, kind, max_events=self._max_batch_events)
        checked = await self._check(lines, principal)
        accepted = [c for c in checked if isinstance(c, Accepted)]
        rejected = [c for c in checked if isinstance(c, Rejected)]
        await self._publish(accepted, endpoint="batch")
        # Counted per landlord, not per event: one metric update per landlord and request.
        for landlord, count in Counter(a.event.landlord_id for a in accepted).items():
            self._metrics.accept(landlord, count)
        refusals = Counter((r.reason, r.landlord_id or principal.landlord_id) for r in rejected)
        for (reason, sender), count in refusals.items():
            self._metrics.reject(reason, sender, count)
        return BatchOutcome(accepted=len(accepted), rejected=rejected)

    async def _check(self, lines: Sequence[bytes], principal: Principal) -> list[Checked]:
        """Check each line; re-check unknown territories once after a refresh."""
        landlord = principal.landlord_id if principal.role == "landlord" else None
        now = datetime.now(UTC)
        checked = [
            check_event(
                raw, index=i, known_territories=self._territories, landlord_id=landlord, now=now
            )
            for i, raw in enumerate(lines)
        ]
        misses = [c.index for c in checked if isinstance(c, Rejected) and _unknown_territory(c)]
        if misses and await self._territories.refresh_after_miss():
            for i in misses:
                checked[i] = check_event(
                    lines[i],
                    index=i,
                    known_territories=self._territories,
                    landlord_id=landlord,
                    now=now,
                )
        return checked

    async def _publish(
        self, accepted: Sequence[Accepted], *, endpoint: Literal["single", "batch"]
    ) -> None:
        """Publish the accepted lines or raise the 503 answer."""
        if not accepted:
            return
        started = time.perf_counter()
        try:
            await self._publisher.publish([(a.key, a.value) for a in accepted])
        except BrokerUnavailable as exc:
            for landlord, count in Counter(a.event.landlord_id for a in accepted).items():
                self._metrics.reject("broker_unavailable", landlord, count)
            raise ApiError(
                503,
                "unavailable",
                f"{exc}; retry later with the same event_id (duplicates count once)",
                headers={"Retry-After": self._retry_after},
            ) from None
        self._metrics.observe_publish(endpoint, time.perf_counter() - started)


def _refusal(rejected: Rejected) -> ApiError:
    """The 403 or 422 answer for a refused single event."""
    errors = errors_json(rejected.errors)
    if rejected.reason == "wrong_landlord":
        detail = "a landlord key may only write its own landlord_id"
        return ApiError(403, "forbidden", detail, errors=errors)
    return ApiError(422, "invalid", "the event is invalid", errors=errors)


def _unknown_territory(rejected: Rejected) -> bool:
    """Whether one of the errors is an unknown territory."""
    return any(e.message == UNKNOWN_TERRITORY for e in rejected.errors)
