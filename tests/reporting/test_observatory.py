"""The annual observatory (`/v1/observatory`, `.csv`, `.pdf`) on counters written as the
aggregator writes them, against figures computed by hand from what was written.

The data: in every département of the reference, landlord hlm-a counts the same 20 facts in
2025 and 2024 (5 per GSUP domain, 5 per target group, 5 with a complaint, 5 degradations
costing €100), so that no base cell is below the threshold. On top: hlm-b in Seine-Saint-Denis
(10 degradations in 2025, 20 in 2024, 3 complaints, €1,500) and hlm-z, new in 2025, with 2
facts in the Ain (outside the stable panel: a count of 2 that suppression must protect)."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.reporting.conftest import BOURG, LANDY, Count, Reporting
from vigie.contract.nomenclature import default_nomenclature
from vigie_reporting.documents.observatory_report import (
    change,
    count,
    decimal,
    percent,
    reference,
)
from vigie_reporting.documents.rendered import Rendered
from vigie_reporting.figures import COST_ROUNDING_EUR, rate_per_1000
from vigie_reporting.observatory import (
    DEGRADATIONS,
    Place,
    Tree,
    components,
    fold,
    shared_cells,
    tallies,
    withheld_cells,
)
from vigie_reporting.periods import trend_pct
from vigie_reporting.suppression import THRESHOLD, Relation, publish, recoverable

YEAR = 2025
DOMAINS = [d.code for d in default_nomenclature().domains]
# One category per domain, each with its own target group.
BASE = [
    ("ENV-DEP", "locataire", 0, 0.0),  # cadre_de_vie, residents
    ("BIE-DEG", "patrimoine", 0, 100.0),  # qualite_service, property, a degradation
    ("VOI-BRU", "autre", 0, 0.0),  # vivre_ensemble, other
    ("PER-VER", "personnel", 5, 0.0),  # prevention_insecurite, staff, all with a complaint
]


def shown(count: int) -> int | None:
    """A count as the shared view publishes it on its own (publish() may round it)."""
    return publish({"cell": count}, [])["cell"]


async def base_qpvs(db: asyncpg.Connection) -> dict[str, str]:
    """One QPV per département (the first by code), by département code."""
    rows = await db.fetch(
        "SELECT DISTINCT ON (departement_code) departement_code, territory_id FROM territories"
        " WHERE kind = 'qpv' ORDER BY departement_code, territory_id"
    )
    return {r["departement_code"]: r["territory_id"] for r in rows}


async def dwellings(db: asyncpg.Connection, *territory_ids: str) -> int:
    """Social dwellings of territories, summed."""
    found = await db.fetchval(
        "SELECT sum(social_dwellings) FROM territories WHERE territory_id = ANY($1)",
        list(territory_ids),
    )
    return int(found)


async def seed(reporting: Reporting) -> dict[str, str]:
    """Write the data set; return the base QPV of each département."""
    qpvs = await base_qpvs(reporting.db)
    counts = []
    for qpv in qpvs.values():
        for year in (YEAR, YEAR - 1):
            for category, target, plainte, cost in BASE:
                counts.append(
                    Count(qpv, date(year, 3, 1), category, "hlm-a", 5, plainte, 2, target, cost)
                )
    counts += [
        Count(LANDY, date(YEAR, 6, 1), "BIE-DEG", "hlm-b", 10, 3, 2, "patrimoine", 1500.0),
        Count(LANDY, date(YEAR - 1, 6, 1), "BIE-DEG", "hlm-b", 20, 0, 2, "patrimoine", 900.0),
        Count(BOURG, date(YEAR, 9, 1), "VOI-CON", "hlm-z", 2, 0, 1, "locataire"),
        # Another year, outside both: counts for nothing.
        Count(LANDY, date(YEAR - 2, 6, 1), "BIE-DEG", "hlm-b", 50, 0, 2, "patrimoine", 1.0),
    ]
    await reporting.add_counts(counts)
    return qpvs


def rows_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every row of an answer by territory id."""
    rows = {body["national"]["territory_id"]: body["national"]}
    for region in body["regions"]:
        rows[region["territory_id"]] = region
        rows.update({d["territory_id"]: d for d in region["departements"]})
    return rows


