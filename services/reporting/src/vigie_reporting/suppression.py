"""Statistical disclosure control of the CLSPD shared view, pure.

The shared view publishes counts of all landlords together. Every count below the threshold (5,
zero included: "nobody" is also a disclosure about a small place) is *primary*-suppressed. Then
*complementary* suppression makes sure no suppressed count can be recomputed from what is shown:
the published cells are tied by additive relations (total = Σ categories = Σ domains = Σ
severities = Σ targets = Σ complaint kinds; each domain = Σ its categories; staff = personnel +
contractors), and an adversary who knows them solves for what is hidden.

A suppressed cell counts as *recoverable* when, with every shown cell as a known value,
- the relations determine it linearly (its column is independent of the other hidden columns,
  i.e. the hidden-cell system pins it whatever the others are), or
- non-negativity does: a relation whose shown cells already add up leaves 0 for each hidden one.
While some hidden cell is recoverable, one more shown cell is hidden: the first, in a
deterministic order (leaves before totals, neighbours first, smallest first), that protects it
(see `_complement`). This stops because every round hides one more cell.

Differencing across requests. Suppression alone protects one answer, not two: a period shifted
by one day, a commune against its QPVs, a category against its domain are different answers
whose *exact* differences are small cells (one dealing point, in one commune, on one day). So
every shown count is published *rounded to the nearest multiple of 5* (`ROUNDING`), after the
suppression decided on the exact values, and derived figures (rates, trend, complaint rate) are
computed from the published counts only. A shown 10 says "8 to 12" (`bounds`); rounding keeps
the threshold's promise (a shown count is ≥ 5: 5, 6 and 7 show as 5), and the difference of two
published counts is an interval at least 4 wide (before non-negativity clips it), never a single
small count. Within one answer rounding only widens what exact suppression left open (the exact
tables consistent with the rounded answer include those consistent with the exact one), so the
complementary suppression above still holds. Across answers, an adversary combining many of them
by linear programming (tests/reporting/test_differencing.py: windows shifted day by day,
overlapping periods, a commune and each of its QPVs, categories against domains) bounds hidden
cells by intervals and pins none. What deterministic rounding cannot exclude is an alignment of
many published counts all at the same edge of their intervals: a commune's 32 incidents (shown
30) made of four QPVs with exactly 8 each (shown 10) would tell that its other QPVs had none.

Alternatives weighed: cell-key perturbation (ABS, ONS) adds bounded noise keyed on the cell's
content, so that the same cell always shows the same value; bounded noise has the same edge
cases, it needs record keys that the counters do not hold, and its figures look exact while they
are not. Rounded figures read for what they are ("about 10").

Not covered (documented limits): interval bounds (an adversary learns that a hidden cell is, say,
0 to 4), which is what suppression discloses by design."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

THRESHOLD = 5
# Shown counts are published to the nearest multiple of this; see the module docstring.
ROUNDING = 5


@dataclass(frozen=True)
class Relation:
    """`parent` equals the sum of `children`."""

    parent: str
    children: tuple[str, ...]

    @property
    def cells(self) -> tuple[str, ...]:
        """Every cell the relation ties."""
        return (self.parent, *self.children)


def publish(
    cells: Mapping[str, int],
    relations: Sequence[Relation],
    *,
    threshold: int = THRESHOLD,
    rounding: int = ROUNDING,
) -> dict[str, int | None]:
    """What a shared document may show of `cells`: None for every hidden cell, every shown one
    rounded to the nearest multiple of `rounding`. Every shared figure (summary, situation
    report, observatory, partner dashboard, complaint gap) goes through here, so the protection
    of the shared view is decided in this one place; derive rates from what this returns."""
    hidden = suppress(cells, relations, threshold=threshold)
    return {
        name: (None if name in hidden else rounded(value, base=rounding))
        for name, value in cells.items()
    }


def rounded(value: int, *, base: int = ROUNDING) -> int:
    """`value` to the nearest multiple of `base` (an odd base has no ties), never below `base`:
    a shown count stays at least the threshold (5, 6 and 7 show as 5)."""
    return max(base, (2 * value + base) // (2 * base) * base)


def bounds(shown: int, *, base: int = ROUNDING, threshold: int = THRESHOLD) -> tuple[int, int]:
    """What a shown count tells of the exact one: the inclusive interval it lies in."""
    return max(threshold, shown - base // 2), shown + base // 2


def suppress(
    cells: Mapping[str, int], relations: Sequence[Relation], *, threshold: int = THRESHOLD
) -> frozenset[str]:
    """The cells to hide: primary (below threshold) plus complementary ones."""
    hidden = {name for name, value in cells.items() if value < threshold}
    while True:
        exposed = recoverable(cells, hidden, relations)
        if not exposed:
            return frozenset(hidden)
        extra = _complement(cells, hidden, relations, sorted(exposed)[0])
        if extra is None:  # nothing left to hide around it: hide every related cell
            hidden.update(c for r in relations for c in r.cells)
            return frozenset(hidden)
        hidden.add(extra)


def recoverable(
    cells: Mapping[str, int], hidden: Iterable[str], relations: Sequence[Relation]
) -> set[str]:
    """The hidden cells an adversary can recompute from the shown ones and the relations."""
    unknown = set(hidden)
    known = {name: value for name, value in cells.items() if name not in unknown}
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for cell in _zero_forced(known, unknown, relations):
            found.add(cell)
            known[cell] = 0
            unknown.discard(cell)
            changed = True
        for cell in _linearly_determined(unknown, relations):
            found.add(cell)
            known[cell] = cells[cell]
            unknown.discard(cell)
            changed = True
    return found


def _zero_forced(
    known: Mapping[str, int], unknown: set[str], relations: Sequence[Relation]
) -> set[str]:
    """Hidden children of a relation whose shown cells balance already: each must be 0."""
    forced: set[str] = set()
    for relation in relations:
        if relation.parent in unknown:
            continue
        hidden_children = [c for c in relation.children if c in unknown]
        shown = sum(known[c] for c in relation.children if c not in unknown)
        if hidden_children and shown == known[relation.parent]:
            forced.update(hidden_children)
    return forced


def _linearly_determined(unknown: set[str], relations: Sequence[Relation]) -> set[str]:
    """Hidden cells whose value the relations fix whatever the other hidden cells are: in the
    reduced row echelon form of the hidden-cell system, a row with a single non-zero entry."""
    columns = sorted(unknown)
    rows = [row for row in (_row(r, columns) for r in relations) if any(row)]
    determined = set()
    for row in _reduced(rows):
        nonzero = [i for i, value in enumerate(row) if value != 0]
        if len(nonzero) == 1:
            determined.add(columns[nonzero[0]])
    return determined


def _row(relation: Relation, columns: list[str]) -> list[Fraction]:
    coefficient = {child: Fraction(-1) for child in relation.children}
    coefficient[relation.parent] = coefficient.get(relation.parent, Fraction(0)) + 1
    return [coefficient.get(column, Fraction(0)) for column in columns]


def _reduced(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    """Reduced row echelon form over the rationals (exact); zero rows dropped."""
    matrix = [list(row) for row in rows]
    rank = 0
    width = len(matrix[0]) if matrix else 0
    for column in range(width):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        lead = matrix[rank][column]
        matrix[rank] = [value / lead for value in matrix[rank]]
        for r in range(len(matrix)):
            if r != rank and matrix[r][column] != 0:
                factor = matrix[r][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return matrix[:rank]


def _complement(
    cells: Mapping[str, int], hidden: set[str], relations: Sequence[Relation], exposed: str
) -> str | None:
    """The shown cell to hide next so that `exposed` is no longer recoverable.

    Candidates go by how many relations they total (leaves first, the grand total last: the
    totals partners need most stay visible), cells sharing a relation with `exposed` first, then
    the smallest; the first candidate that shrinks what is recoverable wins (so a leaf is
    preferred to a total that would protect more at once), else the first."""
    totals: dict[str, int] = {}
    for relation in relations:
        totals[relation.parent] = totals.get(relation.parent, 0) + 1
    near = {c for r in relations if exposed in r.cells for c in r.cells}
    related = {c for r in relations for c in r.cells}
    candidates = sorted(
        (c for c in related if c not in hidden),
        key=lambda c: (totals.get(c, 0), c not in near, cells[c], c),
    )
    if not candidates:
        return None
    before = len(recoverable(cells, hidden, relations))
    for candidate in candidates:
        if len(recoverable(cells, hidden | {candidate}, relations)) < before:
            return candidate
    return candidates[0]
