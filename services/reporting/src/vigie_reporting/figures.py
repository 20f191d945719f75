"""Turning counter sums into the §8 summary, and the CLSPD shared view into its published form
(suppressed, rounded: see suppression). Pure: no I/O.

Conventions: `complaint_rate` is the share (0–1) of incidents with a `plainte`;
`staff_targeted` counts incidents that hit the landlord's staff (`personnel`) or its contractors
(`prestataire`); `rate_per_1000_dwellings` divides by the territory's social dwellings (None when
the figure is not published)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vigie.contract.events import COMPLAINTS, TARGETS
from vigie.contract.nomenclature import Nomenclature
from vigie_reporting.periods import trend_pct
from vigie_reporting.suppression import ROUNDING, Relation, publish

# The contract bounds severity to 1–4 (events.IncidentState) without naming the levels.
SEVERITIES = ("1", "2", "3", "4")
# Reporting's own definition of `staff_targeted`: the landlord's staff and its contractors.
STAFF = ("personnel", "prestataire")
# The shared view's cost, to the nearest 1,000 €: an order of magnitude for partners, and a
# difference of two periods tells the cost of one day's incidents only within ±1,000 €.
COST_ROUNDING_EUR = 1000


@dataclass
class Sums:
    """Counter sums over one period."""

    by_category: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=dict)
    by_target: dict[str, int] = field(default_factory=dict)
    by_complaint: dict[str, int] = field(default_factory=dict)
    cost_eur: Decimal = Decimal(0)

    @property
    def total(self) -> int:
        """All incidents of the period."""
        return sum(self.by_category.values())


def sums_from_rows(rows: Iterable[Mapping[str, Any]], *, current: bool) -> Sums:
    """Add up the SUMMARY rows of one period (current or previous)."""
    sums = Sums()
    for row in rows:
        if row["current"] != current:
            continue
        category = row["category"]
        sums.by_category[category] = sums.by_category.get(category, 0) + row["incidents"]
        for key in SEVERITIES:
            _add(sums.by_severity, key, row[f"severity_{key}"])
        for key in TARGETS:
            _add(sums.by_target, key, row[f"target_{key}"])
        for key in COMPLAINTS:
            _add(sums.by_complaint, key, row[f"complaint_{key}"])
        sums.cost_eur += row["cost_eur"] or Decimal(0)
    return sums


def _add(into: dict[str, int], key: str, value: int) -> None:
    into[key] = into.get(key, 0) + value


def summary_body(
    *,
    current: Sums,
    previous: Sums,
    nomenclature: Nomenclature,
    social_dwellings: int | None,
) -> dict[str, Any]:
    """The figures of a summary (identity, period and as_of are added by the caller)."""
    by_category = {c.code: current.by_category.get(c.code, 0) for c in nomenclature.categories}
    # Counts of categories since removed from the nomenclature still belong to the total.
    by_category.update({k: v for k, v in current.by_category.items() if k not in by_category})
    by_domain = {d.code: 0 for d in nomenclature.domains}
    for code, count in by_category.items():
        category = nomenclature.category(code)
        if category is not None:
            by_domain[category.domain] += count
    total = current.total
    plainte = current.by_complaint.get("plainte", 0)
    return {
        "total": total,
        "by_category": by_category,
        "by_domain": by_domain,
        "by_severity": {k: current.by_severity.get(k, 0) for k in SEVERITIES},
        "by_target": {k: current.by_target.get(k, 0) for k in TARGETS},
        "by_complaint": {k: current.by_complaint.get(k, 0) for k in COMPLAINTS},
        "social_dwellings": social_dwellings,
        "rate_per_1000_dwellings": rate_per_1000(total, social_dwellings),
        "previous_total": previous.total,
        "trend_pct": trend_pct(total, previous.total),
        "complaint_rate": round(plainte / total, 4) if total else None,
        "staff_targeted": sum(current.by_target.get(k, 0) for k in STAFF),
        "cost_eur": float(round(current.cost_eur, 2)),
    }


def rate_per_1000(count: int, social_dwellings: int | None) -> float | None:
    """Incidents per 1,000 social dwellings, two decimals; None without dwellings."""
    if not social_dwellings:
        return None
    return round(count * 1000.0 / social_dwellings, 2)


def shared_relations(body: Mapping[str, Any], nomenclature: Nomenclature) -> list[Relation]:
    """The additive relations an adversary knows between the cells of a summary."""
    categories = tuple(f"by_category.{c}" for c in body["by_category"])
    relations = [
        Relation("total", categories),
        Relation("total", tuple(f"by_domain.{d}" for d in body["by_domain"])),
        Relation("total", tuple(f"by_severity.{k}" for k in SEVERITIES)),
        Relation("total", tuple(f"by_target.{k}" for k in TARGETS)),
        Relation("total", tuple(f"by_complaint.{k}" for k in COMPLAINTS)),
        Relation("staff_targeted", tuple(f"by_target.{k}" for k in STAFF)),
    ]
    for domain in body["by_domain"]:
        members = tuple(
            f"by_category.{c.code}" for c in nomenclature.categories if c.domain == domain
        )
        relations.append(Relation(f"by_domain.{domain}", members))
    return relations


def count_cells(body: Mapping[str, Any]) -> dict[str, int]:
    """Every published count of a summary, by dotted name."""
    cells = {"total": body["total"], "staff_targeted": body["staff_targeted"]}
    cells["previous_total"] = body["previous_total"]
    for group in ("by_category", "by_domain", "by_severity", "by_target", "by_complaint"):
        cells.update({f"{group}.{k}": v for k, v in body[group].items()})
    return cells


def suppressed_body(body: dict[str, Any], nomenclature: Nomenclature) -> dict[str, Any]:
    """The shared view of a summary: every count as `suppression.publish` gives it (hidden ones
    None, shown ones rounded to `ROUNDING`), every derived figure (rate, trend, complaint rate,
    staff) from those published counts only, the cost rounded to `COST_ROUNDING_EUR`; with
    `suppressed`, the list of hidden cells and the rounding base."""
    shown = publish(count_cells(body), shared_relations(body, nomenclature))
    out = dict(body)
    for group in ("by_category", "by_domain", "by_severity", "by_target", "by_complaint"):
        out[group] = {k: shown[f"{group}.{k}"] for k in body[group]}
    total, previous = shown["total"], shown["previous_total"]
    plainte = shown["by_complaint.plainte"]
    out["total"] = total
    out["previous_total"] = previous
    out["staff_targeted"] = shown["staff_targeted"]
    out["rate_per_1000_dwellings"] = (
        None if total is None else rate_per_1000(total, body["social_dwellings"])
    )
    out["trend_pct"] = None if total is None or previous is None else trend_pct(total, previous)
    out["complaint_rate"] = None if total is None or plainte is None else round(plainte / total, 4)
    out["cost_eur"] = None if total is None else _rounded_cost(body["cost_eur"])
    hidden = sorted(name for name, value in shown.items() if value is None)
    out["suppressed"] = bool(hidden)
    out["suppressed_cells"] = hidden
    out["rounding"] = ROUNDING
    return out


def _rounded_cost(cost_eur: float) -> float:
    # The cost of a period minus that of the period one day shorter would be the cost of that
    # day's incidents, maybe one: published to the nearest COST_ROUNDING_EUR only.
    return float(round(cost_eur / COST_ROUNDING_EUR) * COST_ROUNDING_EUR)
