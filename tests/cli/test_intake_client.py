"""The intake client: the same bytes again on 429/503 and lost connections, never otherwise."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import orjson
import pytest

from vigie_cli.intake_client import (
    BACKOFF_MAX_S,
    GaveUp,
    IntakeClient,
    IntakeError,
    backoff_delay,
    parse_batch_response,
)

Handler = Callable[[httpx.Request], httpx.Response]


class FakeIntake:
    """Answers from a script, one per request, and keeps what it received."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.bodies: list[bytes] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.content)
        self.headers.append(request.headers)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self, **kwargs: object) -> IntakeClient:
        return IntakeClient(
            url="http://intake.test",
            token="secret",
            transport=httpx.MockTransport(self),
            seed=1,
            **kwargs,  # type: ignore[arg-type]
        )


def _later(status: int) -> httpx.Response:
    return httpx.Response(status, headers={"Retry-After": "0"}, json={"error": "later"})


ACCEPTED = httpx.Response(200, json={"accepted": 2, "rejected": []})
EVENTS = [{"event_id": "a"}, {"event_id": "b"}]


async def test_batch_is_sent_again_unchanged_after_503_and_429() -> None:
    intake = FakeIntake(_later(503), _later(429), ACCEPTED)
    async with intake.client() as client:
        result = await client.post_batch(EVENTS)
    assert result.accepted == 2
    assert len(intake.bodies) == 3
    assert len(set(intake.bodies)) == 1
    assert orjson.loads(intake.bodies[0]) == EVENTS
    assert intake.headers[0]["authorization"] == "Bearer secret"
    assert intake.headers[0]["content-type"] == "application/json"


async def test_lost_connection_is_retried() -> None:
    intake = FakeIntake(httpx.ConnectError("refused"), ACCEPTED)
    retries: list[str] = []
    async with intake.client(on_retry=lambda reason, _: retries.append(reason)) as client:
        result = await client.post_batch_body(b"incident_id\nX\n", content_type="text/csv")
    assert result.accepted == 2
    assert intake.bodies == [b"incident_id\nX\n"] * 2
    assert intake.headers[1]["content-type"] == "text/csv"
    assert retries == ["intake unreachable (ConnectError)"]


async def test_gives_up_after_its_patience() -> None:
    intake = FakeIntake(*[httpx.Response(503)] * 5)
    async with intake.client(patience_s=0.01) as client:
        with pytest.raises(GaveUp, match="503"):
            await client.post_batch(EVENTS)
    assert len(intake.bodies) == 1


async def test_a_stop_interrupts_the_wait() -> None:
    stop = asyncio.Event()
    intake = FakeIntake(httpx.Response(503, headers={"Retry-After": "30"}))
    async with intake.client(patience_s=None, stop=stop) as client:
        task = asyncio.create_task(client.post_batch(EVENTS))
        await asyncio.sleep(0.05)
        stop.set()
        with pytest.raises(GaveUp, match="stopped"):
            await asyncio.wait_for(task, timeout=5)


async def test_refusals_are_not_retried() -> None:
    intake = FakeIntake(
        httpx.Response(401, json={"error": "unauthenticated", "detail": "bad token", "errors": []})
    )
    async with intake.client() as client:
        with pytest.raises(IntakeError, match="401 bad token"):
            await client.post_batch(EVENTS)
    assert len(intake.bodies) == 1


async def test_single_event_accepted_or_rejected() -> None:
    invalid = {
        "error": "invalid",
        "detail": "invalid event",
        "errors": [{"field": "severity", "message": "must be ≤ 4"}],
    }
    intake = FakeIntake(
        httpx.Response(202, json={"event_id": "a", "status": "accepted"}),
        httpx.Response(422, json=invalid),
    )
    async with intake.client() as client:
        assert await client.post_event({"event_id": "a"}) is None
        rejection = await client.post_event({"event_id": "b"})
    assert rejection is not None
    assert rejection.event_id == "b"
    assert [(e.field, e.message) for e in rejection.errors] == [("severity", "must be ≤ 4")]


def test_batch_answer_is_read() -> None:
    result = parse_batch_response(
        {
            "accepted": 1,
            "rejected": [
                {"index": 1, "event_id": None, "errors": [{"field": "type", "message": "x"}]}
            ],
        }
    )
    assert result.accepted == 1
    assert [(r.index, r.event_id, r.errors[0].field) for r in result.rejected] == [
        (1, None, "type")
    ]
    with pytest.raises(IntakeError):
        parse_batch_response({"status": "ok"})


def test_backoff_follows_retry_after_else_grows_with_a_cap() -> None:
    rng = random.Random(0)
    assert backoff_delay(0, retry_after="3", rng=rng) == 3.0
    assert backoff_delay(0, retry_after="3600", rng=rng) == BACKOFF_MAX_S
    in_two_s = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    assert 0.5 < backoff_delay(0, retry_after=in_two_s, rng=rng) <= 2.0
    delays = [backoff_delay(n, retry_after=None, rng=rng) for n in range(12)]
    assert 0.25 <= delays[0] <= 0.5
    assert delays[3] > delays[0]
    assert max(delays) <= BACKOFF_MAX_S
    assert backoff_delay(100, retry_after="soon", rng=rng) <= BACKOFF_MAX_S
