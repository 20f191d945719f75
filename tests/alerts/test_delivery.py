"""Notifications: webhooks to a real local receiver, e-mails to a real local SMTP server, from
the alert_deliveries outbox of a real PostgreSQL, with retries, leases and a black hole."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from prometheus_client import CollectorRegistry

from tests.support.alerts import (
    WAIT_S,
    BlackHole,
    Inbox,
    ManualClock,
    WebhookReceiver,
    add_delivery,
    add_subscription,
    alert_payload,
    delivery,
    eventually,
    state_of,
)
from vigie.platform.db import create_pool
from vigie.platform.processes import free_port
from vigie_alerts.delivery import (
    NO_SMTP,
    USER_AGENT,
    DeliveryWorker,
    dashboard_link,
    render_email,
    sign,
    subscription_state,
)
from vigie_alerts.delivery import worker as worker_module
from vigie_alerts.delivery.repository import claim_due, release
from vigie_alerts.delivery.webhook import encode
from vigie_alerts.metrics import AlertsMetrics, create_metrics
from vigie_alerts.settings import AlertsSettings

SECRET = "s3cret-of-the-subscriber"
T0 = datetime(2026, 3, 3, 13, 5, tzinfo=UTC)


# ---------- pure ----------


def test_signature_is_the_hmac_sha256_of_the_exact_body() -> None:
    """sha256=<hex HMAC-SHA256>, over the compact JSON bytes that are sent."""
    body = encode(alert_payload())
    assert b", " not in body  # compact
    assert b": " not in body
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, SECRET) == f"sha256={expected}"
    assert sign(body, "another secret") != sign(body, SECRET)
    assert json.loads(body) == alert_payload()


def test_dashboard_link_opens_the_territory_and_carries_no_credential() -> None:
    """The fragment names the territory; tokens, passwords and old fragments are dropped."""
    assert dashboard_link("http://127.0.0.1:8084/", "QN00102M") == (
        "http://127.0.0.1:8084/#territory=QN00102M"
    )
    assert dashboard_link("https://vigie.example", "QN00102M") == (
        "https://vigie.example/#territory=QN00102M"
    )
    assert dashboard_link(
        "https://user:pw@vigie.example/obs/?lang=fr&token=abc#token=xyz", "dep:75"
    ) == ("https://vigie.example/obs/?lang=fr#territory=dep:75")


def test_rate_alert_email_in_french() -> None:
    """Subject with the level in French; the facts, Paris dates, categories and the link."""
    message = render_email(alert_payload())
    assert message["Subject"] == (
        "[Vigie] Alerte escaladée au niveau critique — Croix Blanche : Atteintes aux personnels"
    )
    text = plain_text(message)
    for fact in (
        "passée du niveau alerte au niveau critique",
        "Croix Blanche (QN00102M)",
        "12,4 pour 1 000 logements sociaux",
        "10 pour 1 000 logements sociaux",
        "Incidents sur la fenêtre : 14",
        "30 jours",
        "2 mars 2026 à 8 h 15",  # opened_at 07:15 UTC, winter time
        "3 mars 2026 à 14 h 05",
        "Agression verbale (ATT_VERBALE) : 9 incidents",
        "Menaces (MENACE) : 3 incidents",
        "http://127.0.0.1:8084/#territory=QN00102M",
    ):
        assert fact in text, fact
    html_part = message.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    html = html_part.get_content()
    assert "href='http://127.0.0.1:8084/#territory=QN00102M'" in html


def test_anomaly_email_explains_the_score_and_kinds_have_their_words() -> None:
    """An anomaly score is explained as a tail probability; summer time; each kind's subject."""
    payload = alert_payload(
        metric="anomaly", value=3.0, threshold=3.0, kind="opened", previous_level=None,
        level="alerte", changed_at="2026-07-01T12:00:00Z",
    )  # fmt: skip
    text = plain_text(render_email(payload))
    assert "10^-3, soit 0,1 % (environ 1 chance sur 1 000)" in text
    assert "1er juillet 2026 à 14 h 00" in text
    subjects = {
        kind: render_email(alert_payload(kind=kind, level="alerte"))["Subject"]
        for kind in ("opened", "resolved", "acknowledged", "deescalated", "escalated_to_tier")
    }
    assert subjects["opened"].startswith("[Vigie] Alerte niveau alerte — Croix Blanche")
    assert "résolue" in subjects["resolved"]
    assert "accusée de réception" in subjects["acknowledged"]
    assert "niveau alerte" in subjects["deescalated"]
    assert "Escalade" in subjects["escalated_to_tier"]


