"""CLSPD partner contacts through the running service: admins manage them, managers read those
of their territories (those of the territories containing theirs included), landlord and
partner keys get 403."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.alerts_service import AlertsService

pytestmark = pytest.mark.connected

LANDY = "QN09337M"  # Plaine - Landy - Bailly, Saint-Denis (COM-93066), in DEP-93

CONTACTS = {
    "mairie-saint-denis": {
        "name": "Alix Moreau",
        "organisation": "Mairie de Saint-Denis",
        "role": "coordinatrice CLSPD",
        "email": "clspd@ville-saint-denis.example",
        "territory_ids": ["COM-93066"],
    },
    "prefecture-93": {
        "name": "Sacha Petit",
        "organisation": "Préfecture de la Seine-Saint-Denis",
        "role": "cabinet du préfet",
        "email": "cabinet@seine-saint-denis.gouv.example",
        "territory_ids": ["DEP-93"],
    },
    "parquet-bourg": {
        "name": "Noa Leroy",
        "organisation": "Parquet de Bourg-en-Bresse",
        "role": "substitut référent",
        "email": "parquet@bourg.justice.example",
        "territory_ids": ["DEP-01"],
    },
}


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["contact_id"] for c in response.json()["partner_contacts"]]


async def test_partner_contacts_are_managed_by_admins_and_read_by_managers_of_their_territories(
    alerts: AlertsService,
) -> None:
    """The access matrix and the territory filter."""
    manager93 = alerts.client(await alerts.key("manager", territory_ids=["DEP-93"]))
    manager_landy = alerts.client(await alerts.key("manager", territory_ids=[LANDY]))
    manager01 = alerts.client(await alerts.key("manager", territory_ids=["DEP-01"]))
    landlord = alerts.client(await alerts.key("landlord", landlord_id="a"))
    partner = alerts.client(await alerts.key("partner", territory_ids=["DEP-93"]))
    async with (
        alerts.client() as admin,
        manager93,
        manager_landy,
        manager01,
        landlord,
        partner,
    ):
        for contact_id, body in CONTACTS.items():
            put = await admin.put(f"/v1/partner-contacts/{contact_id}", json=body)
            assert put.status_code == 201, put.text
        changed = {**CONTACTS["prefecture-93"], "role": "directeur de cabinet"}
        put = await admin.put("/v1/partner-contacts/prefecture-93", json=changed)
        assert (put.status_code, put.json()["role"]) == (200, "directeur de cabinet")
        bad = {**CONTACTS["prefecture-93"], "email": "pas une adresse"}
        assert (await admin.put("/v1/partner-contacts/x", json=bad)).status_code == 422

        assert ids(await admin.get("/v1/partner-contacts")) == sorted(CONTACTS)
        assert ids(await manager93.get("/v1/partner-contacts")) == [
            "mairie-saint-denis",
            "prefecture-93",
        ]
        # A manager of a QPV reads the contacts of its commune and département.
        assert ids(await manager_landy.get("/v1/partner-contacts")) == [
            "mairie-saint-denis",
            "prefecture-93",
        ]
        assert ids(await manager01.get("/v1/partner-contacts")) == ["parquet-bourg"]
        assert (await manager01.get("/v1/partner-contacts/prefecture-93")).status_code == 404
        one = await manager93.get("/v1/partner-contacts/mairie-saint-denis")
        assert (one.status_code, one.json()["organisation"]) == (200, "Mairie de Saint-Denis")
        around = await admin.get("/v1/partner-contacts", params={"territory_id": LANDY})
        assert ids(around) == ["mairie-saint-denis", "prefecture-93"]

        for client in (manager93, landlord, partner):
            body = CONTACTS["parquet-bourg"]
            assert (await client.put("/v1/partner-contacts/p", json=body)).status_code == 403
            deleted = await client.delete("/v1/partner-contacts/parquet-bourg")
            assert deleted.status_code == 403
        for client in (landlord, partner):
            refused = await client.get("/v1/partner-contacts")
            assert refused.status_code == 403
            assert "@" not in refused.text

        assert (await admin.delete("/v1/partner-contacts/parquet-bourg")).status_code == 204
        assert (await admin.delete("/v1/partner-contacts/parquet-bourg")).status_code == 404
        assert ids(await admin.get("/v1/partner-contacts")) == [
            "mairie-saint-denis",
            "prefecture-93",
        ]
    audited = await alerts.db.fetch(
        "SELECT action, target FROM audit_log WHERE action LIKE 'partner_contacts.%' ORDER BY id"
    )
    assert [(r["action"], r["target"]) for r in audited] == [
        ("partner_contacts.put", "mairie-saint-denis"),
        ("partner_contacts.put", "prefecture-93"),
        ("partner_contacts.put", "parquet-bourg"),
        ("partner_contacts.put", "prefecture-93"),
        ("partner_contacts.delete", "parquet-bourg"),
    ]
