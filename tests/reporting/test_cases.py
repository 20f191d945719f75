"""Field cases (retours d'expérience) through reporting's real API, database and broker: the
access matrix, authorship, the admins' hiding, searches, masking, field-named 422s, and the
cases.v1 messages published from the outbox."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.reporting.conftest import ADMIN_TOKEN, LANDY, Reporting
from vigie.contract import topics
from vigie.contract.cases import CasePublished, CaseWithdrawn

HALL = {
    "title": "Hall squatté le soir, point de deal",
    "place_kind": "hall",
    "categories": ["SQU-LOC", "BIE-DEG"],
    "situation": "Regroupements tous les soirs dans le hall, portes forcées, locataires inquiets.",
    "actions": ["mediation", "travaux_residentialisation"],
    "cost_eur": 18500,
    "result": "Digicode et contrôle d'accès posés, médiateurs deux soirs par semaine.",
    "outcome": "ameliore",
}
PARKING = {
    "title": "Épaves et mécanique sauvage au parking",
    "place_kind": "parking",
    "categories": ["ENV-VEH"],
    "situation": "Une dizaine d'épaves, réparations sauvages le week-end.",
    "actions": ["partenariat_police_clspd", "procedures_locatives"],
    "result": "Enlèvement des épaves avec la police municipale, rappels au bail.",
    "outcome": "resolu",
}


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


async def put(r: Reporting, case_id: str, body: dict[str, Any], token: str) -> httpx.Response:
    """PUT /v1/cases/{id}."""
    return await r.client.put(f"/v1/cases/{case_id}", json=body, headers=bearer(token))


async def ids(r: Reporting, token: str = ADMIN_TOKEN, **params: Any) -> list[str]:
    """The case ids a search answers, in order."""
    response = await r.get("/v1/cases", token, **params)
    assert response.status_code == 200, response.text
    return [c["case_id"] for c in response.json()["items"]]


async def test_access_matrix_and_authorship(reporting: Reporting) -> None:
    r = reporting
    author = await r.key("landlord", landlord_id="HLM-A")
    colleague = await r.key("manager", landlord_id="HLM-A")
    other = await r.key("landlord", landlord_id="HLM-B")
    manager = await r.key("manager", territory_ids=[LANDY])
    partner = await r.key("partner", territory_ids=[LANDY])

    created = await put(r, "hall-landy", HALL, author)
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["landlord_id"] == "HLM-A"
    assert case["revision"] == 1
    assert case["domains"] == ["qualite_service"]
    assert case["categories"] == ["BIE-DEG", "SQU-LOC"]
    assert case["hidden"] is False

    # Shared with the network: every landlord, manager and admin key reads it; partners do not.
    for token in (author, other, manager, ADMIN_TOKEN):
        got = await r.get("/v1/cases/hall-landy", token)
        assert got.status_code == 200
        assert got.json()["title"] == HALL["title"]
        assert await ids(r, token) == ["hall-landy"]
    assert "hidden" not in (await r.get("/v1/cases/hall-landy", other)).json()
    assert (await r.get("/v1/cases/hall-landy", partner)).status_code == 403
    assert (await r.get("/v1/cases", partner)).status_code == 403
    assert (await put(r, "p", HALL, partner)).status_code == 403

    # Only the author's landlord (or an admin) edits or withdraws; territory managers write none.
    for token in (other, manager):
        assert (await put(r, "hall-landy", HALL, token)).status_code == 403
        refused = await r.client.delete("/v1/cases/hall-landy", headers=bearer(token))
        assert refused.status_code == 403
    edited = await put(r, "hall-landy", {**HALL, "outcome": "resolu"}, colleague)
    assert edited.status_code == 200
    assert edited.json()["revision"] == 2
    assert (await r.get("/v1/cases/hall-landy", other)).json()["outcome"] == "resolu"

    by_admin = await put(r, "hall-landy", {**HALL, "title": "Hall squatté"}, ADMIN_TOKEN)
    assert by_admin.status_code == 200
    assert by_admin.json()["landlord_id"] == "HLM-A"  # still the author's case
    # An admin names the landlord of a new case.
    unnamed = await put(r, "by-admin", PARKING, ADMIN_TOKEN)
    assert unnamed.status_code == 422
    assert [e["field"] for e in unnamed.json()["errors"]] == ["landlord_id"]
    named = await r.client.put(
        "/v1/cases/by-admin",
        params={"landlord_id": "HLM-C"},
        json=PARKING,
        headers=bearer(ADMIN_TOKEN),
    )
    assert named.status_code == 201
    assert named.json()["landlord_id"] == "HLM-C"
    assert (
        await r.client.delete("/v1/cases/by-admin", headers=bearer(ADMIN_TOKEN))
    ).status_code == 204
    # A refused caller is refused before its body is looked at.
    assert (await put(r, "x", {"title": ""}, partner)).status_code == 403
    assert (await put(r, "x", {"title": ""}, manager)).status_code == 403

    gone = await r.client.delete("/v1/cases/hall-landy", headers=bearer(author))
    assert gone.status_code == 204
    assert (await r.get("/v1/cases/hall-landy", author)).status_code == 404
    assert await ids(r) == []
    again = await r.client.delete("/v1/cases/hall-landy", headers=bearer(author))
    assert again.status_code == 404
    reused = await put(r, "hall-landy", HALL, author)
    assert reused.status_code == 409  # a withdrawn id is never reused


async def test_admin_hides_and_shows(reporting: Reporting) -> None:
    r = reporting
    author = await r.key("landlord", landlord_id="HLM-A")
    other = await r.key("landlord", landlord_id="HLM-B")
    assert (await put(r, "hall", HALL, author)).status_code == 201

    refused = await r.client.post("/v1/cases/hall/hide", headers=bearer(author))
    assert refused.status_code == 403
    hidden = await r.client.post(
        "/v1/cases/hall/hide", json={"reason": "nom d'un locataire"}, headers=bearer(ADMIN_TOKEN)
    )
    assert hidden.status_code == 200
    assert hidden.json()["hidden"] is True
    assert await ids(r) == []
    assert await ids(r, other) == []
    assert (await r.get("/v1/cases/hall", other)).status_code == 404
    listed = (await r.get("/v1/cases", ADMIN_TOKEN, hidden="true")).json()["items"]
    assert [(c["case_id"], c["hidden_reason"]) for c in listed] == [("hall", "nom d'un locataire")]
    assert (await r.get("/v1/cases", other, hidden="true")).status_code == 403
    own = (await r.get("/v1/cases/hall", author)).json()
    assert own["hidden"] is True
    assert own["hidden_reason"] == "nom d'un locataire"

    shown = await r.client.post("/v1/cases/hall/show", headers=bearer(ADMIN_TOKEN))
    assert shown.status_code == 200
    assert shown.json()["hidden"] is False
    assert await ids(r, other) == ["hall"]
    moderated = (await r.get("/v1/audit", ADMIN_TOKEN, action="cases")).json()["items"]
    assert [(e["action"], e["target"], e["actor_role"]) for e in moderated] == [
        ("cases.show", "hall", "admin"),
        ("cases.hide", "hall", "admin"),
    ]
    assert moderated[1]["details"] == {"reason": "nom d'un locataire"}


async def test_search_filters_and_paging(reporting: Reporting) -> None:
    r = reporting
    a = await r.key("landlord", landlord_id="HLM-A")
    b = await r.key("landlord", landlord_id="HLM-B")
    assert (await put(r, "hall", HALL, a)).status_code == 201
    assert (await put(r, "parking", PARKING, b)).status_code == 201

    assert await ids(r, category="ENV-VEH") == ["parking"]
    assert set(await ids(r, category=["ENV-VEH", "SQU-LOC"])) == {"hall", "parking"}
    assert await ids(r, domain="cadre_de_vie") == ["parking"]
    assert await ids(r, domain="qualite_service") == ["hall"]
    assert await ids(r, action="mediation") == ["hall"]
    assert await ids(r, action="partenariat_police_clspd", domain="cadre_de_vie") == ["parking"]
    # French full text: stems and accents as PostgreSQL's french configuration reads them.
    assert await ids(r, q="épave") == ["parking"]
    assert await ids(r, q="médiateur") == ["hall"]
    assert await ids(r, q="regroupement hall") == ["hall"]
    assert await ids(r, q="ascenseur") == []

    first = (await r.get("/v1/cases", a, limit=1)).json()
    second = (await r.get("/v1/cases", a, limit=1, offset=1)).json()
    past = (await r.get("/v1/cases", a, limit=1, offset=5)).json()
    assert first["total"] == second["total"] == past["total"] == 2
    assert {first["items"][0]["case_id"], second["items"][0]["case_id"]} == {"hall", "parking"}
    assert past["items"] == []


async def test_free_texts_are_masked(reporting: Reporting) -> None:
    r = reporting
    author = await r.key("landlord", landlord_id="HLM-A")
    body = {
        **HALL,
        "title": "Hall: M. Dupont menacé",
        "situation": "Mme Martin (06 12 34 56 78, martin@example.org) a été agressée.",
        "result": "Rappel de M. Dupont au +33 6 98 76 54 32, plainte déposée.",
    }
    case = (await put(r, "masked", body, author)).json()
    text = " ".join([case["title"], case["situation"], case["result"]])
    for personal in ("Dupont", "Martin", "06 12", "example.org", "98 76"):
        assert personal not in text, text
    assert "[nom masqué]" in case["title"]
    assert "[e-mail masqué]" in case["situation"]
    assert "[téléphone masqué]" in case["result"]
    stored = await r.db.fetchval("SELECT situation FROM field_cases WHERE case_id = 'masked'")
    assert "Martin" not in stored
    assert "06 12" not in stored
    assert await ids(r, q="Dupont") == []


async def test_invalid_input_names_the_field(reporting: Reporting) -> None:
    r = reporting
    author = await r.key("landlord", landlord_id="HLM-A")

    async def fields(body: dict[str, Any], case_id: str = "c1") -> set[str]:
        response = await put(r, case_id, body, author)
        assert response.status_code == 422, response.text
        return {e["field"] for e in response.json()["errors"]}

    assert await fields({**HALL, "categories": ["NOPE"]}) == {"categories"}
    assert await fields({**HALL, "categories": []}) == {"categories"}
    assert await fields({**HALL, "place_kind": "12 rue Lénine"}) == {"place_kind"}
    assert await fields({**HALL, "actions": ["priere"]}) == {"actions.0"}
    assert await fields({**HALL, "outcome": "super"}) == {"outcome"}
    assert await fields({**HALL, "cost_eur": -5}) == {"cost_eur"}
    assert await fields({**HALL, "domain": "cadre_de_vie"}) == {"domain"}
    assert await fields({**HALL, "situation": ""}) == {"situation"}
    assert await fields({**HALL, "address": "12 rue Lénine"}) == {"address"}
    assert await fields(HALL, case_id="bad id!") == {"case_id"}
    ok = await put(r, "c1", {**HALL, "domain": "qualite_service"}, author)
    assert ok.status_code == 201

    async def search_fields(**params: Any) -> set[str]:
        response = await r.get("/v1/cases", author, **params)
        assert response.status_code == 422, response.text
        return {e["field"] for e in response.json()["errors"]}

    assert await search_fields(category="NOPE") == {"category"}
    assert await search_fields(domain="nope") == {"domain"}
    assert await search_fields(action="nope") == {"action"}
    assert await search_fields(limit=0) == {"limit"}


async def read_cases_topic(bootstrap: str, *, count: int) -> list[tuple[bytes, dict[str, Any]]]:
    """(key, message) of cases.v1 from the beginning, until `count` were read."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[tuple[bytes, dict[str, Any]]] = []
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(topics.CASES) or set()
        consumer.assign([TopicPartition(topics.CASES, p) for p in sorted(partitions)])
        await consumer.seek_to_beginning()
        async with asyncio.timeout(20):
            while len(records) < count:
                batch = await consumer.getmany(timeout_ms=200)
                for found in batch.values():
                    records.extend((m.key or b"", orjson.loads(m.value or b"")) for m in found)
    except TimeoutError:
        raise AssertionError(f"cases.v1 held only {records}") from None
    finally:
        await consumer.stop()
    return records


