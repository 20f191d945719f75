"""A territory's complaint gap by category and by target, and its CLSPD shared form. Pure.

`share` is the part (0–1) of incidents with a `plainte`; `previous_share` the same over the
previous period of the same length; `trend_pts` how far the share moved, in percentage points.

The counters cross category × complaint but not target × complaint (incident_counters holds
each breakdown on its own), so a target's incidents are known and its plaintes are not:
`plainte`, `share`, `previous_share` and `trend_pts` of `by_target` are None. Counting them
needs target × complaint columns in the aggregator's counters.

The shared form publishes the counts through `suppression.publish`, one period at a time, with
the relations an adversary knows: total = Σ categories = Σ targets (incidents), total = Σ
categories (plaintes), and for every row incidents = plaintes + incidents without one (the
last makes `plainte ≤ incidents` an equation, and hides a row whose few incidents without a
plainte would tell who complained). Shares are computed from published counts only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vigie.contract.events import TARGETS
from vigie_reporting.suppression import Relation, publish


@dataclass
class GapCounts:
    """Counts of one period: per category (incidents, plaintes), per target (incidents)."""

    incidents: dict[str, int] = field(default_factory=dict)
    plainte: dict[str, int] = field(default_factory=dict)
    targets: dict[str, int] = field(default_factory=dict)


def period_counts(
    rows: Sequence[Mapping[str, Any]], *, categories: Sequence[str]
) -> tuple[GapCounts, GapCounts]:
    """The current and previous periods' counts from the summary rows
    (repository.summary_rows). Both list every category of `categories` (0 when none), then
    any other code found in either period (a category since removed from the nomenclature
    still counts), so that their cells line up."""
    codes = list(dict.fromkeys([*categories, *(row["category"] for row in rows)]))
    return _counts(rows, True, codes), _counts(rows, False, codes)


def _counts(rows: Iterable[Mapping[str, Any]], current: bool, codes: list[str]) -> GapCounts:
    counts = GapCounts(
        incidents=dict.fromkeys(codes, 0),
        plainte=dict.fromkeys(codes, 0),
        targets=dict.fromkeys(TARGETS, 0),
    )
    for row in rows:
        if row["current"] != current:
            continue
        code = row["category"]
        counts.incidents[code] += row["incidents"]
        counts.plainte[code] += row["complaint_plainte"]
        for target in TARGETS:
            counts.targets[target] += row[f"target_{target}"]
    return counts


def share(plainte: int | None, incidents: int | None) -> float | None:
    """The part of incidents with a plainte; None when either is unknown or no incident."""
    if plainte is None or not incidents:
        return None
    return round(plainte / incidents, 4)


def trend_pts(current: float | None, previous: float | None) -> float | None:
    """How many percentage points a share moved."""
    if current is None or previous is None:
        return None
    return round((current - previous) * 100, 1)


def _line(
    cur: tuple[int | None, int | None], prev: tuple[int | None, int | None]
) -> dict[str, Any]:
    """One line of the answer from (incidents, plaintes) of both periods."""
    now, before = share(cur[1], cur[0]), share(prev[1], prev[0])
    return {
        "incidents": cur[0],
        "plainte": cur[1],
        "share": now,
        "previous_share": before,
        "trend_pts": trend_pts(now, before),
    }


def gap_body(current: GapCounts, previous: GapCounts) -> dict[str, Any]:
    """`total`, `by_category` and `by_target` of a scope's own counts (nothing hidden)."""
    return _body(cells(current), cells(previous), current)


def shared_gap_body(current: GapCounts, previous: GapCounts) -> dict[str, Any]:
    """The shared form: each period's counts as `publish` lets them out, hidden ones None,
    with `suppressed` and the hidden cells (prefixed `previous.` for the previous period)."""
    shown_now = publish(cells(current), relations(current))
    shown_before = publish(cells(previous), relations(previous))
    hidden = [k for k, v in shown_now.items() if v is None and not k.endswith(".sans_plainte")]
    hidden += [
        f"previous.{k}"
        for k, v in shown_before.items()
        if v is None and not k.endswith(".sans_plainte")
    ]
    body = _body(shown_now, shown_before, current)
    return {**body, "suppressed": bool(hidden), "suppressed_cells": sorted(hidden)}


def cells(counts: GapCounts) -> dict[str, int]:
    """Every count of one period by dotted name, with the incidents without a plainte that
    tie each row's plaintes to its incidents (used for suppression, never shown)."""
    total_incidents = sum(counts.incidents.values())
    total_plainte = sum(counts.plainte.values())
    out = {
        "total.incidents": total_incidents,
        "total.plainte": total_plainte,
        "total.sans_plainte": total_incidents - total_plainte,
    }
    for code, incidents in counts.incidents.items():
        out[f"category.{code}.incidents"] = incidents
        out[f"category.{code}.plainte"] = counts.plainte[code]
        out[f"category.{code}.sans_plainte"] = incidents - counts.plainte[code]
    for target, incidents in counts.targets.items():
        out[f"target.{target}.incidents"] = incidents
    return out


def relations(counts: GapCounts) -> list[Relation]:
    """The additive relations between the cells of one period."""
    codes = list(counts.incidents)
    rows = ["total", *(f"category.{c}" for c in codes)]
    return [
        Relation("total.incidents", tuple(f"category.{c}.incidents" for c in codes)),
        Relation("total.incidents", tuple(f"target.{t}.incidents" for t in counts.targets)),
        Relation("total.plainte", tuple(f"category.{c}.plainte" for c in codes)),
        Relation("total.sans_plainte", tuple(f"category.{c}.sans_plainte" for c in codes)),
        *(Relation(f"{r}.incidents", (f"{r}.plainte", f"{r}.sans_plainte")) for r in rows),
    ]


def _body(
    now: Mapping[str, int | None], before: Mapping[str, int | None], layout: GapCounts
) -> dict[str, Any]:
    def pair(cells_: Mapping[str, int | None], row: str) -> tuple[int | None, int | None]:
        return cells_[f"{row}.incidents"], cells_.get(f"{row}.plainte")

    return {
        "total": _line(pair(now, "total"), pair(before, "total")),
        "by_category": [
            {
                "category": code,
                **_line(pair(now, f"category.{code}"), pair(before, f"category.{code}")),
            }
            for code in layout.incidents
        ],
        "by_target": [
            {"target": t, **_line(pair(now, f"target.{t}"), pair(before, f"target.{t}"))}
            for t in layout.targets
        ],
    }
