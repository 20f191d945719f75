"""Who is notified of alert changes, through the running service: subscriptions filtered by
territory, level and landlord, their delivery state, French e-mails to a real SMTP server,
the escalation tier, and silences summarised when they end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.support.alerts import Inbox, ManualClock, WebhookReceiver
from tests.support.alerts_service import NOW, AlertsService, serve_alerts
from vigie.platform.processes import free_port

pytestmark = pytest.mark.connected

LANDY = "QN09337M"  # Plaine - Landy - Bailly, Saint-Denis, in DEP-93
FRANC_MOISIN = "QN09328M"  # Saint-Denis, in DEP-93
GARE = "QN09301I"  # Secteur Gare - Aviatic, in DEP-93
TODAY = date(2026, 11, 25)
SECRET = "a-webhook-secret-of-some-length"

STAFF = {
    "name": "Agressions du personnel",
    "scope": {"territory_ids": [LANDY]},
    "selector": {"categories": ["PER-PHY"], "targets": ["personnel"]},
    "window_days": 7,
    "levels": {"alerte": 1, "critique": 3},
}
STAFF_OF_A = {
    **STAFF,
    "name": "Agressions du personnel de A",
    "scope": {"territory_ids": [LANDY], "landlord_id": "a"},
    "levels": {"alerte": 1},
}


@pytest.fixture
async def alerts_with_smtp(
    database_url: str, kafka_bootstrap: str
) -> AsyncIterator[tuple[AlertsService, Inbox]]:
    """The alerts app sending its e-mails to a real SMTP server (aiosmtpd) on a free port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        async with serve_alerts(
            database_url=database_url,
            bootstrap=kafka_bootstrap,
            clock=ManualClock(NOW),
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_from="vigie@observatoire.example",
        ) as service:
            yield service, inbox
    finally:
        controller.stop()


def plain_text(message: EmailMessage) -> str:
    """A message's plain-text part, its whitespace runs made single spaces."""
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return " ".join(part.get_content().split())


async def test_each_subscription_is_told_what_it_asked_for_and_no_more(
    alerts_with_smtp: tuple[AlertsService, Inbox],
) -> None:
    """One service: the first phase's subscriptions stay, and hear of the second phase's
    changes too, after the first phase has checked what it received."""
    alerts, inbox = alerts_with_smtp
    await subscriptions_filter_by_territory_level_and_landlord(alerts, inbox)
    await the_escalation_tier_hears_of_unacknowledged_alerts_and_silences_are_summarised(alerts)