async def test_changes_are_published_on_cases_v1(reporting: Reporting) -> None:
    r = reporting
    author = await r.key("landlord", landlord_id="HLM-A")
    body = {**HALL, "situation": "Appeler M. Dupont au 06 12 34 56 78."}
    assert (await put(r, "hall", body, author)).status_code == 201
    assert (await put(r, "hall", {**body, "outcome": "resolu"}, author)).status_code == 200
    hide = await r.client.post("/v1/cases/hall/hide", headers=bearer(ADMIN_TOKEN))
    assert hide.status_code == 200
    assert (await put(r, "hall", body, author)).status_code == 200  # hidden: no message
    assert (await r.client.post("/v1/cases/hall/show", headers=bearer(ADMIN_TOKEN))).is_success
    assert (await r.client.delete("/v1/cases/hall", headers=bearer(author))).status_code == 204

    records = await read_cases_topic(r.bootstrap, count=5)
    assert {key for key, _ in records} == {b"hall"}
    kinds = [(m["type"], m["revision"], m.get("reason")) for _, m in records]
    assert kinds == [
        ("case.published", 1, None),
        ("case.published", 2, None),
        ("case.withdrawn", 3, "hidden"),
        ("case.published", 5, None),
        ("case.withdrawn", 6, "withdrawn"),
    ]
    for _, message in records:  # each as the contract models it
        model = CasePublished if message["type"] == "case.published" else CaseWithdrawn
        model.model_validate(message)
    first = records[0][1]
    assert first["version"] == 1
    assert first["case"]["landlord_id"] == "HLM-A"
    assert "Dupont" not in first["case"]["situation"]
    assert "06 12" not in first["case"]["situation"]
    assert "hidden" not in first["case"]
    # Published, then deleted from the outbox.
    for _ in range(200):
        if not await r.db.fetchval("SELECT count(*) FROM field_cases_outbox"):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the outbox kept published messages")


async def test_two_landlords_creating_one_id_at_once(reporting: Reporting) -> None:
    r = reporting
    a = await r.key("landlord", landlord_id="HLM-A")
    b = await r.key("landlord", landlord_id="HLM-B")
    for attempt in range(5):
        case_id = f"race-{attempt}"
        first, second = await asyncio.gather(
            put(r, case_id, HALL, a), put(r, case_id, {**PARKING, "title": "B"}, b)
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses in ([201, 403], [201, 409]), statuses
        winner = first if first.status_code == 201 else second
        stored = (await r.get(f"/v1/cases/{case_id}")).json()
        assert stored["landlord_id"] == winner.json()["landlord_id"]
        assert stored["title"] == winner.json()["title"]  # the loser changed nothing
