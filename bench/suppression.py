"""Time of the shared view's suppression (`suppression.publish`) on synthetic tables shaped like
the observatory's national table: a country row and ≈100 département rows, each with its facts,
their domains, their targets and the complaints (plainte); facts = Σ domains = Σ targets in
every row, and every count of the country = Σ the départements'. Two draws: a sparse one (most
départements with a handful of facts, many with none) and a dense one. Beside each, the
suppression as it was before the per-part incremental search (`bench._suppression_before`),
timed in the same run, and a check that both hide the same cells part by part. Last, the
observatory's own suppression of every table of a year (`observatory.published`: France over 13
régions, each région over its départements, 101 in all) for --incidents facts spread very
unevenly, with publish() as it is and as it was.

    .venv/bin/python -m bench.suppression [--places N] [--before-places N] [--incidents N]

The search before the change grows much faster than the table: by default it is timed on a
sparse table of 30 départements (--before-places), beside the current code on the same table
and on the full-size one."""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from unittest import mock

from bench import _suppression_before as before
from vigie_reporting import observatory
from vigie_reporting.observatory import Place, Tally, Tree
from vigie_reporting.suppression import (
    Relation,
    _parts,
    publish,
    recoverable,
    rounded,
    suppress,
)

DOMAINS = ("cadre_de_vie", "prevention_insecurite", "qualite_service", "vivre_ensemble")
TARGETS = ("residents", "staff", "property", "other")
COUNTS = ("facts", *(f"domain.{d}" for d in DOMAINS), *(f"target.{t}" for t in TARGETS))


def national_table(
    *, places: int, mean: float, empty: float, seed: int
) -> tuple[dict[str, int], list[Relation]]:
    """A country row over `places` département rows; a département has no fact with
    probability `empty`, else an exponential number of facts of mean `mean`."""
    rng = random.Random(seed)
    cells: dict[str, int] = {}
    relations: list[Relation] = []
    rows = [f"D{i:03d}" for i in range(places)]
    for row in rows:
        facts = 0 if rng.random() < empty else round(rng.expovariate(1 / mean))
        domains = dict.fromkeys(DOMAINS, 0)
        targets = dict.fromkeys(TARGETS, 0)
        for _ in range(facts):
            domains[rng.choices(DOMAINS, weights=(6, 3, 1, 1))[0]] += 1
            targets[rng.choices(TARGETS, weights=(5, 2, 8, 1))[0]] += 1
        cells[f"{row}:facts"] = facts
        cells.update({f"{row}:domain.{d}": v for d, v in domains.items()})
        cells.update({f"{row}:target.{t}": v for t, v in targets.items()})
        cells[f"{row}:plainte"] = sum(rng.random() < 0.3 for _ in range(facts))
    for row in ["FR", *rows]:
        relations.append(Relation(f"{row}:facts", tuple(f"{row}:domain.{d}" for d in DOMAINS)))
        relations.append(Relation(f"{row}:facts", tuple(f"{row}:target.{t}" for t in TARGETS)))
    for count in (*COUNTS, "plainte"):
        cells[f"FR:{count}"] = sum(cells[f"{row}:{count}"] for row in rows)
        relations.append(Relation(f"FR:{count}", tuple(f"{row}:{count}" for row in rows)))
    return cells, relations


def timed(run: Callable[[], frozenset[str]]) -> tuple[float, frozenset[str]]:
    """Seconds taken by `run`, and what it hid."""
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def before_by_part(cells: dict[str, int], relations: list[Relation]) -> frozenset[str]:
    """The former suppression, run on each part apart as the observatory did (and as
    `suppress` now does): its choices are then comparable one to one."""
    hidden = {name for name, value in cells.items() if value < 5}
    for part in _parts(relations):
        hidden |= before.suppress({c: cells[c] for r in part for c in r.cells}, part)
    return frozenset(hidden)


