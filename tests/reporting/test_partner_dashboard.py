"""The partner (CLSPD) dashboard in a real headless Chromium against a reporting process: the
map of the key's QPVs, the monthly trend, the four GSUP domains, the ranking and the complaint
gap are drawn, suppressed cells read "< 5", nothing of another territory shows, the report
button fetches the situation report, and the page runs under its Content-Security-Policy with
no violation (nor does the figures view). Screenshot in the artifacts folder."""

from __future__ import annotations

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
    Count,
    add_counts,
)
from tests.reporting.test_dashboard import browser, service_env  # noqa: F401 (a fixture)
from tests.support.services import service_process
from vigie.platform.auth import create_key
from vigie_reporting.periods import today_in_paris

pytestmark = [pytest.mark.browser, pytest.mark.connected, pytest.mark.e2e]

SAINT_DENIS = "COM-93066"  # 8 QPVs, LANDY and SEMARD among them
MASKED = "#b8c2cc"  # static/app.js: the fill of a suppressed QPV
# Records what the page's policy refuses, before any script of the page runs.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


async def seed(db: asyncpg.Connection) -> None:
    """Saint-Denis: two busy QPVs (one also two months ago), six quiet ones, 5 incidents
    outside any QPV; the Ain, which the partner must never see."""
    today = today_in_paris()
    day = today - timedelta(days=2)
    await add_counts(
        db,
        [
            Count(LANDY, day, "BIE-TAG", "hlm-a", 12, plainte=5),
            Count(LANDY, day, "PER-VER", "hlm-b", 3, plainte=2, target="personnel"),
            Count(SEMARD, day, "TRA-DEA", "hlm-a", 30, plainte=10),
            Count(SEMARD, today - timedelta(days=62), "BIE-TAG", "hlm-a", 20, plainte=5),
            Count(SAINT_DENIS, day, "ENV-DEP", "hlm-c", 5),
            Count(BOURG, day, "ENV-DEP", "hlm-c", 9),
        ],
    )


async def watched_page(chromium: Any, problems: list[str]) -> Any:
    """A page whose errors and refused resources end in `problems`."""
    page = await chromium.new_page(viewport={"width": 1440, "height": 1500}, locale="fr-FR")
    await page.add_init_script(WATCH_CSP)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))

    def on_console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            problems.append(f"console: {text}")

    page.on("console", on_console)
    return page


async def test_a_partner_sees_its_territories_drawn_and_suppressed_under_the_csp(
    browser: Any,  # noqa: F811 (the fixture imported above)
    database_url: str,
    kafka_bootstrap: str,
    db: asyncpg.Connection,
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    await seed(db)
    _, partner = await create_key(db, role="partner", territory_ids=[SAINT_DENIS])
    with service_process(
        "reporting",
        env=service_env(database_url, kafka_bootstrap, NO_ALERTS_SERVICE),
        log_dir=tmp_path,
        ready_timeout=90,  # the start-up imports WeasyPrint: slow on a loaded machine
    ) as url:
        problems: list[str] = []
        page = await watched_page(browser, problems)
        await page.goto(f"{url}/#token={partner}")
        await page.wait_for_function(
            "() => document.querySelector('#territory-name').textContent === 'Saint-Denis'"
        )

        # The map: the perimeters of the key's eight QPVs, the quiet ones drawn as masked.
        await page.wait_for_selector(f'#map path.qpv[data-territory="{LANDY}"]')
        assert await page.locator("#map path.qpv").count() == 8
        assert await page.get_attribute(f'#map [data-territory="{LANDY}"]', "fill") != MASKED
        assert await page.get_attribute('#map [data-territory="QN09365N"]', "fill") == MASKED
        assert "masqué (< 5)" in (await page.text_content("#legend") or "")

        # The trend over twelve months: bars where shown, "< 5" where hidden (never a 0 bar).
        assert await page.locator("#trend rect.bar").count() >= 1
        assert await page.locator("#trend text.masked").count() >= 1
        assert "12 derniers mois" in (await page.text_content("#trend-hint") or "")

        # The four GSUP domains, small cells masked.
        assert await page.locator("#breakdown .domain").count() == 4
        assert "< 5" in (await page.text_content("#breakdown") or "")

        # The ranking of the key's QPVs: the shown ones by rate, the hidden ones after.
        rows = await page.locator("#ranking tr").all_text_contents()
        assert len(rows) == 8
        assert "Plaine - Landy - Bailly" in rows[0]
        assert "15" in rows[0]
        assert "Grand Centre - Sémard" in rows[1]
        assert "30" in rows[1]
        assert all("< 5" in row for row in rows[2:])
        assert "hors quartiers prioritaires" in (await page.text_content("#ranking-note") or "")

        # The complaint gap beside the counts: by category (with shares) and by target.
        gap = await page.text_content("#gap-summary") or ""
        assert "part avec plainte" in gap
        assert await page.locator("#gap .row").count() >= 1
        assert "33,3 %" in (await page.text_content("#gap") or "")  # dealing: 10 of 30
        assert await page.locator("#gap-territory .row").count() >= 1
        assert await page.text_content("#gap-right-title") == "Par cible (faits)"

        # Nothing of another territory.
        content = await page.content()
        for other in (BOURG, "Grande Reyssouze", "Bourg-en-Bresse", "Auvergne"):
            assert other not in content
        await page.screenshot(path=str(artifacts_dir / "dashboard-partner.png"), full_page=True)

        # The situation report: fetched with the key, saved as a PDF.
        assert await page.is_visible("#report")
        async with (
            page.expect_request(lambda r: "/report.pdf" in r.url) as asked,
            page.expect_download(timeout=60_000) as saved,
        ):
            await page.click("#report")
        request = await asked.value
        assert f"/v1/shared/territories/{SAINT_DENIS}/report.pdf?from=" in request.url
        assert "&to=" in request.url
        assert (await request.all_headers())["authorization"] == f"Bearer {partner}"
        download = await saved.value
        assert download.suggested_filename.endswith(".pdf")
        pdf = tmp_path / download.suggested_filename
        await download.save_as(str(pdf))
        assert pdf.read_bytes().startswith(b"%PDF")

        # A QPV from the ranking: its own figures, still the partner's view.
        await page.click(f'#ranking tr[data-territory="{SEMARD}"]')
        await page.wait_for_function(
            "() => document.querySelector('#territory-name').textContent"
            " === 'Grand Centre - Sémard'"
        )
        assert await page.text_content("#kpis .kpi:first-child .value") == "30"
        assert await page.get_attribute(f'#map path.qpv[data-territory="{SEMARD}"]', "class") == (
            "qpv selected"
        )

        # The figures view runs under the same policy without a violation.
        admin = await watched_page(browser, problems)
        await admin.goto(f"{url}/#token={ADMIN_TOKEN}")
        await admin.wait_for_selector("#map circle.qpv")
        await admin.wait_for_selector("#gap .row")
        assert await admin.is_hidden("#report")

        for each in (page, admin):
            assert await each.evaluate("window.__csp") == []
        assert problems == []
