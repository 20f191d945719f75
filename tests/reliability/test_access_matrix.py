"""One access matrix for every route of every HTTP service, generated from their OpenAPI
documents: each operation × each kind of caller (none, revoked, expired, admin, landlord,
manager and partner keys) × a territory of its own or another's, with the expected outcome.
A route added without an entry in `ACCESS` fails the test, so no route escapes it.

Outcomes: `allow` (anything but 401/403 and never a 5xx: the request passed the gate and the
handler answered, 404/409/422 included since the ids and bodies are placeholders), `deny` (403,
or 404 where the route hides what the caller may not see), `unauth` (401). Bodies are empty, so
a gate must come before validation: a 422 to a caller who may not call the route is a finding
(it tells the caller the route's shape and that it got past authorisation)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from tests.reporting.conftest import ADMIN_TOKEN, SESSION_TIMEOUT_MS
from tests.support.alerts import ManualClock
from tests.support.alerts_service import serve_alerts
from tests.support.intake import intake_settings, running_intake
from vigie.platform.auth import create_key, revoke_key
from vigie.platform.processes import free_port
from vigie_reporting.app import create_app
from vigie_reporting.settings import ReportingSettings

pytestmark = [pytest.mark.connected, pytest.mark.e2e]

OWN = "QN09337M"  # in Seine-Saint-Denis (DEP-93): the manager's and the partner's territory
OTHER = "QN00101M"  # in the Ain: nobody's here but the admin's and the landlords'
SCOPED_ROLES = ("manager", "partner")
CALLERS = ("anonymous", "revoked", "expired", "admin", "landlord", "manager", "partner")


@dataclass(frozen=True)
class Access:
    """Who passes a route's gate. `roles`: the roles admitted besides admin; `territorial`: a
    manager or partner is refused a territory outside its keys'; `hides`: a refusal may be a
    404; `public`: no token needed."""

    roles: frozenset[str] = field(default_factory=frozenset)
    territorial: bool = False
    hides: bool = False
    public: bool = False
    keyless: bool = False  # anonymous callers pass too (a public view); a key presented is checked


def access(
    *roles: str, territorial: bool = False, hides: bool = False, keyless: bool = False
) -> Access:
    return Access(frozenset(roles), territorial=territorial, hides=hides, keyless=keyless)


PUBLIC = Access(public=True)
ADMIN_ONLY = access()
EVERY_ROLE = access("landlord", "manager", "partner")
# A manager key without a landlord reads the shared view only (`/v1/me` says `scope: shared`).
FIGURES = access("landlord")
SHARED = access("manager", "partner", territorial=True)
NETWORK = access("landlord", "manager")

ACCESS: dict[tuple[str, str, str], Access] = {
    # intake (§3, Open311 facade)
    ("intake", "POST", "/v1/incidents"): access("landlord"),
    ("intake", "POST", "/v1/incidents/batch"): access("landlord"),
    ("intake", "GET", "/v1/nomenclature"): EVERY_ROLE,
    ("intake", "GET", "/asyncapi.json"): PUBLIC,
    ("intake", "GET", "/schemas/incidents.v1.json"): PUBLIC,
    **{
        ("intake", method, f"/open311/v2/{path}.{ext}"): rule
        for ext in ("json", "xml")
        for method, path, rule in (
            ("GET", "discovery", PUBLIC),
            ("GET", "services", PUBLIC),
            ("GET", "services/{service_code}", PUBLIC),
            ("POST", "requests", PUBLIC),  # api_key in the form, checked by the facade
            ("GET", "requests", access("landlord")),
            # The minimal public view by unguessable id, or the full view with a key.
            ("GET", "requests/{service_request_id}", access("landlord", keyless=True)),
        )
    },
    # alerts (§7)
    ("alerts", "PUT", "/v1/rules/{rule_id}"): ADMIN_ONLY,
    ("alerts", "GET", "/v1/rules/{rule_id}"): NETWORK,
    ("alerts", "DELETE", "/v1/rules/{rule_id}"): ADMIN_ONLY,
    ("alerts", "GET", "/v1/rules"): NETWORK,
    ("alerts", "GET", "/v1/alerts"): NETWORK,
    ("alerts", "GET", "/v1/alerts/stream"): NETWORK,
    ("alerts", "GET", "/v1/alerts/{alert_id}"): access("landlord", "manager", hides=True),
    ("alerts", "POST", "/v1/alerts/{alert_id}/ack"): access("manager", hides=True),
    ("alerts", "POST", "/v1/alerts/{alert_id}/resolve"): access("manager", hides=True),
    ("alerts", "POST", "/v1/alerts/{alert_id}/mobilisations"): access("manager", hides=True),
    ("alerts", "GET", "/v1/alerts/{alert_id}/mobilisations"): access("manager", hides=True),
    ("alerts", "GET", "/v1/alerts/{alert_id}/mobilisations/{mobilisation_id}"): access(
        "manager", hides=True
    ),
    ("alerts", "POST", "/v1/alerts/{alert_id}/mobilisations/{mobilisation_id}/events"): access(
        "manager", hides=True
    ),
    ("alerts", "PUT", "/v1/subscriptions/{subscription_id}"): access("manager"),
    ("alerts", "GET", "/v1/subscriptions/{subscription_id}"): access("manager", hides=True),
    ("alerts", "DELETE", "/v1/subscriptions/{subscription_id}"): access("manager", hides=True),
    ("alerts", "GET", "/v1/subscriptions"): access("manager"),
    ("alerts", "PUT", "/v1/silences/{silence_id}"): ADMIN_ONLY,
    ("alerts", "GET", "/v1/silences/{silence_id}"): ADMIN_ONLY,
    ("alerts", "DELETE", "/v1/silences/{silence_id}"): ADMIN_ONLY,
    ("alerts", "GET", "/v1/silences"): ADMIN_ONLY,
    ("alerts", "PUT", "/v1/referents/{referent_id}"): access("landlord"),
    ("alerts", "GET", "/v1/referents/{referent_id}"): access("landlord", "manager", hides=True),
    ("alerts", "DELETE", "/v1/referents/{referent_id}"): access("landlord", hides=True),
    ("alerts", "GET", "/v1/referents"): access("landlord", "manager"),
    ("alerts", "PUT", "/v1/partner-contacts/{contact_id}"): ADMIN_ONLY,
    ("alerts", "GET", "/v1/partner-contacts/{contact_id}"): access("manager", hides=True),
    ("alerts", "DELETE", "/v1/partner-contacts/{contact_id}"): ADMIN_ONLY,
    ("alerts", "GET", "/v1/partner-contacts"): access("manager"),
    ("alerts", "GET", "/mobilisations/receipt/{token}"): PUBLIC,  # the token is the credential
    ("alerts", "POST", "/mobilisations/receipt/{token}"): PUBLIC,
    # reporting (§8)
    ("reporting", "GET", "/v1/me"): EVERY_ROLE,
    ("reporting", "GET", "/v1/nomenclature"): EVERY_ROLE,
    ("reporting", "GET", "/v1/territories"): access("landlord"),
    ("reporting", "GET", "/v1/territories/{territory_id}/summary"): FIGURES,
    ("reporting", "GET", "/v1/territories/{territory_id}/timeseries"): FIGURES,
    ("reporting", "GET", "/v1/territories/{territory_id}/complaint-gap"): FIGURES,
    ("reporting", "GET", "/v1/rankings"): access("landlord"),
    ("reporting", "GET", "/v1/complaint-gap"): access("landlord"),
    ("reporting", "GET", "/v1/shared/territories/{territory_id}/summary"): SHARED,
    ("reporting", "GET", "/v1/shared/territories/{territory_id}/complaint-gap"): SHARED,
    ("reporting", "GET", "/v1/shared/territories/{territory_id}/timeseries"): SHARED,
    ("reporting", "GET", "/v1/shared/territories/{territory_id}/report.pdf"): SHARED,
    ("reporting", "GET", "/v1/shared/rankings"): access("manager", "partner"),
    ("reporting", "GET", "/v1/exports/counts.csv"): access("landlord"),
    ("reporting", "POST", "/v1/live/alerts/{alert_id}/ack"): access("manager", hides=True),
    ("reporting", "GET", "/v1/live/alerts"): NETWORK,
    ("reporting", "GET", "/v1/observatory"): EVERY_ROLE,
    ("reporting", "GET", "/v1/observatory.csv"): EVERY_ROLE,
    ("reporting", "GET", "/v1/observatory.pdf"): EVERY_ROLE,
    ("reporting", "PUT", "/v1/cases/{case_id}"): access("landlord"),  # written by landlords
    ("reporting", "GET", "/v1/cases/{case_id}"): NETWORK,
    ("reporting", "DELETE", "/v1/cases/{case_id}"): access("landlord"),
    ("reporting", "POST", "/v1/cases/{case_id}/hide"): ADMIN_ONLY,
    ("reporting", "POST", "/v1/cases/{case_id}/show"): ADMIN_ONLY,
    ("reporting", "GET", "/v1/cases"): NETWORK,
    ("reporting", "GET", "/v1/live/referents"): access("landlord", "manager"),
    ("reporting", "GET", "/v1/live/alerts/{alert_id}/mobilisations"): access("manager", hides=True),
    ("reporting", "POST", "/v1/live/alerts/{alert_id}/mobilisations"): access(
        "manager", hides=True
    ),
    ("reporting", "POST", "/v1/live/alerts/{alert_id}/mobilisations/{mobilisation_id}/events"): (
        access("manager", hides=True)
    ),
    ("reporting", "GET", "/v1/audit"): ADMIN_ONLY,
}


def expected(rule: Access, caller: str, *, other_territory: bool) -> str:
    if rule.public or (rule.keyless and caller == "anonymous"):
        return "allow"
    if caller in ("anonymous", "revoked", "expired"):
        return "unauth"
    if caller != "admin" and caller not in rule.roles:
        return "deny"
    if rule.territorial and other_territory and caller in SCOPED_ROLES:
        return "deny"
    return "allow"


def outcome(status: int, *, hides: bool) -> str:
    """What a status means for the matrix, with the status itself in brackets."""
    if status == 401:
        kind = "unauth"
    elif status == 403 or (hides and status == 404):
        kind = "deny"
    else:
        kind = "allow" if status < 500 else "error"
    return f"{kind} ({status})"


def filled(path: str, territory: str) -> str:
    """The path with its parameters: the territory asked, placeholders elsewhere."""
    values = {"territory_id": territory, "alert_id": str(uuid.uuid4())}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "matrix-" + m.group(1)), path)


@asynccontextmanager
async def served_reporting(
    *, database_url: str, kafka_bootstrap: str, alerts_url: str
) -> AsyncIterator[str]:
    """Reporting on a real port (its SSE relay streams: an in-process transport would wait for
    the end of a stream that never ends)."""
    settings = ReportingSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        admin_token=SecretStr(ADMIN_TOKEN),
        alerts_url=alerts_url,
        pool_size=4,
        port=free_port(),
        session_timeout_ms=SESSION_TIMEOUT_MS,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), port=settings.port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{settings.port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/health/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("reporting did not become ready")
        yield url
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def services(
    database_url: str, kafka_bootstrap: str
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The three HTTP services on one database and broker (reporting relays to alerts)."""
    clock = ManualClock(datetime.now(UTC))
    async with (
        serve_alerts(database_url=database_url, bootstrap=kafka_bootstrap, clock=clock) as alerts,
        running_intake(
            intake_settings(database_url=database_url, bootstrap=kafka_bootstrap)
        ) as intake,
        served_reporting(
            database_url=database_url, kafka_bootstrap=kafka_bootstrap, alerts_url=alerts.url
        ) as reporting_url,
        httpx.AsyncClient(base_url=alerts.url, timeout=30) as alerts_client,
        httpx.AsyncClient(base_url=reporting_url, timeout=60) as reporting_client,
    ):
        yield {"intake": intake, "alerts": alerts_client, "reporting": reporting_client}


