"""The fictional landlords of the demo feed and the real QPVs where they own buildings."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vigie.platform.territories import Territory


@dataclass(frozen=True)
class DemoLandlord:
    """A fictional bailleur social and how its information system talks to intake."""

    landlord_id: str
    name: str
    prefix: str  # its incident references look like PREFIX-xxxxx
    departements: tuple[str, ...]
    qpv_count: int
    size: float  # relative activity of the landlord
    batches: bool  # True: posts JSON arrays in batches; False: one POST per incident


DEMO_LANDLORDS: tuple[DemoLandlord, ...] = (
    DemoLandlord(
        "demo-habitat-93", "Habitat Plaine-de-France (démo)", "HPF", ("93",), 9, 1.6, True
    ),
    DemoLandlord("demo-logis-canal-93", "Logis du Canal (démo)", "LDC", ("93",), 5, 0.7, False),
    DemoLandlord("demo-azur-logement-13", "Azur Logement (démo)", "AZL", ("13",), 7, 1.2, True),
    DemoLandlord("demo-rhone-foyers-69", "Foyers du Rhône (démo)", "FDR", ("69",), 6, 1.0, True),
    DemoLandlord("demo-toits-du-nord-59", "Toits du Nord (démo)", "TDN", ("59",), 7, 1.1, False),
    DemoLandlord("demo-garonne-habitat-31", "Garonne Habitat (démo)", "GAH", ("31",), 4, 0.6, True),
    DemoLandlord("demo-val-oise-logis-95", "Val-d'Oise Logis (démo)", "VOL", ("95",), 5, 0.8, True),
)


@dataclass(frozen=True)
class Site:
    """Where a landlord owns buildings: one QPV, its residences and how much happens there."""

    landlord_id: str
    territory_id: str
    residences: tuple[str, ...]
    weight: float
    hotspot: bool


def choose_sites(
    territories: Iterable[Territory],
    *,
    rng: random.Random,
    landlords: Sequence[DemoLandlord] = DEMO_LANDLORDS,
    available: frozenset[str] | None = None,
    hotspots: int = 2,
) -> list[Site]:
    """The demo sites: each landlord takes the largest QPVs of its départements (two landlords
    of a département share some, as they do in reality); activity follows the dwellings."""
    by_dep: dict[str, list[Territory]] = {}
    for t in territories:
        if t.kind != "qpv" or not t.social_dwellings or t.departement_code is None:
            continue
        if available is not None and t.territory_id not in available:
            continue
        by_dep.setdefault(t.departement_code, []).append(t)
    for qpvs in by_dep.values():
        qpvs.sort(key=lambda t: (-(t.social_dwellings or 0), t.territory_id))
    sites: list[Site] = []
    taken: dict[str, int] = {}
    for landlord in landlords:
        pool = [t for dep in landlord.departements for t in by_dep.get(dep, [])]
        # A second landlord in a département starts part-way down the list: some overlap.
        start = taken.get(landlord.departements[0], 0) // 2
        chosen = pool[start : start + landlord.qpv_count]
        taken[landlord.departements[0]] = start + len(chosen)
        for qpv in chosen:
            count = rng.randint(3, 8)
            residences = tuple(
                f"{landlord.prefix}-RES-{rng.randint(100, 999)}" for _ in range(count)
            )
            # Some quartiers are much livelier than their size says: the ranking gets a shape.
            liveliness = rng.lognormvariate(0.0, 0.35)
            weight = landlord.size * (qpv.social_dwellings or 0) ** 0.6 * liveliness
            sites.append(Site(landlord.landlord_id, qpv.territory_id, residences, weight, False))
    return _mark_hotspots(sites, rng=rng, count=hotspots)


def _mark_hotspots(sites: list[Site], *, rng: random.Random, count: int) -> list[Site]:
    """The same sites, `count` of them marked as hotspots, among the busier half: a flare-up
    in a site with a handful of incidents a month would stay below any sensible threshold."""
    if not sites:
        return sites
    busier = sorted(range(len(sites)), key=lambda i: -sites[i].weight)[
        : max(count, len(sites) // 2)
    ]
    hot = set(rng.sample(sorted(busier), min(count, len(sites))))
    return [
        Site(s.landlord_id, s.territory_id, s.residences, s.weight, i in hot)
        for i, s in enumerate(sites)
    ]