# ---------- against PostgreSQL and real endpoints ----------


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh migrated database."""
    pool = await create_pool(database_url, min_size=1, max_size=6)
    yield pool
    await pool.close()


@pytest.fixture
def registry() -> CollectorRegistry:
    """A registry of the test's own."""
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> AlertsMetrics:
    """The alerts metrics on the test's registry."""
    return create_metrics(registry)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free port, and what it received."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def settings_for(database_url: str, **changes: Any) -> AlertsSettings:
    """Settings with fast retries; SMTP unset unless given."""
    values: dict[str, Any] = {"database_url": database_url, "retry_base_s": 0.05}
    values.update(changes)
    return AlertsSettings(**values)


def plain_text(message: EmailMessage) -> str:
    """A message's plain-text part, its whitespace runs made single spaces."""
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return " ".join(part.get_content().split())


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """A metric's current value (0 when it has no such sample yet)."""
    return registry.get_sample_value(f"vigie_alerts_{name}", labels) or 0.0


def notifications(registry: CollectorRegistry, channel: str, outcome: str) -> float:
    """How many notification attempts of a channel had an outcome."""
    return sample(registry, "notifications_total", channel=channel, outcome=outcome)


@pytest.mark.connected
async def test_webhook_is_signed_delivered_and_recorded(
    pool: asyncpg.Pool, database_url: str, metrics: AlertsMetrics, registry: CollectorRegistry
) -> None:
    """A 2xx marks the row delivered, sets last_success_at, and observes the latency."""
    receiver = WebhookReceiver(secret=SECRET)
    url = await receiver.start()
    worker = DeliveryWorker(pool=pool, settings=settings_for(database_url), metrics=metrics)
    try:
        await add_subscription(pool, "oncall", url=url, secret=SECRET)
        row_id = await add_delivery(
            pool, subscription_id="oncall", channel="webhook", payload=alert_payload()
        )
        assert await worker.run_once() == 1
    finally:
        await worker.stop()
        await receiver.close()
    (request,) = receiver.received
    assert request.signature_valid
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-vigie-delivery"] == alert_payload()["dedup_key"]
    assert request.headers["user-agent"] == USER_AGENT
    assert json.loads(request.body) == alert_payload()
    row = await delivery(pool, row_id)
    assert (row["state"], row["attempts"], row["last_error"]) == ("delivered", 1, None)
    async with pool.acquire() as conn:
        state = await subscription_state(conn, "oncall")
    assert state == {
        "last_success_at": row["delivered_at"],
        "last_error_at": None,
        "last_error": None,
        "pending": 0,
        "failed": 0,
        "delivered": 1,
    }
    assert row["delivered_at"] is not None
    assert notifications(registry, "webhook", "delivered") == 1
    assert sample(registry, "outbox_depth", outbox="deliveries") == 0
    assert sample(registry, "crossing_to_delivery_seconds_count", channel="webhook") == 1


@pytest.mark.connected
async def test_a_500_is_retried_with_backoff_and_delivered_once(
    pool: asyncpg.Pool, database_url: str, metrics: AlertsMetrics, registry: CollectorRegistry
) -> None:
    """500 then 200: one retry after the (tiny) backoff, then delivered, never sent again."""
    receiver = WebhookReceiver(secret=SECRET, statuses=[500])
    url = await receiver.start()
    worker = DeliveryWorker(pool=pool, settings=settings_for(database_url), metrics=metrics)
    worker.start()
    try:
        await add_subscription(pool, "oncall", url=url, secret=SECRET)
        row_id = await add_delivery(
            pool, subscription_id="oncall", channel="webhook", payload=alert_payload()
        )
        worker.wake()  # as the evaluator does after committing

        async def delivered() -> bool:
            return await state_of(pool, row_id) == "delivered"

        await eventually(delivered, what="the delivery after a retry")
        await asyncio.sleep(0.3)  # several loops: nothing more is sent
    finally:
        await worker.stop()
        await receiver.close()
    assert [r.status for r in receiver.received] == [500, 200]
    assert all(r.signature_valid for r in receiver.received)
    assert (await delivery(pool, row_id))["attempts"] == 2
    assert notifications(registry, "webhook", "retry") == 1
    assert notifications(registry, "webhook", "delivered") == 1


