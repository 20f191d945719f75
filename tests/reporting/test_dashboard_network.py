"""The referents' network panel (static/network.js) in a real headless Chromium, against the real
reporting process and a stand-in alerts service: who to call for a QPV, the network's field
cases for its categories, "ce qu'ont fait les autres" and "mobiliser les partenaires" on its
alert with the follow-up, for a landlord's manager and for a manager bound to territories only
(beside the shared view); nothing of it for a partner key. Skipped without a Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.reporting.conftest import LANDY
from tests.reporting.fake_alerts import FakeAlerts, alert, fake_alerts_service
from tests.reporting.test_cases import HALL, PARKING
from tests.reporting.test_dashboard import browser, seed, service_env
from tests.reporting.test_network import REFERENT
from tests.support.services import service_process
from vigie.platform.auth import create_key

pytestmark = [pytest.mark.browser, pytest.mark.connected, pytest.mark.e2e]
__all__ = ["browser"]  # the fixture, used by name

TAGS_CASE = {**HALL, "title": "Tags dans la cage d'escalier", "categories": ["BIE-TAG"]}


def watch(page: Any) -> list[str]:
    """Page errors and refusals by the Content-Security-Policy, collected as they happen."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return problems


async def test_network_panel_for_a_manager_and_none_for_a_partner(
    browser: Any,
    database_url: str,
    kafka_bootstrap: str,
    db: asyncpg.Connection,
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    await seed(db)
    _, author = await create_key(db, role="landlord", landlord_id="hlm-b")
    _, manager = await create_key(db, role="manager", landlord_id="hlm-a")
    _, partner = await create_key(db, role="partner", territory_ids=[LANDY])
    _, local_manager = await create_key(db, role="manager", territory_ids=[LANDY])
    fake = FakeAlerts([alert(LANDY, categories=["BIE-TAG"])])
    fake.referents.append(REFERENT)
    with (
        fake_alerts_service(fake) as alerts_url,
        service_process(
            "reporting",
            env=service_env(database_url, kafka_bootstrap, alerts_url),
            log_dir=tmp_path,
        ) as url,
    ):
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {author}"}
        ) as client:
            for case_id, body in (("tags-1", TAGS_CASE), ("parking-1", PARKING)):
                assert (await client.put(f"/v1/cases/{case_id}", json=body)).status_code == 201

        page = await browser.new_page(viewport={"width": 1440, "height": 1600}, locale="fr-FR")
        problems = watch(page)
        await page.goto(f"{url}/#token={manager}")
        await page.wait_for_selector("#map .qpv")
        await page.evaluate(f"location.hash = '#territory={LANDY}'")
        await page.wait_for_selector("#network:not([hidden])")
        referent = page.locator('#network-referents [data-referent="ref-1"]')
        await referent.wait_for()
        assert "Awa Diallo" in (await referent.text_content() or "")
        # The QPV's incidents are tags: the network's case about tags, not the parking one.
        await page.wait_for_selector('#network-cases [data-case="tags-1"]')
        assert await page.locator('#network-cases [data-case="parking-1"]').count() == 0

        block = page.locator(f'#network-alerts [data-alert="al-{LANDY}"]')
        await block.locator(".others-button").click()
        await block.locator('.others [data-case="tags-1"]').wait_for()
        await block.locator(".mobilise-button").click()
        await block.locator(".mobilise-form textarea").fill("Tags injurieux, demande d'appui")
        await block.locator(".mobilise-form button").click()
        followed = block.locator('.follow-up [data-mobilisation="mob-1"]')
        await followed.wait_for()
        assert "Envoyé" in (await followed.text_content() or "")
        assert (f"/v1/alerts/al-{LANDY}/mobilisations", f"Bearer {manager}") in fake.relayed
        # The manager records a follow-up step from the page.
        await followed.locator('button[data-step="taken_up"]').click()
        # Locators, not wait_for_function: the page's CSP refuses the eval it would need.
        await followed.locator(".follow-state", has_text="Pris en charge").wait_for()
        assert await followed.locator('button[data-step="taken_up"]').count() == 0
        assert await followed.locator('button[data-step="closed"]').count() == 1
        await page.screenshot(path=str(artifacts_dir / "dashboard-network.png"), full_page=True)
        assert problems == []

        # A manager bound to territories only: the shared view, and the network panel beside it.
        local = await browser.new_page(locale="fr-FR")
        local_problems = watch(local)
        await local.goto(f"{url}/#token={local_manager}")
        await local.wait_for_selector("#network:not([hidden])")
        await local.locator('#network-referents [data-referent="ref-1"]').wait_for()
        await local.locator(
            f'#network-alerts [data-alert="al-{LANDY}"] .mobilise-button'
        ).wait_for()
        assert local_problems == []

        # A partner key: the shared view, no network panel, no call for staff contacts.
        relayed_before = len(fake.relayed)
        shared = await browser.new_page(locale="fr-FR")
        shared_problems = watch(shared)
        await shared.goto(f"{url}/#token={partner}")
        await shared.wait_for_selector("#kpis .kpi")
        assert await shared.locator("#network").get_attribute("hidden") is not None
        assert len(fake.relayed) == relayed_before
        assert shared_problems == []
