"""The dashboard in a real headless Chromium: it loads, draws the map, the charts and the live
alerts, and drills down to a QPV when one is clicked. Screenshots go to the artifacts folder.

Runs when a Chromium is found (Debian's /usr/bin/chromium, or VIGIE_CHROMIUM); otherwise the
tests are skipped with the reason."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.reporting.conftest import (
    ADMIN_TOKEN,
    BOURG,
    LANDY,
    NO_ALERTS_SERVICE,
    SEMARD,
    SESSION_TIMEOUT_MS,
    Count,
    add_counts,
)
from tests.reporting.fake_alerts import FakeAlerts, alert, fake_alerts_service
from tests.support.services import service_process
from vigie.platform.auth import create_key
from vigie_reporting.periods import today_in_paris

pytestmark = [pytest.mark.browser, pytest.mark.connected, pytest.mark.e2e]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def find_chromium() -> str | None:
    """A Chromium to drive: VIGIE_CHROMIUM, Debian's, or one on PATH."""
    configured = os.environ.get("VIGIE_CHROMIUM")
    if configured:
        return configured
    for candidate in CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Chromium through Playwright, or a skip saying why there is none."""
    executable = find_chromium()
    if executable is None:
        pytest.skip(
            "no Chromium found (looked at VIGIE_CHROMIUM, /usr/bin/chromium, PATH): "
            "the dashboard browser test did not run"
        )
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("playwright is not installed: the dashboard browser test did not run")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def seed(db: asyncpg.Connection) -> None:
    """Saint-Denis busy, the Ain quiet."""
    day = today_in_paris() - timedelta(days=2)
    await add_counts(
        db,
        [
            Count(LANDY, day, "BIE-TAG", "hlm-a", 12, plainte=1),
            Count(LANDY, day, "PER-VER", "hlm-b", 3, plainte=2, target="personnel"),
            Count(SEMARD, day, "TRA-DEA", "hlm-a", 30, plainte=4),
            Count(BOURG, day, "ENV-DEP", "hlm-c", 9),
        ],
    )


def service_env(database_url: str, kafka_bootstrap: str, alerts_url: str) -> dict[str, str]:
    """The environment of the reporting process."""
    return {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
        "VIGIE_ALERTS_URL": alerts_url,
        "REPORTING_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS),
    }


async def test_the_dashboard_draws_and_drills_down_to_a_qpv(
    browser: Any,
    database_url: str,
    kafka_bootstrap: str,
    db: asyncpg.Connection,
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    await seed(db)
    fake = FakeAlerts([alert(LANDY)])
    with (
        fake_alerts_service(fake) as alerts_url,
        service_process(
            "reporting",
            env=service_env(database_url, kafka_bootstrap, alerts_url),
            log_dir=tmp_path,
        ) as url,
    ):
        page = await browser.new_page(viewport={"width": 1440, "height": 1400}, locale="fr-FR")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{url}/#token={ADMIN_TOKEN}")

        # National view: a dot per QPV, coloured by rate; the figures of every landlord.
        await page.wait_for_selector("#map circle.qpv")
        assert await page.locator("#map circle.qpv").count() > 1400
        assert await page.text_content("#territory-name") == "France"
        assert "54" in (await page.text_content("#kpis .kpi:first-child .value") or "")
        landy_fill = await page.get_attribute(f'#map [data-territory="{LANDY}"]', "fill")
        quiet_fill = await page.get_attribute('#map [data-territory="QN00102M"]', "fill")
        assert landy_fill != quiet_fill  # a busy QPV and an empty one look different
        assert "#token" not in page.url  # the token left the address bar

        # Live alerts: the open one, then one pushed while the page is open.
        await page.wait_for_selector(f'#alerts [data-alert="al-{LANDY}"]')
        await page.wait_for_selector("#live.on")
        fake.publish(alert(SEMARD, level="critique"))
        await page.wait_for_selector(f'#alerts [data-alert="al-{SEMARD}"].critique')
        await page.screenshot(path=str(artifacts_dir / "dashboard-france.png"), full_page=True)

        # An admin (or a manager) acknowledges from the page, through reporting's relay.
        await page.click(f'#alerts [data-alert="al-{LANDY}"] button.ack')
        await page.wait_for_function(
            f"""() => document.querySelector('#alerts [data-alert="al-{LANDY}"] .level')"""
            ".textContent.includes('pris en compte')"
        )
        assert [(a[0], a[1]) for a in fake.acknowledgements] == [
            (f"al-{LANDY}", f"Bearer {ADMIN_TOKEN}")
        ]
        assert await page.locator(f'#alerts [data-alert="al-{LANDY}"] button.ack').count() == 0

        # Drill down: région, département (perimeters now), then a click on a QPV.
        await page.select_option("#pick-region", "REG-11")
        await page.wait_for_function(
            "() => document.querySelector('#territory-name').textContent === 'Île-de-France'"
        )
        await page.select_option("#pick-departement", "DEP-93")
        await page.wait_for_selector(f'#map path.qpv[data-territory="{LANDY}"]')
        await page.click(f'#map path.qpv[data-territory="{LANDY}"]')
        await page.wait_for_function(
            "() => document.querySelector('#territory-name').textContent"
            " === 'Plaine - Landy - Bailly'"
        )
        await page.wait_for_selector(f'#map path.qpv.selected[data-territory="{LANDY}"]')
        assert await page.text_content("#kpis .kpi:first-child .value") == "15"
        crumbs = await page.locator("#breadcrumb li").all_text_contents()
        assert crumbs == ["France", "Île-de-France", "Seine-Saint-Denis", "Plaine - Landy - Bailly"]
        breakdown = await page.text_content("#breakdown")
        assert breakdown is not None
        assert "Tags, graffitis" in breakdown
        gap = await page.text_content("#gap-summary")
        assert gap is not None
        assert "12" in gap  # 15 incidents, 3 with a plainte
        bars = await page.locator("#trend rect.bar").count()
        assert bars == 30  # one per day of the default 30-day period
        await page.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)
        assert errors == []


async def test_the_dashboard_asks_for_a_token_copes_without_alerts_and_shows_partners(
    browser: Any,
    database_url: str,
    kafka_bootstrap: str,
    db: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    await seed(db)
    with service_process(
        "reporting",
        env=service_env(database_url, kafka_bootstrap, NO_ALERTS_SERVICE),
        log_dir=tmp_path,
    ) as url:
        page = await browser.new_page(locale="fr-FR")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(url)
        await page.wait_for_selector("#login:not([hidden])")
        await page.fill("#token", "vig_aaaaaaaaaaaa_wrong")
        await page.click("#login-form button")
        await page.wait_for_selector("#login-error:not([hidden])")
        await page.fill("#token", ADMIN_TOKEN)
        await page.click("#login-form button")
        await page.wait_for_selector("#map circle.qpv")
        await page.wait_for_function(
            "() => document.querySelector('#live').textContent === 'alertes indisponibles'"
        )
        assert await page.text_content("#alerts") == "Aucune alerte ouverte."

        # A CLSPD partner sees the shared view of its territory, small counts masked.
        _, partner = await create_key(db, role="partner", territory_ids=[LANDY])
        shared = await browser.new_page(locale="fr-FR")
        shared.on("pageerror", lambda error: errors.append(str(error)))
        await shared.goto(f"{url}/#token={partner}")
        await shared.wait_for_function(
            "() => document.querySelector('#territory-name').textContent"
            " === 'Plaine - Landy - Bailly'"
        )
        assert await shared.text_content("#kpis .kpi:first-child .value") == "15"
        breakdown = await shared.text_content("#breakdown")
        assert breakdown is not None
        assert "< 5" in breakdown  # PER-VER (3) and the zeros are masked
        assert "partenaire" in (await shared.text_content("#who") or "")
        assert errors == []