@pytest.mark.connected
async def test_wake_sends_at_once_and_the_loop_survives_database_errors(
    pool: asyncpg.Pool,
    database_url: str,
    metrics: AlertsMetrics,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the idle sleep made long, only wake() can explain a prompt delivery; an outbox that
    errors (its table renamed away) is logged and the loop keeps going."""
    monkeypatch.setattr(worker_module, "IDLE_WAIT_S", 3600.0)
    receiver = WebhookReceiver(secret=SECRET)
    url = await receiver.start()
    worker = DeliveryWorker(pool=pool, settings=settings_for(database_url), metrics=metrics)
    await add_subscription(pool, "oncall", url=url, secret=SECRET)
    await pool.execute("ALTER TABLE alert_deliveries RENAME TO alert_deliveries_away")
    worker.start()
    try:

        async def logged() -> bool:
            return "outbox unavailable" in caplog.text

        await eventually(logged, what="the database error's log")
        await pool.execute("ALTER TABLE alert_deliveries_away RENAME TO alert_deliveries")
        await asyncio.sleep(0.2)  # asleep now, for an hour unless woken
        row_id = await add_delivery(
            pool, subscription_id="oncall", channel="webhook", payload=alert_payload()
        )
        worker.wake()

        async def delivered() -> bool:
            return await state_of(pool, row_id) == "delivered"

        await eventually(delivered, what="the delivery after wake()")
    finally:
        await worker.stop()
        await receiver.close()
    assert len(receiver.received) == 1


@pytest.mark.connected
async def test_after_max_attempts_the_row_is_failed_with_its_error(
    pool: asyncpg.Pool, database_url: str, metrics: AlertsMetrics, registry: CollectorRegistry
) -> None:
    """An endpoint that always answers 500 gets max_attempts tries, then the row is failed."""
    receiver = WebhookReceiver(secret=SECRET, statuses=[500] * 100)
    url = await receiver.start()
    settings = settings_for(database_url, retry_base_s=0.01, max_attempts=5)
    worker = DeliveryWorker(pool=pool, settings=settings, metrics=metrics)
    worker.start()
    try:
        await add_subscription(pool, "oncall", url=url, secret=SECRET)
        row_id = await add_delivery(
            pool, subscription_id="oncall", channel="webhook", payload=alert_payload()
        )
        worker.wake()

        async def failed() -> bool:
            return await state_of(pool, row_id) == "failed"

        await eventually(failed, what="giving up")
        await asyncio.sleep(0.3)
    finally:
        await worker.stop()
        await receiver.close()
    assert len(receiver.received) == 5
    row = await delivery(pool, row_id)
    assert (row["attempts"], row["last_error"], row["delivered_at"]) == (5, "HTTP 500", None)
    async with pool.acquire() as conn:
        state = await subscription_state(conn, "oncall")
    assert (state["failed"], state["pending"], state["last_error"]) == (1, 0, "HTTP 500")
    assert state["last_error_at"] is not None
    assert state["last_success_at"] is None
    assert notifications(registry, "webhook", "retry") == 4
    assert notifications(registry, "webhook", "failed") == 1


@pytest.mark.connected
async def test_a_black_hole_does_not_delay_a_live_endpoint(
    pool: asyncpg.Pool, database_url: str, metrics: AlertsMetrics
) -> None:
    """A black hole claimed first holds only its own slot: the live endpoint is delivered while
    the black hole's attempt is still in flight."""
    hole, receiver = BlackHole(), WebhookReceiver(secret=SECRET)
    hole_url, live_url = await hole.start(), await receiver.start()
    settings = settings_for(database_url, delivery_timeout_s=60.0, retry_base_s=600.0)
    worker = DeliveryWorker(pool=pool, settings=settings, metrics=metrics)
    try:
        await add_subscription(pool, "dead", url=hole_url, secret=SECRET)
        await add_subscription(pool, "live", url=live_url, secret=SECRET)
        hole_id = await add_delivery(
            pool,
            subscription_id="dead",
            channel="webhook",
            payload=alert_payload(),
            due=datetime.now(UTC) - timedelta(seconds=5),  # first in line
        )
        live_id = await add_delivery(
            pool, subscription_id="live", channel="webhook", payload=alert_payload()
        )
        worker.start()

        async def live_delivered() -> bool:
            return await state_of(pool, live_id) == "delivered"

        await eventually(live_delivered, what="the live endpoint's delivery")
        held = await delivery(pool, hole_id)
        # Still in flight: claimed once, no outcome yet, its connection held open.
        assert (held["state"], held["attempts"], held["last_error"]) == ("pending", 1, None)
        assert hole.connections == 1
    finally:
        await hole.close()  # the black hole hangs up: its attempt ends now, not in 60 s
        await worker.stop()
        await receiver.close()
    held = await delivery(pool, hole_id)
    assert held["state"] == "pending"
    assert held["last_error"].startswith("connection error")
    assert len(receiver.received) == 1


@pytest.mark.connected
async def test_stop_lets_a_send_in_flight_end_within_the_timeout(
    pool: asyncpg.Pool, database_url: str, metrics: AlertsMetrics, registry: CollectorRegistry
) -> None:
    """Stopping during a send to a black hole waits for its timeout and records the attempt."""
    hole = BlackHole()
    url = await hole.start()
    settings = settings_for(database_url, delivery_timeout_s=0.5, retry_base_s=600.0)
    worker = DeliveryWorker(pool=pool, settings=settings, metrics=metrics)
    try:
        await add_subscription(pool, "dead", url=url, secret=SECRET)
        row_id = await add_delivery(
            pool, subscription_id="dead", channel="webhook", payload=alert_payload()
        )
        worker.start()

        async def connected() -> bool:
            return hole.connections == 1

        await eventually(connected, what="the black hole's connection")
        await asyncio.wait_for(worker.stop(), timeout=WAIT_S)
    finally:
        await hole.close()
    row = await delivery(pool, row_id)
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert row["last_error"].startswith("timeout")
    assert notifications(registry, "webhook", "retry") == 1


@pytest.mark.connected
async def test_an_expired_lease_is_sent_again_and_a_delivered_row_never(
    pool: asyncpg.Pool, database_url: str, metrics: AlertsMetrics
) -> None:
    """A process killed mid-delivery (claimed, never marked): the row waits for its lease, then
    goes out again; once delivered it is never sent again, however late."""
    receiver = WebhookReceiver(secret=SECRET)
    url = await receiver.start()
    clock = ManualClock(T0)
    settings = settings_for(database_url, delivery_lease_s=60.0)
    worker = DeliveryWorker(pool=pool, settings=settings, metrics=metrics, clock=clock)
    try:
        await add_subscription(pool, "oncall", url=url, secret=SECRET)
        row_id = await add_delivery(
            pool, subscription_id="oncall", channel="webhook", payload=alert_payload(), due=T0
        )
        async with pool.acquire() as conn:  # a process that claims, then is killed
            (claimed,) = await claim_due(conn, now=T0, limit=10, lease_s=60.0)
        assert (claimed.id, claimed.attempt) == (row_id, 1)
        clock.advance(30)
        assert await worker.run_once() == 0  # still leased
        clock.advance(31)
        assert await worker.run_once() == 1
        clock.advance(100_000)
        assert await worker.run_once() == 0
    finally:
        await worker.stop()
        await receiver.close()
    assert len(receiver.received) == 1
    row = await delivery(pool, row_id)
    assert (row["state"], row["attempts"]) == ("delivered", 2)
    assert row["delivered_at"] == T0 + timedelta(seconds=61)


@pytest.mark.connected
async def test_released_claims_are_due_at_once_and_their_attempt_uncounted(
    pool: asyncpg.Pool,
) -> None:
    """What a stopping worker gives back is claimable again immediately, attempts unchanged."""
    await add_subscription(pool, "oncall", url="http://127.0.0.1:9/", secret=SECRET)
    row_id = await add_delivery(
        pool, subscription_id="oncall", channel="webhook", payload=alert_payload(), due=T0
    )
    later = T0 + timedelta(seconds=1)
    async with pool.acquire() as conn:
        claimed = await claim_due(conn, now=T0, limit=10, lease_s=60.0)
        assert await claim_due(conn, now=T0, limit=10, lease_s=60.0) == []
        await release(conn, claimed, now=later)
        row = await delivery(pool, row_id)
        assert (row["attempts"], row["next_attempt_at"]) == (0, later)
        again = await claim_due(conn, now=later, limit=10, lease_s=60.0)
    assert [(c.id, c.attempt) for c in again] == [(row_id, 1)]


@pytest.mark.connected
async def test_an_alert_email_reaches_the_smtp_server_in_french(
    pool: asyncpg.Pool,
    database_url: str,
    metrics: AlertsMetrics,
    registry: CollectorRegistry,
    inbox: tuple[Inbox, int],
) -> None:
    """The French message is accepted by the SMTP server with its subject and facts."""
    handler, port = inbox
    settings = settings_for(
        database_url, smtp_host="127.0.0.1", smtp_port=port, smtp_from="vigie@bailleur.example"
    )
    worker = DeliveryWorker(pool=pool, settings=settings, metrics=metrics)
    try:
        await add_subscription(pool, "astreinte", email="astreinte@bailleur.example")
        row_id = await add_delivery(
            pool, subscription_id="astreinte", channel="email", payload=alert_payload()
        )
        assert await worker.run_once() == 1
    finally:
        await worker.stop()
    (message,) = handler.messages
    assert handler.recipients == [["astreinte@bailleur.example"]]
    assert message["Subject"] == (
        "[Vigie] Alerte escaladée au niveau critique — Croix Blanche : Atteintes aux personnels"
    )
    assert message["From"] == "vigie@bailleur.example"
    assert message["To"] == "astreinte@bailleur.example"
    assert message["X-Vigie-Delivery"] == alert_payload()["dedup_key"]
    text = plain_text(message)
    for fact in (
        "12,4 pour 1 000 logements sociaux",
        "3 mars 2026 à 14 h 05",
        "Agression verbale (ATT_VERBALE) : 9 incidents",
        "http://127.0.0.1:8084/#territory=QN00102M",
    ):
        assert fact in text, fact
    assert await state_of(pool, row_id) == "delivered"
    assert notifications(registry, "email", "delivered") == 1


@pytest.mark.connected
async def test_a_silence_summary_email_lists_what_was_held_back(
    pool: asyncpg.Pool,
    database_url: str,
    metrics: AlertsMetrics,
    registry: CollectorRegistry,
    inbox: tuple[Inbox, int],
) -> None:
    """One message for the silence: its period, author, reason, each change held back and where
    each alert stands now."""
    handler, port = inbox
    settings = settings_for(database_url, smtp_host="127.0.0.1", smtp_port=port)
    summary = {
        "kind": "silence_summary",
        "silence_id": "travaux-croix-blanche",
        "territory_id": "QN00102M",
        "rule_id": None,
        "starts_at": "2026-03-03T07:00:00Z",
        "ends_at": "2026-03-03T17:00:00Z",
        "reason": "Travaux de rénovation",
        "created_by": "m.dupont",
        "suppressed": [
            alert_payload(kind="opened", level="alerte", previous_level=None),
            alert_payload(kind="resolved", state="resolved", changed_at="2026-03-03T15:30:00Z"),
        ],
    }
    worker = DeliveryWorker(pool=pool, settings=settings, metrics=metrics)
    try:
        await add_subscription(pool, "astreinte", email="astreinte@bailleur.example")
        row_id = await add_delivery(
            pool, subscription_id="astreinte", channel="email", payload=summary
        )
        assert await worker.run_once() == 1
    finally:
        await worker.stop()
    (message,) = handler.messages
    assert message["Subject"] == "[Vigie] Fin de silence — 2 notifications retenues"
    assert message["X-Vigie-Delivery"] == "silence:travaux-croix-blanche"
    text = plain_text(message)
    for fact in (
        "du 3 mars 2026 à 8 h 00 au 3 mars 2026 à 18 h 00",
        "m.dupont",
        "Travaux de rénovation",
        "territoire Croix Blanche (QN00102M)",
        "Croix Blanche : Atteintes aux personnels — alerte ouverte, niveau alerte",
        "3 mars 2026 à 16 h 30 — Croix Blanche : Atteintes aux personnels — alerte résolue",
        "Croix Blanche : Atteintes aux personnels — résolue",
    ):
        assert fact in text, fact
    assert await state_of(pool, row_id) == "delivered"
    # A summary is no crossing: no latency observed.
    assert sample(registry, "crossing_to_delivery_seconds_count", channel="email") == 0


@pytest.mark.connected
async def test_without_smtp_an_email_fails_at_once_with_the_reason(
    pool: asyncpg.Pool, database_url: str, metrics: AlertsMetrics, registry: CollectorRegistry
) -> None:
    """No SMTP server configured: failed on the first attempt, no retry loop."""
    worker = DeliveryWorker(pool=pool, settings=settings_for(database_url), metrics=metrics)
    try:
        await add_subscription(pool, "astreinte", email="astreinte@bailleur.example")
        row_id = await add_delivery(
            pool, subscription_id="astreinte", channel="email", payload=alert_payload()
        )
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0
    finally:
        await worker.stop()
    row = await delivery(pool, row_id)
    assert (row["state"], row["attempts"], row["last_error"]) == ("failed", 1, NO_SMTP)
    assert NO_SMTP == "no SMTP server configured (ALERTS_SMTP_HOST)"
    async with pool.acquire() as conn:
        state = await subscription_state(conn, "astreinte")
    assert (state["failed"], state["last_error"]) == (1, NO_SMTP)
    assert notifications(registry, "email", "failed") == 1
    assert notifications(registry, "email", "retry") == 0