async def subscriptions_filter_by_territory_level_and_landlord(
    alerts: AlertsService, inbox: Inbox
) -> None:
    """Webhooks filtered by territory, level and landlord, their delivery state (never the
    secret), and e-mails in French."""
    receivers = {
        "dep93": WebhookReceiver(secret=SECRET),
        "dep01": WebhookReceiver(secret=SECRET),
        "critique": WebhookReceiver(secret=SECRET),
        "landlord-a": WebhookReceiver(secret=SECRET),
        "failing": WebhookReceiver(secret=SECRET, statuses=[500] * 100),
    }
    filters: dict[str, dict[str, object]] = {
        "dep93": {"territory_ids": ["DEP-93"]},
        "dep01": {"territory_ids": ["DEP-01"]},
        "critique": {"min_level": "critique"},
        "landlord-a": {"landlord_id": "a"},
        "failing": {},
    }
    try:
        async with alerts.client() as api:
            for name, receiver in receivers.items():
                url = await receiver.start()
                body = {"url": url, "secret": SECRET, **filters[name]}
                created = await api.put(f"/v1/subscriptions/{name}", json=body)
                assert created.status_code == 201, created.text
                assert SECRET not in created.text
                assert created.json()["has_secret"] is True
            mail = {"email": "astreinte@bailleur.example", "territory_ids": ["COM-93066"]}
            assert (await api.put("/v1/subscriptions/mail", json=mail)).status_code == 201
            assert (await api.put("/v1/rules/staff", json=STAFF)).status_code == 201
            assert (await api.put("/v1/rules/staff-a", json=STAFF_OF_A)).status_code == 201

            await alerts.set_count(LANDY, TODAY, "PER-PHY", 1, target="personnel", landlord_id="a")
            await alerts.announce([(LANDY, TODAY)])
            await alerts.only_alert(api, rule_id="staff", territory_id=LANDY)
            await alerts.set_count(LANDY, TODAY, "PER-PHY", 3, target="personnel", landlord_id="a")
            await alerts.announce([(LANDY, TODAY)])
            staff = await alerts.only_alert(api, rule_id="staff", territory_id=LANDY)
            await alerts.history(api, staff["alert_id"], 2)

            def kinds(name: str) -> list[tuple[str, str, str]]:
                return [
                    (r.json()["rule_id"], r.json()["kind"], r.json()["level"])
                    for r in receivers[name].received
                ]

            # DEP-93 contains the QPV: all three changes.
            await alerts.wait_received(receivers["dep93"], 3)
            assert sorted(kinds("dep93")) == [
                ("staff", "escalated", "critique"),
                ("staff", "opened", "alerte"),
                ("staff-a", "opened", "alerte"),
            ]
            # Critique only; the landlord's own rule only.
            await alerts.wait_received(receivers["critique"], 1)
            assert kinds("critique") == [("staff", "escalated", "critique")]
            await alerts.wait_received(receivers["landlord-a"], 1)
            assert kinds("landlord-a") == [("staff-a", "opened", "alerte")]
            # Recipients are chosen with the change: nothing is, or will be, sent to the Ain.
            assert await alerts.deliveries("dep01") == []
            assert all(
                r.signature_valid for receiver in receivers.values() for r in receiver.received
            )

            # Delivery state: the last success; while the receiver answers 500, the error
            # and what is still to be sent. The secret is never shown.
            async def state(name: str) -> dict[str, object]:
                response = await api.get(f"/v1/subscriptions/{name}")
                assert response.status_code == 200
                assert SECRET not in response.text
                view: dict[str, object] = response.json()
                assert "secret" not in view
                return view

            async def delivered_all() -> dict[str, object] | None:
                delivery = (await state("dep93"))["delivery"]
                assert isinstance(delivery, dict)
                return delivery if delivery["delivered"] == 3 else None

            delivered = await alerts.wait_for(delivered_all)
            assert delivered["last_success_at"] is not None
            assert (delivered["pending"], delivered["failed"], delivered["last_error"]) == (
                0,
                0,
                None,
            )

            async def failed_once() -> dict[str, object] | None:
                delivery = (await state("failing"))["delivery"]
                assert isinstance(delivery, dict)
                return delivery if delivery["last_error"] else None

            failing = await alerts.wait_for(failed_once)
            assert failing["last_error"] == "HTTP 500"
            assert failing["last_error_at"] is not None
            assert failing["last_success_at"] is None
            # The service's clock stands still: the retries are not due yet.
            assert (failing["pending"], failing["delivered"]) == (3, 0)
            listed = await api.get("/v1/subscriptions")
            assert SECRET not in listed.text
            assert len(listed.json()["subscriptions"]) == 6

            # The e-mail subscription (the commune of Saint-Denis) got all three, in French.
            await alerts.wait_for(lambda: _at_least(inbox, 3))
            assert inbox.recipients == [["astreinte@bailleur.example"]] * 3
            subjects = sorted(str(m["Subject"]) for m in inbox.messages)
            assert subjects == [
                "[Vigie] Alerte escaladée au niveau critique — Plaine - Landy - Bailly : "
                "Agressions du personnel",
                "[Vigie] Alerte niveau alerte — Plaine - Landy - Bailly : Agressions du personnel",
                "[Vigie] Alerte niveau alerte — Plaine - Landy - Bailly : "
                "Agressions du personnel de A",
            ]
            message = next(m for m in inbox.messages if "escaladée" in str(m["Subject"]))
            assert message["From"] == "vigie@observatoire.example"
            text = plain_text(message)
            for fact in (
                "Plaine - Landy - Bailly (QN09337M)",
                "est passée du niveau alerte au niveau critique",
                "Valeur : 3 incidents",
                "agression physique (PER-PHY) : 3 incidents",
            ):
                assert fact in text, fact
            escalated = next(
                r.json() for r in receivers["dep93"].received if r.json()["kind"] == "escalated"
            )
            assert message["X-Vigie-Delivery"] == escalated["dedup_key"]
    finally:
        for receiver in receivers.values():
            await receiver.close()


async def _at_least(inbox: Inbox, count: int) -> bool:
    return len(inbox.messages) >= count


ESCALATING = {
    "name": "Points de deal",
    "scope": {"territory_ids": [FRANC_MOISIN, GARE]},
    "selector": {"categories": ["TRA-DEA"]},
    "window_days": 7,
    "levels": {"alerte": 1},
    "escalate_after_minutes": 10,
}
QUIET = {
    "name": "Halls occupés",
    "scope": {"territory_ids": [LANDY]},
    "selector": {"categories": ["OCC-HAL"]},
    "window_days": 7,
    "levels": {"vigilance": 1, "alerte": 3},
}


