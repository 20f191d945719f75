"""`GET /v1/audit`: admins read the audit log, filtered; every other role is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reporting.conftest import Reporting
from vigie.platform import audit

pytestmark = pytest.mark.connected


async def test_admins_read_the_audit_log_and_nobody_else(reporting: Reporting) -> None:
    await audit.record(reporting.db, actor="cli:ops", action="keys.create", target="k1")
    await audit.record(reporting.db, actor="cli:ops", action="rebuild", details={"rows": 3})
    every = await reporting.get("/v1/audit")
    assert every.status_code == 200
    assert [(e["action"], e["target"]) for e in every.json()["items"]] == [
        ("rebuild", None),
        ("keys.create", "k1"),
    ]
    keys_only = await reporting.get("/v1/audit", action="keys")
    assert [e["target"] for e in keys_only.json()["items"]] == ["k1"]
    scopes: list[tuple[str, dict[str, Any]]] = [
        ("landlord", {"landlord_id": "b-93"}),
        ("manager", {}),
        ("partner", {"territory_ids": ["QN09337M"]}),
    ]
    for role, scope in scopes:
        token = await reporting.key(role, **scope)
        assert (await reporting.get("/v1/audit", token=token)).status_code == 403, role
    assert (await reporting.client.get("/v1/audit")).status_code == 401