async def test_the_observatory_figures_equal_the_hand_computed_ones(
    reporting: Reporting,
) -> None:
    qpvs = await seed(reporting)
    token = await reporting.key("partner", territory_ids=["COM-93066"])
    answer = await reporting.get("/v1/observatory", token, year=YEAR)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["year"], body["previous_year"], body["landlord_id"]) == (YEAR, YEAR - 1, None)
    assert body["panel_landlords"] == 2  # hlm-a and hlm-b; hlm-z counted in 2025 only
    assert body["degradation_categories"] == list(DEGRADATIONS)
    rows = rows_of(body)
    assert "own" not in rows["DEP-93"]  # a partner reads the shared view only

    # Seine-Saint-Denis: hlm-a's 20 facts and hlm-b's 10.
    dep93 = rows["DEP-93"]
    all_93 = await dwellings(reporting.db, "DEP-93")
    covered_93 = await dwellings(reporting.db, qpvs["93"], LANDY)
    assert dep93["social_dwellings"] == all_93
    assert dep93["coverage"] == {
        "landlords": 2,
        "covered_dwellings": covered_93,
        "covered_share": round(covered_93 / all_93, 4),
    }
    assert dep93["facts"] == shown(30)
    assert dep93["facts_per_1000_dwellings"] == rate_per_1000(shown(30) or 0, all_93)
    assert dep93["plainte"] == shown(8)
    assert dep93["complaint_share"] == round((shown(8) or 0) / (shown(30) or 1), 4)
    assert dep93["degradations"] == shown(15)
    cost_93 = round(1600 / COST_ROUNDING_EUR) * COST_ROUNDING_EUR  # shared costs are rounded
    assert dep93["degradation_cost_eur"] == cost_93
    assert dep93["degradation_cost_per_dwelling"] == round(cost_93 / all_93, 2)
    assert dep93["by_domain"] == {
        "cadre_de_vie": shown(5),
        "qualite_service": shown(15),
        "vivre_ensemble": shown(5),
        "prevention_insecurite": shown(5),
    }
    assert dep93["by_target"] == {
        "residents": shown(5),
        "staff": shown(5),
        "property": shown(15),
        "other": shown(5),
    }
    assert dep93["previous_facts"] == shown(40)
    assert dep93["panel"] == {
        "facts": shown(30),
        "previous_facts": shown(40),
        "change_pct": trend_pct(shown(30) or 0, shown(40) or 0),
    }
    assert dep93["suppressed"] == []

    # Île-de-France: its départements' sums (each with hlm-a's 20 facts).
    idf_deps = list(rows["REG-11"]["departements"])
    idf = rows["REG-11"]
    assert idf["facts"] == shown(20 * len(idf_deps) + 10)
    assert idf["coverage"]["landlords"] == 2
    panel_now, panel_before = shown(20 * len(idf_deps) + 10), shown(20 * len(idf_deps) + 20)
    assert idf["panel"]["change_pct"] == trend_pct(panel_now or 0, panel_before or 0)

    # The Ain: hlm-z's 2 facts outside the panel would be facts − panel facts: hidden, and
    # with them what would give them away; every figure shown is still the true one.
    ain = rows["DEP-01"]
    assert ain["facts"] == shown(22)
    assert ain["by_domain"]["vivre_ensemble"] == shown(7)
    assert ain["by_target"]["residents"] == shown(7)
    assert ain["coverage"]["landlords"] == 2
    assert ain["panel"]["facts"] is None
    assert ain["panel"]["change_pct"] is None
    assert ain["suppressed"] == ["panel_facts"]
    assert ain["previous_facts"] == shown(20)

    # France: every département's base, hlm-b's and hlm-z's.
    deps = [d for r in body["regions"] for d in r["departements"]]
    france = rows["FR"]
    assert france["facts"] == shown(20 * len(deps) + 12)
    assert france["coverage"]["landlords"] == 3
    assert france["social_dwellings"] == await dwellings(reporting.db, "FR")
    assert france["plainte"] == shown(5 * len(deps) + 3)
    france_cost = (100.0 * len(deps) + 1500.0) / COST_ROUNDING_EUR
    assert france["degradation_cost_eur"] == round(france_cost) * COST_ROUNDING_EUR


