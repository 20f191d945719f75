"""The territory reference: parsing the QPV file, the hierarchy, and an idempotent import."""

from __future__ import annotations

import asyncpg
import pytest

from vigie.platform.territories import (
    TerritoryFileError,
    parse_territories,
    reference_csv,
)
from vigie.platform.territory_store import store_territories

HEADER = (
    "territory_id,name,communes,departement_code,departement_name,region_code,region_name,"
    "population,households,social_dwellings\n"
)


def test_the_reference_file_holds_1518_qpvs_and_their_groupings() -> None:
    tree = parse_territories(reference_csv())
    assert tree.qpv_count == 1518
    assert tree.count("departement") == 101
    assert tree.count("region") == 18
    assert tree.count("commune") > 800
    assert tree.territories["FR"].kind == "pays"


def test_a_qpv_rolls_up_to_each_of_its_communes_its_departement_region_and_country() -> None:
    tree = parse_territories(
        HEADER + "QN09399X,Deux Villes,93001:Aubervilliers;93066:Saint-Denis,93,"
        "Seine-Saint-Denis,11,Île-de-France,5000,2000,1200\n"
        "QN09398X,Une Ville,93066:Saint-Denis,93,Seine-Saint-Denis,11,Île-de-France,100,50,\n"
    )
    ancestors = {a for a, t in tree.ancestors if t == "QN09399X"}
    assert ancestors == {"QN09399X", "COM-93001", "COM-93066", "DEP-93", "REG-11", "FR"}
    # Groupings sum their QPVs once each; unknown dwellings are left out of the sum.
    assert tree.territories["DEP-93"].social_dwellings == 1200
    assert tree.territories["DEP-93"].population == 5100
    assert tree.territories["COM-93066"].population == 5100
    assert tree.territories["COM-93001"].population == 5000
    assert tree.territories["QN09398X"].social_dwellings is None
    assert ("REG-11", "DEP-93") in tree.ancestors
    assert ("DEP-93", "COM-93001") in tree.ancestors


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("territory_id,name\nQ1,x\n", "missing column"),
        (HEADER, "no territory"),
        (HEADER + "QN1,A,93001:Aubervilliers,93,S,11,I,1,1,1\n" * 2, "line 3: territory_id QN1"),
        (HEADER + "QN1,A,93001,93,S,11,I,1,1,1\n", "line 2: communes"),
        (HEADER + "QN1,A,93001:X,93,S,11,I,many,1,1\n", "line 2: population"),
        (HEADER + "QN1,,93001:X,93,S,11,I,1,1,1\n", "line 2: name is empty"),
        (HEADER + "QN1,A,93001:X,93,S,11,I,1,1,-4\n", "line 2: social_dwellings"),
    ],
)
def test_bad_files_are_refused_naming_the_line(body: str, message: str) -> None:
    with pytest.raises(TerritoryFileError, match=message):
        parse_territories(body)


@pytest.mark.connected
async def test_import_is_idempotent_and_updates_what_changed(empty_database_url: str) -> None:
    from vigie.platform.migrate import apply_migrations

    conn = await asyncpg.connect(empty_database_url)
    try:
        await apply_migrations(conn)
        tree = parse_territories(reference_csv())
        progress: list[tuple[int, int]] = []
        first = await store_territories(
            conn, tree, on_progress=lambda d, t: progress.append((d, t))
        )
        second = await store_territories(conn, tree)
        tree.territories["QN09302M"].name = "Nouveau nom"
        third = await store_territories(conn, tree)
        qpvs = await conn.fetchval("SELECT count(*) FROM territories WHERE kind = 'qpv'")
        in_93 = await conn.fetchval(
            "SELECT count(*) FROM territory_ancestors a JOIN territories t USING (territory_id) "
            "WHERE a.ancestor_id = 'DEP-93' AND t.kind = 'qpv'"
        )
    finally:
        await conn.close()
    assert first.qpvs == 1518
    assert first.inserted == len(tree.territories)
    assert progress[-1] == (len(tree.territories), len(tree.territories))
    assert (second.inserted, second.updated) == (0, 0)
    assert (third.inserted, third.updated) == (0, 1)
    assert qpvs == 1518
    assert in_93 == 75
