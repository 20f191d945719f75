"""One way to run work in the background of a service: a named task, started in the lifespan
and cancelled at its end, that repeats a round at an interval and survives the round's failures
(logged, then retried at the next round), so a database outage never kills it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

_log = logging.getLogger(__name__)


class Periodic:
    """Runs `work()` every `interval_s` seconds (after the previous round ended) until stopped.

    `wake()` starts the next round at once instead of waiting out the interval."""

    def __init__(
        self,
        work: Callable[[], Awaitable[object]],
        *,
        interval_s: float,
        name: str,
        first_delay_s: float = 0.0,
    ) -> None:
        self._work = work
        self._interval_s = interval_s
        self._first_delay_s = first_delay_s
        self._name = name
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the rounds in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    def wake(self) -> None:
        """Run the next round now."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the task and wait for it to end."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        await self._sleep(self._first_delay_s)
        while True:
            try:
                await self._work()
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("%s: round failed; retrying in %.1f s", self._name, self._interval_s)
            await self._sleep(self._interval_s)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()