async def test_no_suppressed_figure_is_recoverable_and_rates_come_from_shown_counts(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    body = (await reporting.get("/v1/observatory", year=YEAR)).json()
    rows = rows_of(body)
    assert "own" not in rows["FR"]  # an admin reads the shared view too

    # The adversary's system: the true counts, the relations the method note states, and what
    # the answer shows. Nothing hidden may be recomputed from it.
    places = await reporting.db.fetch(
        "SELECT territory_id, kind, name, code, region_code, social_dwellings FROM territories"
        " WHERE kind IN ('pays', 'region', 'departement') ORDER BY kind, code"
    )
    sums = await reporting.db.fetch(
        "SELECT t.departement_code, t.region_code, c.landlord_id, c.day >= $1 AS current,"
        " n.domain, sum(c.incidents) AS facts, sum(c.complaint_plainte) AS plainte,"
        " sum(c.target_locataire) AS residents,"
        " sum(c.target_personnel + c.target_prestataire) AS staff,"
        " sum(c.target_patrimoine) AS property, sum(c.target_autre) AS other,"
        " sum(c.incidents) FILTER (WHERE c.category = ANY($3)) AS degradations,"
        " sum(c.cost_eur) FILTER (WHERE c.category = ANY($3)) AS degradation_cost"
        " FROM incident_counters c JOIN territories t USING (territory_id)"
        " JOIN (SELECT unnest($4::text[]) AS category, unnest($5::text[]) AS domain) n"
        " USING (category)"
        " WHERE c.day BETWEEN $2 AND $6 GROUP BY 1, 2, 3, 4, 5",
        date(YEAR, 1, 1),
        date(YEAR - 1, 1, 1),
        list(DEGRADATIONS),
        [c.code for c in default_nomenclature().categories],
        [c.domain for c in default_nomenclature().categories],
        date(YEAR, 12, 31),
    )
    tree = Tree.of(Place(**dict(p)) for p in places)
    totals = tallies(tree, fold(dict(s) for s in sums).all)
    for cells, relations in shared_cells(tree, totals, DOMAINS).values():
        # Counts the answer does not print are unknown to the adversary, unless derived.
        hidden = {name for name in cells if _shown(rows, name) in (None, "absent")}
        exposed = recoverable(cells, hidden, relations)
        assert all(_shown(rows, n) == "absent" and cells[n] >= THRESHOLD for n in exposed)
        for name, value in cells.items():
            printed = _shown(rows, name)
            if value < THRESHOLD:
                assert printed in (None, "absent"), name  # every small count is hidden
            assert printed in (None, "absent", shown(value)), name  # and true
    # Where a few facts lie outside the panel, the panel count would give them away.
    for place_id, tally in totals.items():
        if 0 < tally.facts - tally.panel_facts < THRESHOLD:
            assert rows[place_id]["panel"]["facts"] is None, place_id
    for row in rows.values():
        if row["facts"] is None:
            assert row["facts_per_1000_dwellings"] is None
            assert row["coverage"]["landlords"] is None
        if row["degradations"] is None:
            assert row["degradation_cost_eur"] is None
        if row["plainte"] is None:
            assert row["complaint_share"] is None


def _shown(rows: dict[str, dict[str, Any]], cell: str) -> int | str | None:
    """What the answer shows of a cell named `<place>:<count>` ('absent' for counts it does not
    print: the remainders outside the panel, the part of a région placed on itself)."""
    place, name = cell.split(":", 1)
    if place not in rows or name.startswith("outside"):
        return "absent"
    row = rows[place]
    if name.startswith("domain."):
        return row["by_domain"][name[7:]]  # type: ignore[no-any-return]
    if name.startswith("target."):
        return row["by_target"][name[7:]]  # type: ignore[no-any-return]
    if name == "panel_facts":
        return row["panel"]["facts"]  # type: ignore[no-any-return]
    if name == "panel_previous":
        return row["panel"]["previous_facts"]  # type: ignore[no-any-return]
    return row[name]  # type: ignore[no-any-return]


async def test_a_landlord_key_gets_its_own_figures_beside_the_shared_ones(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    token = await reporting.key("landlord", landlord_id="hlm-b")
    body = (await reporting.get("/v1/observatory", token, year=YEAR)).json()
    assert body["landlord_id"] == "hlm-b"
    rows = rows_of(body)
    all_93 = await dwellings(reporting.db, "DEP-93")
    own = rows["DEP-93"]["own"]
    assert own["facts"] == 10  # hlm-b's, not the 30 of all landlords
    assert own["plainte"] == 3
    assert own["complaint_share"] == 0.3
    assert own["degradations"] == 10
    assert own["degradation_cost_eur"] == 1500.0
    assert own["degradation_cost_per_dwelling"] == round(1500 / all_93, 2)
    assert own["by_domain"]["qualite_service"] == 10
    assert own["by_target"] == {"residents": 0, "staff": 0, "property": 10, "other": 0}
    assert own["panel"] == {"facts": 10, "previous_facts": 20, "change_pct": -50.0}
    assert own["share_of_facts"] == round(10 / 30, 4)
    assert rows["DEP-93"]["facts"] == 30  # the shared figures stay all landlords'
    assert rows["REG-11"]["own"]["facts"] == 10
    assert rows["FR"]["own"]["facts"] == 10
    assert rows["DEP-01"]["own"]["facts"] == 0  # nothing of hlm-b there: zeros, unsuppressed
    assert rows["DEP-01"]["own"]["panel"]["change_pct"] is None

    # Another landlord's key sees its own, never hlm-b's.
    other = await reporting.key("landlord", landlord_id="hlm-z")
    rows_z = rows_of((await reporting.get("/v1/observatory", other, year=YEAR)).json())
    assert rows_z["DEP-93"]["own"]["facts"] == 0
    assert rows_z["DEP-01"]["own"]["facts"] == 2  # its own small count, shown to itself only
    assert rows_z["DEP-01"]["own"]["panel"]["facts"] == 0  # not in the panel


async def test_a_change_to_a_year_already_built_is_counted(reporting: Reporting) -> None:
    await seed(reporting)
    before = rows_of((await reporting.get("/v1/observatory", year=YEAR)).json())
    assert before["DEP-93"]["facts"] == shown(30)
    # A late report of 2025 (and one of 2024): the years built are built again.
    await reporting.add_counts(
        [
            Count(LANDY, date(YEAR, 12, 31), "PER-PHY", "hlm-b", 20, 20, 4, "personnel"),
            Count(LANDY, date(YEAR - 1, 1, 1), "PER-PHY", "hlm-b", 10, 0, 4, "personnel"),
        ]
    )
    after = rows_of((await reporting.get("/v1/observatory", year=YEAR)).json())
    assert after["DEP-93"]["facts"] == shown(50)
    assert after["DEP-93"]["previous_facts"] == shown(50)
    assert after["DEP-93"]["by_target"]["staff"] == shown(25)


async def test_the_year_is_checked(reporting: Reporting) -> None:
    assert (await reporting.get("/v1/observatory", year=2999)).status_code == 422
    assert (await reporting.get("/v1/observatory", year=1999)).status_code == 422
    answer = await reporting.get("/v1/observatory")  # the last complete year
    assert answer.status_code == 200
    assert answer.json()["year"] == answer.json()["previous_year"] + 1
    assert (await reporting.client.get("/v1/observatory")).status_code == 401


async def test_the_csv_holds_the_json_figures(reporting: Reporting) -> None:
    await seed(reporting)
    token = await reporting.key("landlord", landlord_id="hlm-b")
    body = (await reporting.get("/v1/observatory", token, year=YEAR)).json()
    answer = await reporting.get("/v1/observatory.csv", token, year=YEAR)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert f"vigie-observatoire-{YEAR}.csv" in answer.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(answer.text)))
    regions, deps = body["regions"], [d for r in body["regions"] for d in r["departements"]]
    assert len(lines) == 1 + len(regions) + len(deps)
    assert lines[0]["territory_id"] == "FR"
    by_id = {line["territory_id"]: line for line in lines}
    dep93 = by_id["DEP-93"]
    assert dep93["name"] == "Seine-Saint-Denis"
    assert dep93["region_code"] == "11"
    assert dep93["facts"] == str(shown(30))
    assert dep93["plainte"] == str(shown(8))
    assert (
        float(dep93["facts_per_1000_dwellings"])
        == rows_of(body)["DEP-93"]["facts_per_1000_dwellings"]
    )
    assert dep93["domain_qualite_service"] == str(shown(15))
    assert dep93["target_property"] == str(shown(15))
    assert dep93["panel_change_pct"] == "-25.0"
    assert dep93["landlords"] == "2"
    assert dep93["own_facts"] == "10"
    assert dep93["own_panel_change_pct"] == "-50.0"
    ain = by_id["DEP-01"]
    assert ain["panel_facts"] == ""
    assert ain["panel_change_pct"] == ""
    assert ain["facts"] == str(shown(22))
    # A région's line comes before its départements'.
    ids = [line["territory_id"] for line in lines]
    assert ids.index("REG-11") < ids.index("DEP-93")