def report(name: str, cells: dict[str, int], relations: list[Relation], *, old: bool) -> None:
    """Time the current suppression (and the former one if `old`) on one table."""
    primary = sum(v < 5 for v in cells.values())
    after_s, hidden = timed(lambda: suppress(cells, relations))
    publish_s, _ = timed(lambda: frozenset(publish(cells, relations)))
    assert recoverable(cells, hidden, relations) == set()
    line = (
        f"{name:<34} {len(cells):>5} cells, {primary:>4} below 5, {len(hidden):>4} hidden"
        f" | after {after_s:8.3f} s (publish {publish_s:.3f} s)"
    )
    if old:
        before_s, hidden_before = timed(lambda: before_by_part(cells, relations))
        same = "same cells" if hidden_before == hidden else "DIFFERENT cells"
        line += f" | before {before_s:8.3f} s, {same}, x{before_s / max(after_s, 1e-9):.0f}"
    print(line, flush=True)


def observatory_tables(*, incidents: int, seed: int) -> dict[str | None, observatory.Table]:
    """The observatory's tables (France over 13 régions, each région over its départements,
    101 in all) for `incidents` facts of one year spread very unevenly: a few départements
    hold most, many have none (landlords work in some places only)."""
    rng = random.Random(seed)
    regions = [Place(f"REG-{r}", "region", f"R{r}", str(r), None, None) for r in range(13)]
    departements = [
        Place(f"DEP-{d}", "departement", f"D{d}", str(d), str(d % 13), None) for d in range(101)
    ]
    tree = Tree.of([*regions, *departements])
    weights = [rng.paretovariate(0.7) if rng.random() < 0.6 else 0.0 for _ in departements]
    units: dict[str, Tally] = {}
    for place in rng.choices(departements, weights=weights, k=incidents):
        tally = units.setdefault(place.territory_id, Tally())
        current = rng.random() < 0.5
        if not current:
            tally.previous_facts += 1
            tally.panel_previous += rng.random() < 0.9
            continue
        tally.facts += 1
        tally.plainte += rng.random() < 0.3
        tally.degradations += rng.random() < 0.4
        tally.panel_facts += rng.random() < 0.9
        domain = rng.choices(DOMAINS, weights=(6, 3, 1, 1))[0]
        tally.by_domain[domain] = tally.by_domain.get(domain, 0) + 1
        target = rng.choices(observatory.TARGET_GROUPS, weights=(5, 2, 8, 1))[0]
        tally.by_target[target] = tally.by_target.get(target, 0) + 1
    totals = observatory.tallies(tree, units)
    return observatory.shared_cells(tree, totals, DOMAINS)


def publish_before(
    cells: dict[str, int], relations: list[Relation], **_: int
) -> dict[str, int | None]:
    """`publish` with the former suppression."""
    hidden = before.suppress(cells, relations)
    return {k: None if k in hidden else rounded(v) for k, v in cells.items()}


def report_observatory(incidents: int, seed: int) -> None:
    """Time the observatory's suppression of every table, with both searches."""
    tables = observatory_tables(incidents=incidents, seed=seed)
    start = time.perf_counter()
    after = observatory.published(tables, set())
    after_s = time.perf_counter() - start
    with mock.patch.object(observatory, "publish", publish_before):
        start = time.perf_counter()
        former = observatory.published(tables, set())
        before_s = time.perf_counter() - start
    hidden = sum(v is None for v in after.values())
    same = "same cells" if former == after else "DIFFERENT cells"
    print(
        f"{'observatory, ' + format(incidents, ',') + ' facts':<34} {len(after):>5} cells,"
        f" {hidden:>4} hidden | after {after_s:8.3f} s | before {before_s:8.3f} s, {same},"
        f" x{before_s / max(after_s, 1e-9):.0f}",
        flush=True,
    )


def main() -> None:
    """Time both suppressions on sparse and dense tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--places", type=int, default=100)
    parser.add_argument("--before-places", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--incidents", type=int, default=30_000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    small, full, seed = args.before_places, args.places, args.seed
    sparse = {"mean": 12.0, "empty": 0.3, "seed": seed}
    dense = {"mean": 400.0, "empty": 0.0, "seed": seed}
    report(f"sparse, {small} départements", *national_table(places=small, **sparse), old=True)
    report(f"dense, {full} départements", *national_table(places=full, **dense), old=True)
    report(f"sparse, {full} départements", *national_table(places=full, **sparse), old=False)
    report_observatory(args.incidents, seed)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
