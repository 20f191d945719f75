"""Differencing attack on the CLSPD shared view, with real requests against real data.

A partner key covering Saint-Denis (COM-93066, eight QPVs, three with incidents) asks for the
shared summary of the commune and of each of its QPVs over every window of 1, 2 and 7 days
within 8 days (periods shifted day by day, overlapping windows, each with its previous period
when that lies inside), and reads total, categories, domains, severities, targets, complaint
kinds, staff and previous total: 153 answers. The adversary models the unknown daily counts of
each QPV (per category and per breakdown, tied by their totals; the commune is the sum of its
QPVs, a domain the sum of its categories) and solves by linear programming: every shown count c
means an exact count within bounds(c) (c ± 2, at least 5), every count is non-negative, and it
may even know that nothing happened outside the QPVs. Without rounding, one window minus the
window one day shorter was an exact small cell: the one dealing point of LANDY on the 4th day.

Asserted: the model is right (the true counts satisfy every constraint), and no hidden cell of
any answer is pinned to a single integer: for each, two feasible tables a unit apart or more
(vertices where random mixes of the unknowns are greatest or least, then the cell's own greatest
and least). Measured here: 2,658 distinct hidden cells, 409 LPs, none pinned; LANDY's dealing
point within [0, 5]. What the adversary still learns is intervals (README, *Privacy*). The same
attack on exact counts (`exact`: the shared view before rounding) must pin cells, and does
within 20 LPs (zeros of the commune on one day: "nobody" is a disclosure too)."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Hashable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from tests.reporting.attacker import LinearAttacker, pinned
from tests.reporting.conftest import LANDY, SEMARD, Count, Reporting
from vigie.contract.events import COMPLAINTS, TARGETS
from vigie.contract.nomenclature import default_nomenclature
from vigie_reporting import figures
from vigie_reporting.figures import SEVERITIES, STAFF
from vigie_reporting.periods import today_in_paris
from vigie_reporting.suppression import ROUNDING, publish

NOMENCLATURE = default_nomenclature()
CATEGORIES = [c.code for c in NOMENCLATURE.categories]
COMMUNE = "COM-93066"
CHAUDRON = "QN09340I"
REST = "silent QPVs"
DAYS = 8
LENGTHS = (1, 2, 7)
# The breakdowns of one incident count, each a partition of the total.
PARTITIONS: dict[str, tuple[str, ...]] = {
    "by_category": tuple(CATEGORIES),
    "by_severity": SEVERITIES,
    "by_target": TARGETS,
    "by_complaint": COMPLAINTS,
}


def world(first: date) -> list[Count]:
    """Eight days of a commune: busy and quiet QPVs, a few rare events (seeded)."""
    rng = random.Random(13)
    counts = []
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        for territory, scale in ((LANDY, 1), (SEMARD, 3), (CHAUDRON, 1)):
            for category in ("BIE-TAG", "ENV-DEP", "BIE-DEG", "VOI-BRU"):
                n = rng.randint(0, 3 * scale)
                if n:
                    counts.append(
                        Count(
                            territory,
                            day,
                            category,
                            rng.choice(["hlm-a", "hlm-b"]),
                            n,
                            plainte=rng.randint(0, n),
                            severity=rng.randint(1, 3),
                            target=rng.choice(["patrimoine", "locataire"]),
                        )
                    )
    # The example: one dealing point in one QPV on one day; and one physical assault.
    counts.append(Count(LANDY, first + timedelta(days=3), "TRA-DEA", "hlm-a", 1, severity=3))
    counts.append(
        Count(
            CHAUDRON,
            first + timedelta(days=5),
            "PER-PHY",
            "hlm-b",
            1,
            plainte=1,
            target="personnel",
        )
    )
    return counts


def truth_of(counts: list[Count], silent: set[str]) -> dict[Any, int]:
    """The true daily unknowns, keyed as the adversary keys them (the commune's included)."""
    truth: dict[tuple[Any, ...], int] = {}

    def add(key: tuple[Any, ...], n: int) -> None:
        if key[0] in silent:
            key = (REST, *key[1:])
        truth[key] = truth.get(key, 0) + n
        commune = (COMMUNE, *key[1:])
        truth[commune] = truth.get(commune, 0) + n

    for c in counts:
        add((c.territory_id, c.day, "by_category", c.category), c.incidents)
        add((c.territory_id, c.day, "by_severity", str(c.severity)), c.incidents)
        add((c.territory_id, c.day, "by_target", c.target), c.incidents)
        add((c.territory_id, c.day, "by_complaint", "plainte"), c.plainte)
        add((c.territory_id, c.day, "by_complaint", "aucune"), c.incidents - c.plainte)
    return truth


def cells_of(
    body: dict[str, Any], qpvs: list[str], days: list[date]
) -> list[tuple[str, list[Hashable], int | None]]:
    """Each published count of one answer: its name, the unknowns it sums, its value."""
    out: list[tuple[str, list[Hashable], int | None]] = []

    def terms(partition: str, keys: tuple[str, ...]) -> list[Hashable]:
        return [(q, d, partition, k) for q in qpvs for d in days for k in keys]

    for partition, keys in PARTITIONS.items():
        for key in keys:
            out.append((f"{partition}.{key}", terms(partition, (key,)), body[partition][key]))
    out.append(("total", terms("by_category", PARTITIONS["by_category"]), body["total"]))
    for domain in NOMENCLATURE.domains:
        members = tuple(c.code for c in NOMENCLATURE.categories if c.domain == domain.code)
        value = body["by_domain"][domain.code]
        out.append((f"by_domain.{domain.code}", terms("by_category", members), value))
    out.append(("staff_targeted", terms("by_target", STAFF), body["staff_targeted"]))
    return out


@pytest.mark.connected
@pytest.mark.parametrize("rounding", [ROUNDING, 1], ids=["rounded", "exact"])
async def test_no_differencing_pins_a_suppressed_cell(
    reporting: Reporting, monkeypatch: pytest.MonkeyPatch, rounding: int
) -> None:
    # "exact": the same attack on the shared view as it was before rounding (counts published
    # exactly) must pin cells, or this adversary would prove nothing.
    monkeypatch.setattr(figures, "publish", functools.partial(publish, rounding=rounding))
    last = today_in_paris() - timedelta(days=1)
    first = last - timedelta(days=DAYS - 1)
    days = [first + timedelta(days=i) for i in range(DAYS)]
    counts = world(first)
    await reporting.add_counts(counts)
    qpvs = [
        r["territory_id"]
        for r in await reporting.db.fetch(
            "SELECT a.territory_id FROM territory_ancestors a JOIN territories t"
            " USING (territory_id)"
            " WHERE a.ancestor_id = $1 AND t.kind = 'qpv' ORDER BY 1",
            COMMUNE,
        )
    ]
    assert len(qpvs) == 8
    assert {LANDY, SEMARD, CHAUDRON} <= set(qpvs)
    partner = await reporting.key("partner", territory_ids=[COMMUNE])

    started = time.monotonic()
    answers: list[tuple[str, list[date], dict[str, Any]]] = []
    for territory in [COMMUNE, *qpvs]:
        for length in LENGTHS:
            for start in range(DAYS - length + 1):
                window = days[start : start + length]
                response = await reporting.get(
                    f"/v1/shared/territories/{territory}/summary",
                    partner,
                    **{"from": window[0].isoformat(), "to": window[-1].isoformat()},
                )
                assert response.status_code == 200, response.text
                answers.append((territory, window, response.json()))
    asked = time.monotonic() - started

    # A QPV whose every answer hides every count tells the adversary nothing of its own: its
    # counts appear only in the commune's sums, where these QPVs can be one group ("rest")
    # without changing what is learnt (a cell of one of them ranges from 0 to the group's).
    silent = {
        territory
        for territory in qpvs
        if all(
            body["previous_total"] is None
            and all(value is None for _, _, value in cells_of(body, [territory], window))
            for t, window, body in answers
            if t == territory
        )
    }
    assert silent == set(qpvs) - {LANDY, SEMARD, CHAUDRON}
    groups = sorted({REST if q in silent else q for q in qpvs})

    attacker = LinearAttacker(rounding=rounding)
    for d in days:  # the commune's daily counts: the sums of its QPVs'
        for p, keys in PARTITIONS.items():
            for k in keys:
                attacker.equal([(COMMUNE, d, p, k)], [(g, d, p, k) for g in groups])
    for g in groups:  # each day's breakdowns are partitions of one total
        for d in days:
            totals = {p: [(g, d, p, k) for k in keys] for p, keys in PARTITIONS.items()}
            for p in ("by_severity", "by_target", "by_complaint"):
                attacker.equal(totals["by_category"], totals[p])
    hidden: dict[frozenset[Hashable], str] = {}
    for territory, window, body in answers:
        if territory in silent:
            continue
        for name, terms, value in cells_of(body, [territory], window):
            attacker.observe(terms, value)
            if value is None:
                label = f"{territory} {window[0]}+{len(window)} {name}"
                hidden.setdefault(frozenset(terms), label)
            else:
                assert value % rounding == 0
                assert value >= 5
        start = days.index(window[0])
        if start >= len(window):  # the previous period lies inside the 8 days too
            before = days[start - len(window) : start]
            terms = [(territory, d, "by_category", c) for d in before for c in CATEGORIES]
            attacker.observe(terms, body["previous_total"])
    # The silent QPVs' cells, through their group.
    for p, keys in PARTITIONS.items():
        for k in keys:
            for length in LENGTHS:
                for start in range(DAYS - length + 1):
                    window = days[start : start + length]
                    terms = [(REST, d, p, k) for d in window]
                    hidden.setdefault(frozenset(terms), f"{REST} {window[0]}+{length} {p}.{k}")
    truth = truth_of(counts, silent)
    assert attacker.holds_for(truth)

    # Witnesses that a cell can take two values a unit apart: the truth, vertices of the
    # feasible set in random directions, then, for each cell not yet seen to vary, the points
    # where it is greatest and least (each such point is a witness for every other cell too).
    # A cell whose greatest and least values are less than a unit apart is pinned.
    cells = list(hidden)
    matrix = attacker.cell_matrix(cells)
    real = np.array([sum(truth.get(t, 0) for t in terms) for terms in cells], dtype=float)
    low, high = real.copy(), real.copy()
    for point in attacker.feasible_points(12, seed=13):
        seen = matrix @ point
        low, high = np.minimum(low, seen), np.maximum(high, seen)
    solved = 0
    exact: dict[str, tuple[float, float]] = {}
    for i in range(len(cells)):
        for greatest in (True, False):
            if high[i] - low[i] >= 1:
                break
            extreme = attacker.extreme(cells[i], greatest=greatest)
            solved += 1
            if extreme is None:  # unbounded: nothing published bounds it
                high[i] = np.inf
                break
            seen = matrix @ extreme
            low, high = np.minimum(low, seen), np.maximum(high, seen)
        else:
            exact[hidden[cells[i]]] = (float(low[i]), float(high[i]))
        if rounding == 1 and sum(pinned(*r) for r in exact.values()) >= 10:
            break  # shown to leak: enough
    leaks = {label: r for label, r in exact.items() if pinned(*r)}

    dealing = [(LANDY, first + timedelta(days=3), "by_category", "TRA-DEA")]
    deal_low, deal_high = attacker.range_of(dealing)
    print(
        f"\nrounding {rounding}: {len(answers)} answers, {len(hidden)} distinct hidden cells,"
        f" {solved} LPs for them,"
        f" {len(exact)} needed both ends, {len(leaks)} pinned; LANDY's dealing point on its day:"
        f" [{deal_low:.2f}, {deal_high:.2f}];"
        f" requests {asked:.1f} s, attack {time.monotonic() - started - asked:.1f} s"
    )
    assert len(answers) == 9 * sum(DAYS - n + 1 for n in LENGTHS)
    if rounding == 1:
        print("pinned, e.g.:", sorted(leaks.items())[:4])
        assert leaks, "exact counts leak nothing to this adversary: it would prove nothing"
        return
    assert leaks == {}
    assert deal_low <= 1 <= deal_high
    assert not pinned(deal_low, deal_high)
