"""The referents' directory through the running service: the access matrix (admin, landlord,
another landlord, managers, partner), and referents as the default recipients of their
landlords' alerts, e-mailed through a real SMTP server without any subscription, each address
once per change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.alerts import Inbox, ManualClock
from tests.support.alerts_service import NOW, AlertsService, serve_alerts
from vigie.platform.processes import free_port

pytestmark = pytest.mark.connected

LANDY = "QN09337M"  # Plaine - Landy - Bailly, Saint-Denis (COM-93066), in DEP-93
AIN = "QN00101M"  # Bourg-en-Bresse, in DEP-01
SAINT_DENIS = "COM-93066"
TODAY = date(2026, 11, 25)


def referent(landlord_id: str, territory_ids: list[str], **fields: Any) -> dict[str, Any]:
    """A referent's body."""
    return {
        "landlord_id": landlord_id,
        "name": fields.pop("name", "Camille Martin"),
        "role": fields.pop("role", "responsable sécurité"),
        "email": fields.pop("email", f"securite@{landlord_id}.example"),
        "phone": fields.pop("phone", "01 23 45 67 89"),
        "territory_ids": territory_ids,
        **fields,
    }


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["referent_id"] for r in response.json()["referents"]]


async def test_the_directory_is_for_the_network_keys_each_within_its_bounds(
    alerts: AlertsService,
) -> None:
    """Admins manage all; a landlord key manages its own landlord's and sees no other's; a
    manager reads those covering its territories (of its landlord when its key names one) and
    manages none; partners get 403. A territory's referents include those of the territories
    containing it."""
    landlord_a = alerts.client(await alerts.key("landlord", landlord_id="a"))
    landlord_b = alerts.client(await alerts.key("landlord", landlord_id="b"))
    manager93 = alerts.client(await alerts.key("manager", territory_ids=["DEP-93"]))
    manager_landy_b = alerts.client(
        await alerts.key("manager", territory_ids=[LANDY], landlord_id="b")
    )
    manager01 = alerts.client(await alerts.key("manager", territory_ids=["DEP-01"]))
    partner = alerts.client(await alerts.key("partner", territory_ids=["DEP-93"]))
    async with (
        alerts.client() as admin,
        landlord_a,
        landlord_b,
        manager93,
        manager_landy_b,
        manager01,
        partner,
    ):
        # Written by the admin and by each landlord key for itself.
        put = await admin.put("/v1/referents/a-landy", json=referent("a", [LANDY]))
        assert put.status_code == 201, put.text
        assert put.json()["phone"] == "01 23 45 67 89"
        put = await landlord_a.put("/v1/referents/a-ville", json=referent("a", [SAINT_DENIS]))
        assert put.status_code == 201, put.text
        put = await landlord_b.put("/v1/referents/b-landy", json=referent("b", [LANDY]))
        assert put.status_code == 201, put.text
        put = await landlord_b.put("/v1/referents/b-ain", json=referent("b", [AIN]))
        assert put.status_code == 201, put.text
        replaced = await landlord_a.put(
            "/v1/referents/a-ville", json=referent("a", [SAINT_DENIS], name="Lou Bernard")
        )
        assert (replaced.status_code, replaced.json()["name"]) == (200, "Lou Bernard")

        # A landlord key writes nothing of another landlord's, and cannot take one over.
        other = await landlord_a.put("/v1/referents/a-x", json=referent("b", [LANDY]))
        assert other.status_code == 403
        taken = await landlord_a.put("/v1/referents/b-landy", json=referent("a", [LANDY]))
        assert taken.status_code == 403
        unknown = await admin.put("/v1/referents/a-x", json=referent("a", ["QN-NOPE"]))
        assert unknown.status_code == 422
        assert "QN-NOPE" in unknown.text
        bad_phone = await admin.put(
            "/v1/referents/a-x", json=referent("a", [LANDY], phone="<script>")
        )
        assert bad_phone.status_code == 422

        # Reads.
        assert ids(await admin.get("/v1/referents")) == [
            "a-landy",
            "a-ville",
            "b-ain",
            "b-landy",
        ]
        assert ids(await landlord_a.get("/v1/referents")) == ["a-landy", "a-ville"]
        assert ids(await landlord_b.get("/v1/referents")) == ["b-ain", "b-landy"]
        assert (await landlord_a.get("/v1/referents/b-landy")).status_code == 404
        assert (await landlord_a.delete("/v1/referents/b-landy")).status_code == 404
        assert ids(await manager93.get("/v1/referents")) == ["a-landy", "a-ville", "b-landy"]
        assert ids(await manager01.get("/v1/referents")) == ["b-ain"]
        assert ids(await manager_landy_b.get("/v1/referents")) == ["b-landy"]
        assert (await manager_landy_b.get("/v1/referents/a-landy")).status_code == 404
        # Who covers the QPV: its own referents and those of its commune.
        landy = await manager93.get("/v1/referents", params={"territory_id": LANDY})
        assert ids(landy) == ["a-landy", "a-ville", "b-landy"]
        town = await manager93.get("/v1/referents", params={"territory_id": SAINT_DENIS})
        assert ids(town) == ["a-ville"]
        of_a = await admin.get("/v1/referents", params={"territory_id": LANDY, "landlord_id": "a"})
        assert ids(of_a) == ["a-landy", "a-ville"]
        one = await manager93.get("/v1/referents/a-landy")
        assert (one.status_code, one.json()["email"]) == (200, "securite@a.example")

        # Managers read, never write; partners see nothing of staff contacts.
        assert (
            await manager93.put("/v1/referents/a-m", json=referent("a", [LANDY]))
        ).status_code == 403
        assert (await manager93.delete("/v1/referents/a-landy")).status_code == 403
        for path in ("/v1/referents", "/v1/referents/a-landy"):
            refused = await partner.get(path)
            assert refused.status_code == 403, refused.text
            assert "securite@" not in refused.text
        assert (
            await partner.put("/v1/referents/a-p", json=referent("a", [LANDY]))
        ).status_code == 403

        # Deleting.
        assert (await landlord_b.delete("/v1/referents/b-ain")).status_code == 204
        assert (await admin.delete("/v1/referents/a-landy")).status_code == 204
        assert (await admin.get("/v1/referents/a-landy")).status_code == 404
        assert ids(await admin.get("/v1/referents")) == ["a-ville", "b-landy"]

    # The audit log names who changed the directory, never the contact data.
    audited = await alerts.db.fetch(
        "SELECT actor_role, action, target, details::text AS details FROM audit_log "
        "WHERE action LIKE 'referents.%' ORDER BY id"
    )
    assert [(r["actor_role"], r["action"], r["target"]) for r in audited] == [
        ("admin", "referents.put", "a-landy"),
        ("landlord", "referents.put", "a-ville"),
        ("landlord", "referents.put", "b-landy"),
        ("landlord", "referents.put", "b-ain"),
        ("landlord", "referents.put", "a-ville"),
        ("landlord", "referents.delete", "b-ain"),
        ("admin", "referents.delete", "a-landy"),
    ]
    assert not any("@" in r["details"] or "Martin" in r["details"] for r in audited)