async def the_escalation_tier_hears_of_unacknowledged_alerts_and_silences_are_summarised(
    alerts: AlertsService,
) -> None:
    """An unacknowledged alert goes to the escalation tier once; an acknowledged one does not.
    A silence holds notifications back, then summarises them in one."""
    normal, tier = WebhookReceiver(secret=SECRET), WebhookReceiver(secret=SECRET)
    try:
        async with alerts.client() as api:
            for name, receiver, escalation in (("normal", normal, False), ("tier", tier, True)):
                body = {"url": await receiver.start(), "secret": SECRET, "escalation": escalation}
                assert (await api.put(f"/v1/subscriptions/{name}", json=body)).status_code == 201
            assert (await api.put("/v1/rules/deal", json=ESCALATING)).status_code == 201
            assert (await api.put("/v1/rules/halls", json=QUIET)).status_code == 201
            silence = {
                "territory_id": LANDY,
                "ends_at": (NOW + timedelta(minutes=30)).isoformat(),
                "reason": "opération de police en cours",
                "created_by": "Préfecture",
            }
            created = await api.put("/v1/silences/operation", json=silence)
            assert created.status_code == 201, created.text
            assert created.json()["active"] is True

            for territory in (FRANC_MOISIN, GARE):
                await alerts.set_count(territory, TODAY, "TRA-DEA", 1)
            await alerts.set_count(LANDY, TODAY, "OCC-HAL", 1)
            await alerts.announce([(FRANC_MOISIN, TODAY), (GARE, TODAY), (LANDY, TODAY)])
            unacknowledged = await alerts.only_alert(api, rule_id="deal", territory_id=FRANC_MOISIN)
            acknowledged = await alerts.only_alert(api, rule_id="deal", territory_id=GARE)
            silenced = await alerts.only_alert(api, rule_id="halls", territory_id=LANDY)
            ack = await api.post(f"/v1/alerts/{acknowledged['alert_id']}/ack", json={"by": "X"})
            assert ack.status_code == 200, ack.text
            # During the silence the alert changes and is recorded, but nobody is told.
            await alerts.set_count(LANDY, TODAY, "OCC-HAL", 3)
            await alerts.announce([(LANDY, TODAY)])
            held = await alerts.history(api, silenced["alert_id"], 2)
            assert [h["kind"] for h in held] == ["opened", "escalated"]

            # Eleven minutes on, the unacknowledged alert goes to the escalation tier, once.
            await alerts.advance(timedelta(minutes=11))
            await alerts.sweeper.sweep()
            (told,) = await alerts.wait_received(tier, 1)
            assert told.signature_valid
            body = told.json()
            assert (body["alert_id"], body["kind"], body["tier"]) == (
                unacknowledged["alert_id"],
                "escalated_to_tier",
                "escalation",
            )
            assert await alerts.sweeper.sweep() == 0
            history = await alerts.history(api, unacknowledged["alert_id"], 2)
            assert [h["kind"] for h in history] == ["opened", "escalated_to_tier"]
            detail = (await api.get(f"/v1/alerts/{unacknowledged['alert_id']}")).json()
            assert detail["escalated_at"] is not None
            assert (await api.get(f"/v1/alerts/{acknowledged['alert_id']}")).json()[
                "escalated_at"
            ] is None

            # The silence ends: one summary of what it held back, to whom it held it back from.
            await alerts.advance(timedelta(minutes=20))
            await alerts.sweeper.sweep()
            received = [r.json() for r in await alerts.wait_received(normal, 4)]
            assert all(r.signature_valid for r in normal.received)
            (summary,) = [r for r in received if r["kind"] == "silence_summary"]
            assert sorted((r["territory_id"], r["kind"]) for r in received if r is not summary) == [
                (GARE, "acknowledged"),
                (GARE, "opened"),
                (FRANC_MOISIN, "opened"),
            ]
            assert (summary["silence_id"], summary["territory_id"]) == ("operation", LANDY)
            assert (summary["reason"], summary["created_by"]) == (
                "opération de police en cours",
                "Préfecture",
            )
            assert [(s["alert_id"], s["kind"]) for s in summary["suppressed"]] == [
                (silenced["alert_id"], "opened"),
                (silenced["alert_id"], "escalated"),
            ]
            assert [s["dedup_key"] for s in summary["suppressed"]] == [
                f"{silenced['alert_id']}:1",
                f"{silenced['alert_id']}:2",
            ]
            assert await alerts.sweeper.sweep() == 0
            ended = (await api.get("/v1/silences/operation")).json()
            # Two changes held back from each of four subscriptions: this one, and the first
            # phase's "dep93", "failing" and "mail" (the others filter them out).
            assert (ended["active"], ended["suppressed"]) == (False, 8)
            for name in ("dep93", "failing", "mail"):
                kinds = [d["kind"] for d in await alerts.deliveries(name)]
                assert kinds.count("silence_summary") == 1, name
            assert ended["summarised_at"] is not None

            # Exactly that: nothing more for either (the outbox holds every notification; what
            # the silence held back is marked as summarised).
            normal_sent = await alerts.settled("normal")
            assert sorted((d["kind"], d["state"]) for d in normal_sent) == [
                ("acknowledged", "delivered"),
                ("escalated", "summarised"),
                ("opened", "delivered"),
                ("opened", "delivered"),
                ("opened", "summarised"),
                ("silence_summary", "delivered"),
            ]
            tier_sent = await alerts.settled("tier")
            assert [(d["kind"], d["state"]) for d in tier_sent] == [
                ("escalated_to_tier", "delivered")
            ]
            assert json.loads(tier_sent[0]["payload"])["alert_id"] == unacknowledged["alert_id"]
            assert (len(normal.received), len(tier.received)) == (4, 1)
    finally:
        await normal.close()
        await tier.close()
