"""Signalements to CLSPD partners through the running services: the alerts app, the real
reporting app serving the situation report (both over HTTP on the same database and broker),
and a real SMTP server. The e-mails carry the report as a PDF (read back with pdftotext: the
territory is there, no referent's name, e-mail or phone is), each contact's acknowledgement link
shows a page on GET, records the receipt on POST once and is refused after; the follow-up is in
the alert's history, on alerts.v1 and in the audit log; reporting unreachable answers 503."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from tests.support.alerts import Inbox, ManualClock
from tests.support.alerts_service import (
    ADMIN_TOKEN,
    NOW,
    AlertsService,
    read_alert_changes,
    serve_alerts,
)
from vigie.platform.processes import free_port
from vigie_reporting.app import create_app as create_reporting
from vigie_reporting.settings import ReportingSettings

pytestmark = pytest.mark.connected

LANDY = "QN09337M"  # Plaine - Landy - Bailly, Saint-Denis (COM-93066), in DEP-93
TODAY = date(2026, 11, 25)
STAFF_OF_A = {
    "name": "Agressions du personnel de A",
    "scope": {"territory_ids": [LANDY], "landlord_id": "a"},
    "selector": {"categories": ["PER-PHY"], "targets": ["personnel"]},
    "window_days": 7,
    "levels": {"alerte": 1},
}
REFERENT = {
    "landlord_id": "a",
    "name": "Dominique Vasseur",
    "role": "responsable sécurité",
    "email": "d.vasseur@bailleur-a.example",
    "phone": "06 12 34 56 78",
    "territory_ids": [LANDY],
}
CONTACTS = {
    "mairie": {
        "name": "Alix Moreau",
        "organisation": "Mairie de Saint-Denis",
        "role": "coordinatrice CLSPD",
        "email": "clspd@ville-saint-denis.example",
        "territory_ids": ["COM-93066"],
    },
    "prefecture": {
        "name": "Sacha Petit",
        "organisation": "Préfecture de la Seine-Saint-Denis",
        "role": "cabinet du préfet",
        "email": "cabinet@seine-saint-denis.gouv.example",
        "territory_ids": ["DEP-93"],
    },
    "parquet-ain": {
        "name": "Noa Leroy",
        "organisation": "Parquet de Bourg-en-Bresse",
        "role": "substitut",
        "email": "parquet@bourg.justice.example",
        "territory_ids": ["DEP-01"],
    },
}


class FlakyInbox(Inbox):
    """An inbox whose server refuses the first message to one address (451: try again)."""

    def __init__(self, flaky: str) -> None:
        super().__init__()
        self.flaky = flaky
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Refuse the first message to the flaky address, keep the others."""
        if self.flaky in envelope.rcpt_tos and not self.refused:
            self.refused += 1
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


@dataclass
class Services:
    """The alerts app (reporting_url pointing at the real reporting app) and the inbox."""

    alerts: AlertsService
    inbox: FlakyInbox
    reporting_url: str