STAFF_OF_A = {
    "name": "Agressions du personnel de A",
    "scope": {"territory_ids": [LANDY], "landlord_id": "a"},
    "selector": {"categories": ["PER-PHY"], "targets": ["personnel"]},
    "window_days": 7,
    "levels": {"alerte": 1},
}
INSECURITY = {
    "name": "Prévention de l'insécurité, tous bailleurs",
    "scope": {"territory_ids": [LANDY]},
    "selector": {"domains": ["prevention_insecurite"]},
    "window_days": 7,
    "levels": {"vigilance": 1},
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


async def test_referents_receive_their_landlords_alerts_without_any_subscription(
    alerts_with_smtp: tuple[AlertsService, Inbox],
) -> None:
    """A rule scoped to landlord a e-mails a's referents covering the QPV (its own and its
    commune's), not b's nor a's referent elsewhere; a rule over all landlords e-mails every
    landlord's referents covering it. An address also reached by a subscription gets one
    e-mail per change. Alerts carry their rule's categories, a domain expanded."""
    alerts, inbox = alerts_with_smtp
    async with alerts.client() as api:
        directory = {
            "a-landy": referent("a", [LANDY], email="ref.landy@a.example"),
            # Also the subscription's address (in another case): one e-mail per change.
            "a-ville": referent("a", [SAINT_DENIS], email="Astreinte@A.example"),
            "a-ain": referent("a", [AIN], email="ref.ain@a.example"),
            "b-landy": referent("b", [LANDY], email="ref.landy@b.example"),
        }
        for referent_id, body in directory.items():
            assert (await api.put(f"/v1/referents/{referent_id}", json=body)).status_code == 201
        subscription = {"email": "astreinte@a.example", "territory_ids": ["DEP-93"]}
        assert (await api.put("/v1/subscriptions/astreinte", json=subscription)).status_code == 201
        assert (await api.put("/v1/rules/staff-a", json=STAFF_OF_A)).status_code == 201

        await alerts.set_count(LANDY, TODAY, "PER-PHY", 1, target="personnel", landlord_id="a")
        await alerts.announce([(LANDY, TODAY)])
        staff = await alerts.only_alert(api, rule_id="staff-a", territory_id=LANDY)
        assert staff["categories"] == ["PER-PHY"]
        settled = await alerts.wait_for(lambda: _delivered(alerts, 2))
        assert sorted(settled) == [
            ("astreinte@a.example", f"{staff['alert_id']}:1"),
            ("ref.landy@a.example", f"{staff['alert_id']}:1"),
        ]

        assert (await api.put("/v1/rules/insecurity", json=INSECURITY)).status_code == 201
        await alerts.announce([(LANDY, TODAY)])
        every = await alerts.only_alert(api, rule_id="insecurity", territory_id=LANDY)
        assert every["categories"] == [
            "BIE-INC", "BIE-VOL", "OCC-ROD", "PER-PHY", "PER-VER", "TRA-DEA", "TRA-STO",
        ]  # fmt: skip
        settled = await alerts.wait_for(lambda: _delivered(alerts, 5))
        assert sorted(s for s in settled if s[1].startswith(every["alert_id"])) == [
            ("astreinte@a.example", f"{every['alert_id']}:1"),
            ("ref.landy@a.example", f"{every['alert_id']}:1"),
            ("ref.landy@b.example", f"{every['alert_id']}:1"),
        ]

    # What the SMTP server got: each recipient once per change, the French alert e-mail.
    received = sorted(
        (rcpt, str(m["Subject"]))
        for m, rcpts in zip(inbox.messages, inbox.recipients, strict=True)
        for rcpt in rcpts
    )
    assert received == [
        ("astreinte@a.example", "[Vigie] Alerte niveau alerte — Plaine - Landy - Bailly : "
         "Agressions du personnel de A"),
        ("astreinte@a.example", "[Vigie] Alerte niveau vigilance — Plaine - Landy - Bailly : "
         "Prévention de l'insécurité, tous bailleurs"),
        ("ref.landy@a.example", "[Vigie] Alerte niveau alerte — Plaine - Landy - Bailly : "
         "Agressions du personnel de A"),
        ("ref.landy@a.example", "[Vigie] Alerte niveau vigilance — Plaine - Landy - Bailly : "
         "Prévention de l'insécurité, tous bailleurs"),
        ("ref.landy@b.example", "[Vigie] Alerte niveau vigilance — Plaine - Landy - Bailly : "
         "Prévention de l'insécurité, tous bailleurs"),
    ]  # fmt: skip
    to_referent = next(m for m, r in zip(inbox.messages, inbox.recipients, strict=True)
                       if r == ["ref.landy@b.example"])  # fmt: skip
    assert "Une alerte de niveau vigilance s'est ouverte sur Plaine - Landy - Bailly" in (
        plain_text(to_referent)
    )


async def _delivered(alerts: AlertsService, count: int) -> list[tuple[str, str]] | None:
    """(address, dedup key) of the e-mails sent, once `count` are and none is pending."""
    rows = await alerts.db.fetch(
        "SELECT coalesce(d.recipient, s.email) AS address, d.dedup_key, d.state "
        "FROM alert_deliveries d LEFT JOIN alert_subscriptions s USING (subscription_id) "
        "WHERE d.channel = 'email'"
    )
    if len(rows) < count or any(r["state"] != "delivered" for r in rows):
        return None
    return [(r["address"].lower(), r["dedup_key"]) for r in rows]