async def test_the_pdf_prints_the_json_figures(
    reporting: Reporting, tmp_path: Path, artifacts_dir: Path
) -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip("poppler-utils (pdftotext, pdftoppm) is not installed: apt-get install it")
    await seed(reporting)
    token = await reporting.key("landlord", landlord_id="hlm-b")
    body = (await reporting.get("/v1/observatory", token, year=YEAR)).json()
    answer = await reporting.get("/v1/observatory.pdf", token, year=YEAR)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "observatoire.pdf"
    pdf.write_bytes(answer.content)
    text = await asyncio.to_thread(_run, "pdftotext", "-layout", str(pdf), "-")
    (tmp_path / "observatoire.txt").write_text(text)  # kept for a look when this fails
    await asyncio.to_thread(
        _run, "pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
        str(artifacts_dir / "observatory"),
    )  # fmt: skip
    assert (artifacts_dir / "observatory.png").stat().st_size > 10_000

    for label in (
        "Observatoire annuel des incivilités dans le parc social",
        f"Faits de l'année {YEAR}",
        "Synthèse nationale",
        "Note de méthode",
        "Panel stable",
        "Secret statistique",
        "Non captés",
        "élément déclencheur",
        "dont votre organisme",
        "Île-de-France",
        "Auvergne-Rhône-Alpes",
    ):
        assert label in text, label
    rows = rows_of(body)

    # A table line holds a territory's figures in order (its name may wrap around them).
    lines = [_tokens(line) for line in text.splitlines()]
    for territory in ("FR", "REG-11", "DEP-93", "DEP-01"):
        assert _holds(lines, _tokens(" ".join(printed(rows[territory])))), territory
    own = rows["DEP-93"]["own"]
    expected_own = [
        f"part {percent(own['share_of_facts'])}",
        count(own["facts"]),
        percent(own["complaint_share"]),
        decimal(own["degradation_cost_per_dwelling"]),
        count(own["previous_facts"]),
        change(own["panel"]["change_pct"]),
    ]
    assert _holds(lines, _tokens(" ".join(expected_own)))
    # The hidden panel count of the Ain: its change is not available, its facts are printed.
    ain = rows["DEP-01"]
    assert ain["panel"]["change_pct"] is None
    assert _holds(lines, _tokens(" ".join([*printed(ain)[-3:]])))
    assert printed(ain)[-1] == "n.d."