@contextlib.asynccontextmanager
async def serve_reporting(
    *, database_url: str, bootstrap: str, port: int, alerts_url: str
) -> AsyncIterator[str]:
    """The real reporting app served over HTTP on `port` until the block ends."""
    settings = ReportingSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        admin_token=SecretStr(ADMIN_TOKEN),
        alerts_url=alerts_url,
        pool_size=4,
        port=port,
        session_timeout_ms=2000,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_reporting(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{url}/health/live")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the reporting app did not answer")
        yield url
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def services(database_url: str, kafka_bootstrap: str) -> AsyncIterator[Services]:
    """Alerts, reporting and an SMTP server (aiosmtpd), all real and local; the server refuses
    the first message to the mairie."""
    inbox = FlakyInbox("clspd@ville-saint-denis.example")
    smtp_port, reporting_port = free_port(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        async with (
            serve_alerts(
                database_url=database_url,
                bootstrap=kafka_bootstrap,
                clock=ManualClock(NOW),
                smtp_host="127.0.0.1",
                smtp_port=smtp_port,
                smtp_from="vigie@observatoire.example",
                reporting_url=f"http://127.0.0.1:{reporting_port}",
            ) as alerts,
            serve_reporting(
                database_url=database_url,
                bootstrap=kafka_bootstrap,
                port=reporting_port,
                alerts_url=alerts.url,
            ) as reporting_url,
        ):
            yield Services(alerts, inbox, reporting_url)
    finally:
        controller.stop()


def plain_text(message: EmailMessage) -> str:
    """A message's plain-text part, its whitespace runs made single spaces."""
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return " ".join(part.get_content().split())


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The text of a PDF, extracted by poppler's pdftotext."""
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode()


async def open_alert(alerts: AlertsService, api: httpx.AsyncClient) -> dict[str, Any]:
    """Landlord a's staff-assault rule crossing its level on the QPV."""
    assert (await api.put("/v1/rules/staff-a", json=STAFF_OF_A)).status_code == 201
    await alerts.set_count(LANDY, TODAY, "PER-PHY", 1, target="personnel", landlord_id="a")
    await alerts.announce([(LANDY, TODAY)])
    return await alerts.only_alert(api, rule_id="staff-a", territory_id=LANDY)


async def test_a_signalement_reaches_the_partners_with_the_report_and_is_followed_up(
    services: Services, tmp_path: Path
) -> None:
    """From the alert to the partners' e-mails, their acknowledgement and the follow-up."""
    alerts, inbox = services.alerts, services.inbox
    manager = alerts.client(await alerts.key("manager", territory_ids=["DEP-93"], name="Sûreté 93"))
    landlord = alerts.client(await alerts.key("landlord", landlord_id="a"))
    elsewhere = alerts.client(await alerts.key("manager", territory_ids=["DEP-01"]))
    partner = alerts.client(await alerts.key("partner", territory_ids=["DEP-93"]))
    async with alerts.client() as admin, manager, landlord, elsewhere, partner:
        assert (await admin.put("/v1/referents/a-landy", json=REFERENT)).status_code == 201
        for contact_id, body in CONTACTS.items():
            assert (await admin.put(f"/v1/partner-contacts/{contact_id}", json=body)).is_success
        alert = await open_alert(alerts, admin)
        path = f"/v1/alerts/{alert['alert_id']}/mobilisations"
        note = "Agressions répétées du gardien dans le hall du 12 : réunion CLSPD demandée."

        # Who may send: a manager with access (and admins); not a landlord key, a partner key
        # or a manager of elsewhere.
        assert (await landlord.post(path, json={"note": note})).status_code == 403
        assert (await partner.post(path, json={"note": note})).status_code == 403
        assert (await elsewhere.post(path, json={"note": note})).status_code == 404
        unknown = await manager.post(path, json={"note": note, "contact_ids": ["parquet-ain"]})
        assert unknown.status_code == 422  # not a contact this manager may reach

        sent = await manager.post(path, json={"note": note})
        assert sent.status_code == 201, sent.text
        mobilisation = sent.json()
        assert mobilisation["state"] == "sent"
        assert mobilisation["created_by"] == "Sûreté 93"
        assert [r["contact_id"] for r in mobilisation["recipients"]] == ["mairie", "prefecture"]
        assert [e["state"] for e in mobilisation["events"]] == ["sent"]
        mid = mobilisation["mobilisation_id"]

        # Two e-mails, in French, each with the report attached and its own link (besides
        # the alert's own e-mail to the landlord's referent).
        async def refused_once() -> bool:
            # Once the worker recorded the refusal and its retry (on the service's clock).
            error = await alerts.db.fetchval(
                "SELECT last_error FROM alert_deliveries WHERE recipient = $1",
                "clspd@ville-saint-denis.example",
            )
            return inbox.refused == 1 and error is not None

        async def three() -> bool:
            return len(inbox.messages) >= 3

        await alerts.wait_for(refused_once)
        alerts.clock.advance(1.0)  # the retry falls due (on the service's clock)
        await alerts.wait_for(three)
        by_address = {
            rcpts[0]: message
            for message, rcpts in zip(inbox.messages, inbox.recipients, strict=True)
            if "Signalement" in str(message["Subject"])
        }
        assert sorted(by_address) == [
            "cabinet@seine-saint-denis.gouv.example",
            "clspd@ville-saint-denis.example",
        ]
        mail = by_address["clspd@ville-saint-denis.example"]
        assert str(mail["Subject"]) == (
            "[Vigie] Signalement CLSPD — Plaine - Landy - Bailly : "
            "Agressions du personnel de A (niveau alerte)"
        )
        text = plain_text(mail)
        assert "Madame, Monsieur (Mairie de Saint-Denis)" in text
        assert note in text
        attachments = list(mail.iter_attachments())
        assert [a.get_content_type() for a in attachments] == ["application/pdf"]
        pdf = attachments[0].get_content()
        assert isinstance(pdf, bytes)
        assert pdf.startswith(b"%PDF-")
        assert len(pdf) == mobilisation["report_bytes"]  # the document fetched at request time
        # The mairie's message was refused once and sent again: the same document, the one
        # fetched once for every contact.
        assert inbox.refused == 1
        attempts = await alerts.db.fetchval(
            "SELECT attempts FROM alert_deliveries WHERE recipient = $1",
            "clspd@ville-saint-denis.example",
        )
        assert attempts == 2
        prefecture = by_address["cabinet@seine-saint-denis.gouv.example"]
        assert next(prefecture.iter_attachments()).get_content() == pdf
        report = pdf_text(pdf, tmp_path)
        assert "Plaine" in report  # the territory's report…
        for staff in ("Vasseur", "Dominique", "d.vasseur", "bailleur-a.example", "06 12 34"):
            assert staff not in report  # …with no staff contact in it
        for part in (text, *(plain_text(m) for m in inbox.messages)):
            assert "Vasseur" not in part

        # The links: personal, unguessable, kept hashed; the outbox forgets them once sent.
        links = {
            address: re.findall(
                r"(http://\S+/mobilisations/receipt/([A-Za-z0-9_-]+))", plain_text(m)
            )[0]
            for address, m in by_address.items()
        }
        link, token = links["clspd@ville-saint-denis.example"]
        assert link.startswith(alerts.url + "/mobilisations/receipt/")
        assert token != links["cabinet@seine-saint-denis.gouv.example"][1]
        stored = await alerts.db.fetchval(
            "SELECT token_sha256 FROM alert_mobilisation_recipients WHERE contact_id = 'mairie'"
        )
        assert stored == hashlib.sha256(token.encode()).digest()

        async def outbox_forgot() -> bool:
            left = await alerts.db.fetchval(
                "SELECT count(*) FROM alert_deliveries WHERE payload ? 'receipt_url'"
            )
            return bool(left == 0)

        await alerts.wait_for(outbox_forgot)

        async with httpx.AsyncClient() as browser:
            # GET shows a page and changes nothing (mail scanners open links).
            for _ in range(2):
                page = await browser.get(link)
                assert page.status_code == 200
                assert "Je confirme la réception" in page.text
                assert "Mairie de Saint-Denis" in page.text
            # No script, its one style allowed by hash, never cached nor framed.
            style = re.findall(r"<style>(.*?)</style>", page.text)[0]
            digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
            policy = page.headers["content-security-policy"]
            assert policy.startswith("default-src 'none'; ")
            assert f"style-src 'sha256-{digest}'" in policy
            assert page.headers["cache-control"] == "no-store"
            listed = (await manager.get(path)).json()["mobilisations"][0]
            assert [r["received_at"] for r in listed["recipients"]] == [None, None]
            assert listed["state"] == "sent"
            # POST records it, once.
            confirmed = await browser.post(link)
            assert confirmed.status_code == 200
            assert "Réception enregistrée" in confirmed.text
            again = await browser.post(link)
            assert again.status_code == 410
            assert "déjà été confirmée" in again.text
            assert (await browser.get(link)).status_code == 410
            forged = await browser.post(link[:-4] + "AAAA")
            assert forged.status_code == 404

        # The manager records the next steps, forward only.
        steps = f"{path}/{mid}/events"
        assert (await manager.post(steps, json={"state": "received"})).status_code == 422
        assert (await landlord.post(steps, json={"state": "taken_up"})).status_code == 403
        taken = await manager.post(steps, json={"state": "taken_up", "note": "Police municipale"})
        assert taken.status_code == 201, taken.text
        assert (await manager.post(steps, json={"state": "taken_up"})).status_code == 409
        under_way = await manager.post(steps, json={"state": "action_under_way"})
        assert under_way.status_code == 201
        closed = await manager.post(steps, json={"state": "closed", "note": "Rondes en place"})
        assert closed.status_code == 201
        refused = await manager.post(steps, json={"state": "action_under_way"})
        assert (refused.status_code, refused.json()["detail"]) == (
            409,
            "the mobilisation is closed",
        )

        final = (await manager.get(path)).json()["mobilisations"]
        assert len(final) == 1
        assert final[0]["state"] == "closed"
        assert [(e["state"], e["actor"], e["contact_id"]) for e in final[0]["events"]] == [
            ("sent", "Sûreté 93", None),
            ("received", "Mairie de Saint-Denis (mairie)", "mairie"),
            ("taken_up", "Sûreté 93", None),
            ("action_under_way", "Sûreté 93", None),
            ("closed", "Sûreté 93", None),
        ]
        mairie = next(r for r in final[0]["recipients"] if r["contact_id"] == "mairie")
        assert mairie["received_at"] is not None
        assert (await landlord.get(path)).status_code == 403

        # In the alert's history…
        history = (await admin.get(f"/v1/alerts/{alert['alert_id']}")).json()["history"]
        assert [(h["kind"], h["actor"]) for h in history] == [
            ("opened", None),
            ("mobilisation_sent", "Sûreté 93"),
            ("mobilisation_received", "Mairie de Saint-Denis (mairie)"),
            ("mobilisation_taken_up", "Sûreté 93"),
            ("mobilisation_action_under_way", "Sûreté 93"),
            ("mobilisation_closed", "Sûreté 93"),
        ]
        assert history[3]["note"] == "Police municipale"

    # …on alerts.v1…
    def complete(records: list[tuple[bytes, dict[str, Any]]]) -> bool:
        return any(p.get("kind") == "mobilisation_closed" for _, p in records)

    records = await read_alert_changes(alerts.bootstrap, until=complete)
    steps_seen = [p for _, p in records if p["kind"].startswith("mobilisation_")]
    assert [(p["mobilisation"]["step"], p["mobilisation"]["state"]) for p in steps_seen] == [
        ("sent", "sent"),
        ("received", "received"),
        ("taken_up", "taken_up"),
        ("action_under_way", "action_under_way"),
        ("closed", "closed"),
    ]
    assert {p["mobilisation"]["mobilisation_id"] for p in steps_seen} == {mid}
    assert steps_seen[0]["mobilisation"]["organisations"] == (
        "Mairie de Saint-Denis, Préfecture de la Seine-Saint-Denis"
    )
    assert all(p["alert_id"] == alert["alert_id"] for p in steps_seen)
    assert all(p["categories"] == ["PER-PHY"] for p in steps_seen)
    assert len({p["dedup_key"] for p in steps_seen}) == 5
    for payload in steps_seen:  # no partner's personal data on the topic
        assert "Alix" not in str(payload)
        assert "@" not in str(payload)

    # …and in the audit log.
    audited = await alerts.db.fetch(
        "SELECT actor_role, action, target FROM audit_log WHERE action LIKE 'mobilisations.%' "
        "ORDER BY id"
    )
    assert [(r["actor_role"], r["action"]) for r in audited] == [
        ("manager", "mobilisations.sent"),
        (None, "mobilisations.received"),
        ("manager", "mobilisations.taken_up"),
        ("manager", "mobilisations.action_under_way"),
        ("manager", "mobilisations.closed"),
    ]
    assert {r["target"] for r in audited} == {mid}


async def test_reporting_unreachable_answers_503_with_retry_after(
    database_url: str, kafka_bootstrap: str
) -> None:
    """No report, no signalement: 503 + Retry-After, nothing recorded, nothing sent."""
    async with (
        serve_alerts(
            database_url=database_url,
            bootstrap=kafka_bootstrap,
            clock=ManualClock(NOW),
            reporting_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        ) as alerts,
        alerts.client() as admin,
    ):
        put = await admin.put("/v1/partner-contacts/mairie", json=CONTACTS["mairie"])
        assert put.status_code == 201
        alert = await open_alert(alerts, admin)
        path = f"/v1/alerts/{alert['alert_id']}/mobilisations"
        answer = await admin.post(path, json={"note": "Réunion demandée"})
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "30"
        assert "reporting is unreachable" in answer.json()["detail"]
        assert (await admin.get(path)).json() == {"mobilisations": []}
        pending = await alerts.db.fetchval(
            "SELECT count(*) FROM alert_deliveries WHERE recipient IS NOT NULL"
        )
        assert pending == 0
