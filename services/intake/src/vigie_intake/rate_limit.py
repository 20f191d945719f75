"""Per-key rate limiting: a token bucket per API key, pure (the caller passes the clock).

One process, one bucket per key: with several intake workers each enforces the limit alone,
which is fine for a limit meant to stop a runaway client, not to bill one."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Buckets of keys idle this long are full again: forgetting them bounds the memory.
_IDLE_FORGET_S = 600.0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`rate` requests per second per key, with bursts up to `burst`."""

    def __init__(self, *, rate: float, burst: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, _Bucket] = {}
        self._last_sweep = 0.0

    def take(self, key: str, *, now: float, cost: float = 1.0) -> float:
        """Spend `cost` tokens of `key`'s bucket: 0.0 if allowed, else the seconds to wait."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
            self._sweep(now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self.rate

    def _sweep(self, now: float) -> None:
        """Forget the buckets of keys idle for long (they would be full anyway)."""
        if now - self._last_sweep < _IDLE_FORGET_S:
            return
        self._last_sweep = now
        idle = [k for k, b in self._buckets.items() if now - b.updated > _IDLE_FORGET_S]
        for key in idle:
            del self._buckets[key]


def retry_after_header(wait_s: float) -> str:
    """A Retry-After value (whole seconds, at least 1) for a wait."""
    return str(max(1, math.ceil(wait_s)))
