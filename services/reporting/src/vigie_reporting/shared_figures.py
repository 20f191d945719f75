"""The partner dashboard's series and ranking in the CLSPD shared view, pure.

Every count goes through `suppression.publish` with the additive relations an adversary knows
between the cells of one answer; rates are computed afterwards from the published counts only,
so a hidden count never leaks through a derived figure. Hidden counts are None.

- A series: its total = Σ its buckets (incidents and plaintes, each its own series).
- A ranking: each of the key's territories = Σ its QPVs + what lies outside them (`outside`),
  which partitions it (a QPV is counted once under a territory, see territory_ancestors). A QPV
  territory of the key has no children: it is one cell.

Hidden entries of a ranking are listed after the shown ones, by name: ordering them by their
value would tell something about it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from vigie_reporting.figures import rate_per_1000
from vigie_reporting.suppression import Relation, publish

OUTSIDE = "hors-qpv"


def published_series(points: Sequence[tuple[date, int, int]]) -> dict[str, Any]:
    """Buckets of (start, incidents, plaintes) as published: `total`, `plainte_total`, `points`
    with hidden counts None, and which cells were hidden."""
    cells: dict[str, int] = {
        "total": sum(p[1] for p in points),
        "plainte_total": sum(p[2] for p in points),
    }
    for start, incidents, plainte in points:
        cells[f"incidents.{start.isoformat()}"] = incidents
        cells[f"plainte.{start.isoformat()}"] = plainte
    relations = [
        Relation("total", tuple(f"incidents.{p[0].isoformat()}" for p in points)),
        Relation("plainte_total", tuple(f"plainte.{p[0].isoformat()}" for p in points)),
    ]
    shown = publish(cells, relations)
    hidden = sorted(name for name, value in shown.items() if value is None)
    return {
        "total": shown["total"],
        "plainte_total": shown["plainte_total"],
        "points": [
            {
                "bucket": start,
                "incidents": shown[f"incidents.{start.isoformat()}"],
                "plainte": shown[f"plainte.{start.isoformat()}"],
            }
            for start, _, _ in points
        ],
        "suppressed": bool(hidden),
        "suppressed_cells": hidden,
    }


@dataclass(frozen=True)
class Place:
    """A territory of a ranking: its reference fields and its count over the period."""

    territory_id: str
    name: str
    kind: str
    departement_code: str | None
    social_dwellings: int | None
    count: int


@dataclass(frozen=True)
class Scope:
    """One of the key's territories and the QPVs inside it (empty for a QPV)."""

    place: Place
    qpvs: tuple[Place, ...]


def ranking_cells(scopes: Sequence[Scope]) -> tuple[dict[str, int], list[Relation]]:
    """The cells of a ranking (one per territory id, so that a QPV under two of the key's
    territories is one cell) and the partition of each territory."""
    cells: dict[str, int] = {}
    relations: list[Relation] = []
    for scope in scopes:
        cells[scope.place.territory_id] = scope.place.count
        if not scope.qpvs:
            continue
        outside = f"{scope.place.territory_id}.{OUTSIDE}"
        inside = sum(q.count for q in scope.qpvs)
        # Never negative: a QPV's counters are among its territory's, once each.
        cells[outside] = max(0, scope.place.count - inside)
        for qpv in scope.qpvs:
            cells[qpv.territory_id] = qpv.count
        children = (*(q.territory_id for q in scope.qpvs), outside)
        relations.append(Relation(scope.place.territory_id, children))
    return cells, relations


def published_ranking(scopes: Sequence[Scope]) -> dict[str, Any]:
    """The key's territories (with what lies outside their QPVs) and their QPVs ranked by rate
    per 1,000 social dwellings, counts as published, rates from published counts only."""
    cells, relations = ranking_cells(scopes)
    shown = publish(cells, relations)
    territories = [
        {
            **_item(scope.place, shown[scope.place.territory_id]),
            "outside_qpv": (shown[f"{scope.place.territory_id}.{OUTSIDE}"] if scope.qpvs else None),
            "qpv_count": len(scope.qpvs),
        }
        for scope in scopes
    ]
    qpvs: dict[str, Place] = {}
    for scope in scopes:
        qpvs.update(
            {q.territory_id: q for q in scope.qpvs} or {scope.place.territory_id: scope.place}
        )
    items = [_item(q, shown[q.territory_id]) for q in qpvs.values()]
    ordered = sorted(items, key=_rank_key)
    for index, item in enumerate(ordered, start=1):
        item["rank"] = index
    hidden = sorted(name for name, value in shown.items() if value is None)
    return {
        "territories": territories,
        "items": ordered,
        "suppressed": bool(hidden),
        "suppressed_cells": hidden,
    }


def _item(place: Place, count: int | None) -> dict[str, Any]:
    return {
        "territory_id": place.territory_id,
        "name": place.name,
        "kind": place.kind,
        "departement_code": place.departement_code,
        "social_dwellings": place.social_dwellings,
        "count": count,
        "rate_per_1000_dwellings": (
            None if count is None else rate_per_1000(count, place.social_dwellings)
        ),
    }


def _rank_key(item: Mapping[str, Any]) -> tuple[int, float, int, str, str]:
    """Shown first, by rate then count (highest first); hidden ones after, by name only."""
    if item["count"] is None:
        return (2, 0.0, 0, item["name"], item["territory_id"])
    rate = item["rate_per_1000_dwellings"]
    return (
        0 if rate is not None else 1,
        -(rate or 0.0),
        -item["count"],
        item["name"],
        item["territory_id"],
    )