async def callers(db: asyncpg.Connection) -> dict[str, dict[str, str]]:
    """Each caller's headers."""
    tokens = {
        "admin": (await create_key(db, role="admin"))[1],
        "landlord": (await create_key(db, role="landlord", landlord_id="bail-a"))[1],
        "manager": (await create_key(db, role="manager", territory_ids=["DEP-93"]))[1],
        "partner": (await create_key(db, role="partner", territory_ids=["DEP-93"]))[1],
        "expired": (
            await create_key(
                db,
                role="landlord",
                landlord_id="bail-a",
                expires_at=datetime.now(UTC) - timedelta(minutes=1),
            )
        )[1],
    }
    revoked_id, tokens["revoked"] = await create_key(db, role="landlord", landlord_id="bail-a")
    await revoke_key(db, revoked_id)
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    return {"anonymous": {}, **headers}


async def test_every_route_of_every_service_against_every_caller(
    services: dict[str, httpx.AsyncClient], db: asyncpg.Connection
) -> None:
    routes: list[tuple[str, str, str]] = []
    for service, client in services.items():
        document = (await client.get("/openapi.json")).json()
        for path, operations in document["paths"].items():
            routes.extend((service, method.upper(), path) for method in operations)
    unlisted = sorted(set(routes) - set(ACCESS))
    assert unlisted == [], f"routes without an access rule: {unlisted}"
    gone = sorted(set(ACCESS) - set(routes))
    assert gone == [], f"access rules of routes that no longer exist: {gone}"

    headers_of = await callers(db)
    mismatches: list[str] = []
    checked = 0
    for service, method, path in routes:
        rule = ACCESS[(service, method, path)]
        territories = (OWN, OTHER) if "{territory_id}" in path else (OWN,)
        for territory in territories:
            for caller in CALLERS:
                want = expected(rule, caller, other_territory=territory == OTHER)
                request = services[service].build_request(
                    method,
                    filled(path, territory),
                    headers=headers_of[caller],
                    json={} if method in ("PUT", "POST") else None,
                    timeout=30,
                )
                # Streams (SSE) are read up to their status line only.
                try:
                    response = await services[service].send(request, stream=True)
                except httpx.TimeoutException:
                    got = "no answer within 30 s"
                else:
                    await response.aclose()
                    got = outcome(response.status_code, hides=rule.hides)
                checked += 1
                # Ids other than territories are placeholders nobody holds: a 404 is then the
                # handler's answer to a caller who passed the gate.
                placeholder_404 = got == "deny (404)" and want == "allow"
                if got.split(" (")[0] != want and not placeholder_404:
                    mismatches.append(
                        f"{service} {method} {path} [{territory}] as {caller}: "
                        f"expected {want}, got {got}"
                    )
    assert mismatches == [], "\n".join(mismatches)
    assert checked >= len(routes) * len(CALLERS)