async def test_the_pdf_is_kept_and_tagged_until_its_figures_change(
    reporting: Reporting, tmp_path: Path
) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed: apt-get install it")
    await seed(reporting)
    token = await reporting.key("landlord", landlord_id="hlm-b")
    first = await reporting.get("/v1/observatory.pdf", token, year=YEAR)  # builds the years
    kept = await reporting.get("/v1/observatory.pdf", token, year=YEAR)
    again = await reporting.get("/v1/observatory.pdf", token, year=YEAR)
    assert first.status_code == kept.status_code == again.status_code == 200
    assert again.content == kept.content
    tag = again.headers["etag"]
    assert tag == kept.headers["etag"]
    assert again.headers["cache-control"] == "private, no-cache"
    not_modified = await reporting.client.get(
        "/v1/observatory.pdf",
        params={"year": YEAR},
        headers={"Authorization": f"Bearer {token}", "If-None-Match": tag},
    )
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    # Another scope has its own document (a partner gets no own block).
    partner = await reporting.key("partner", territory_ids=["COM-93066"])
    shared = await reporting.get("/v1/observatory.pdf", partner, year=YEAR)
    assert shared.status_code == 200
    assert shared.content != kept.content
    assert "dont votre organisme" not in await _text(tmp_path, shared.content)

    # A late report of the year: never the kept document again, but the new figures.
    before = (await reporting.get("/v1/observatory", token, year=YEAR)).json()
    await reporting.add_counts(
        [Count(LANDY, date(YEAR, 12, 31), "PER-PHY", "hlm-b", 20, 20, 4, "personnel")]
    )
    body = (await reporting.get("/v1/observatory", token, year=YEAR)).json()
    after = await reporting.get("/v1/observatory.pdf", token, year=YEAR)
    assert after.status_code == 200
    assert after.headers["etag"] != tag
    lines = [_tokens(line) for line in (await _text(tmp_path, after.content)).splitlines()]
    assert _holds(lines, _tokens(" ".join(printed(rows_of(body)["DEP-93"]))))
    assert not _holds(lines, _tokens(" ".join(printed(rows_of(before)["DEP-93"]))))


async def _text(tmp_path: Path, pdf: bytes) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return await asyncio.to_thread(_run, "pdftotext", "-layout", str(path), "-")


def printed(row: dict[str, Any]) -> list[str]:
    """A territory's line of the PDF's indicator table: the JSON's figures, in its order."""
    return [
        count(row["coverage"]["landlords"]),
        reference(row["social_dwellings"]),
        percent(row["coverage"]["covered_share"]),
        count(row["facts"]),
        decimal(row["facts_per_1000_dwellings"]),
        percent(row["complaint_share"]),
        decimal(row["degradation_cost_per_dwelling"]),
        count(row["previous_facts"]),
        change(row["panel"]["change_pct"]),
    ]


def _holds(lines: list[list[str]], wanted: list[str]) -> bool:
    """Whether some line holds `wanted` as consecutive tokens."""
    size = len(wanted)
    return any(line[i : i + size] == wanted for line in lines for i in range(len(line) - size + 1))


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _tokens(text: str) -> list[str]:
    return text.replace("\u00a0", " ").replace("\u202f", " ").split()


# --- Pure parts, without I/O -----------------------------------------------------------------


def test_degradations_are_property_categories_of_the_nomenclature() -> None:
    nomenclature = default_nomenclature()
    for code in DEGRADATIONS:
        assert nomenclature.category(code) is not None, code
    assert "BIE-VOL" not in DEGRADATIONS  # a theft, not a degradation


def test_the_panel_holds_the_landlords_with_facts_in_both_years() -> None:
    def row(landlord: str, *, current: bool, facts: int) -> dict[str, Any]:
        return {
            "departement_code": "93",
            "region_code": "11",
            "landlord_id": landlord,
            "current": current,
            "domain": "vivre_ensemble",
            "facts": facts,
            "plainte": 0,
            "residents": facts,
            "staff": 0,
            "property": 0,
            "other": 0,
            "degradations": 0,
            "degradation_cost": None,
        }

    sums = fold(
        [
            row("both", current=True, facts=7),
            row("both", current=False, facts=9),
            row("new", current=True, facts=3),
            row("gone", current=False, facts=4),
        ]
    )
    assert sums.panel == frozenset({"both"})
    tally = sums.all["DEP-93"]
    assert (tally.facts, tally.panel_facts) == (10, 7)
    assert (tally.previous_facts, tally.panel_previous) == (13, 9)
    assert tally.landlords == {"both", "new"}  # contributors of the year only
    assert withheld_cells("DEP-93", tally) == {"DEP-93:panel_facts", "DEP-93:panel_previous"}


def test_independent_counts_are_published_apart() -> None:
    cells = {"a": 10, "b": 6, "c": 4, "x": 20, "y": 1}
    relations = [Relation("a", ("b", "c")), Relation("x", ("y",))]
    parts = sorted(sorted(cells) for cells, _ in components(cells, relations))
    assert parts == [["a", "b", "c"], ["x", "y"]]


def test_rendered_documents_are_bounded_least_recently_used_first() -> None:
    kept = Rendered(size=2)
    kept.put((2025, None), b"shared")
    kept.put((2025, "hlm-b"), b"hlm-b")
    assert kept.get((2025, None)) == b"shared"  # now the most recently used
    kept.put((2025, "hlm-z"), b"hlm-z")
    assert len(kept) == 2
    assert kept.get((2025, "hlm-b")) is None
    assert (kept.get((2025, None)), kept.get((2025, "hlm-z"))) == (b"shared", b"hlm-z")
