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
(see `_complement`). This stops because every round hides one more cell. The parts of a table
that no relation ties together are protected apart (nothing recomputes a cell of one from
another), and a candidate is tried against what the round already established rather than by
solving the whole system again: on a sparse table (many hidden cells, many rounds) the search
was minutes long, see bench/suppression.py.

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

import math
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

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
    """The cells to hide: primary (below threshold) plus complementary ones, decided for each
    part of the table that the relations tie together apart (see `_protect`)."""
    hidden = {name for name, value in cells.items() if value < threshold}
    for part in _parts(relations):
        _protect(cells, hidden, part)
    return frozenset(hidden)


def recoverable(
    cells: Mapping[str, int], hidden: Iterable[str], relations: Sequence[Relation]
) -> set[str]:
    """The hidden cells an adversary can recompute from the shown ones and the relations."""
    unknown = set(hidden)
    found: set[str] = set()
    for part in _parts(relations):
        found |= _recovered(cells, unknown, part, [_coefficients(r) for r in part])
    return found


def _parts(relations: Sequence[Relation]) -> list[list[Relation]]:
    """The relations grouped by the connected parts of the table they tie (cells in no relation
    are in no part: nothing recomputes them). Recovery in one part never involves another, so
    each part is protected alone, in the order of its first relation."""
    root: dict[str, str] = {}

    def find(name: str) -> str:
        root.setdefault(name, name)
        while root[name] != name:
            root[name] = root[root[name]]
            name = root[name]
        return name

    for relation in relations:
        first = find(relation.parent)
        for child in relation.children:
            root[find(child)] = first
    parts: dict[str, list[Relation]] = {}
    for relation in relations:
        parts.setdefault(find(relation.parent), []).append(relation)
    return list(parts.values())


Row = dict[str, int]


def _coefficients(relation: Relation) -> Row:
    """The relation as a row: parent − Σ children = 0, integer coefficients."""
    row: Row = {}
    for child in relation.children:
        row[child] = row.get(child, 0) - 1
    row[relation.parent] = row.get(relation.parent, 0) + 1
    return {cell: value for cell, value in row.items() if value}


def _recovered(
    cells: Mapping[str, int], hidden: Container[str], relations: Sequence[Relation], rows: list[Row]
) -> set[str]:
    """The hidden cells of one part an adversary recomputes: zero-forcing and linear
    determination, repeated until neither finds more. A cell found by zero-forcing is known as
    0 from then on (what the adversary believes), one found linearly as its value."""
    unknown = {c for r in relations for c in r.cells if c in hidden}
    found: set[str] = set()
    zeroed: set[str] = set()
    while True:
        forced = _zero_forced(cells, unknown, relations, zeroed)
        zeroed |= forced
        determined = _linearly_determined(unknown - forced, rows)
        if not forced and not determined:
            return found
        found |= forced | determined
        unknown -= forced | determined


def _zero_forced(
    cells: Mapping[str, int],
    unknown: Container[str],
    relations: Iterable[Relation],
    zeroed: Container[str] = frozenset(),
) -> set[str]:
    """Hidden children of a relation whose shown cells balance already: each must be 0."""
    forced: set[str] = set()
    for relation in relations:
        if relation.parent in unknown:
            continue
        hidden_children = [c for c in relation.children if c in unknown]
        if not hidden_children:
            continue
        shown = sum(cells[c] for c in relation.children if c not in unknown and c not in zeroed)
        if shown == (0 if relation.parent in zeroed else cells[relation.parent]):
            forced.update(hidden_children)
    return forced


def _linearly_determined(unknown: set[str], rows: Iterable[Row]) -> set[str]:
    """Hidden cells whose value the relations fix whatever the other hidden cells are: in the
    reduced row echelon form of the hidden-cell system, a row with a single non-zero entry (the
    set does not depend on the order of the columns)."""
    reduced = _reduced(({c: v for c, v in row.items() if c in unknown} for row in rows), unknown)
    return {column for column, row in reduced.items() if len(row) == 1}


def _reduced(rows: Iterable[Row], pivotable: Container[str]) -> dict[str, Row]:
    """Reduced row echelon form, exact (integer rows, each divided by the gcd of its entries),
    sparse, by pivot column; pivots are taken only in `pivotable` columns. The rows left with
    no pivotable entry are dropped (`_residue` keeps them)."""
    return _eliminate(rows, pivotable)[0]


def _residue(rows: Iterable[Row], pivotable: Container[str]) -> list[Row]:
    """What the relations say about the other columns once the `pivotable` ones are eliminated:
    the combinations of rows with no entry in a pivotable column."""
    return _eliminate(rows, pivotable)[1]


def _eliminate(rows: Iterable[Row], pivotable: Container[str]) -> tuple[dict[str, Row], list[Row]]:
    """Gauss-Jordan on the pivotable columns: the reduced pivot rows, and the rest."""
    pivots: dict[str, Row] = {}
    rest: list[Row] = []
    for source in rows:
        row = dict(source)
        for column in [c for c in row if c in pivots]:
            row = _combined(row, pivots[column], column)
        candidates = [c for c in row if c in pivotable]
        if not candidates:
            if row:
                rest.append(row)
            continue
        column = min(candidates)
        for other, pivot_row in pivots.items():
            if column in pivot_row:
                pivots[other] = _combined(pivot_row, row, column)
        pivots[column] = row
    return pivots, rest


def _combined(row: Row, pivot_row: Row, column: str) -> Row:
    """`row` with its `column` entry cancelled by a multiple of `pivot_row`, divided by the gcd."""
    a, b = pivot_row[column], row[column]
    out = {c: a * v for c, v in row.items()}
    for c, v in pivot_row.items():
        value = out.get(c, 0) - b * v
        if value:
            out[c] = value
        else:
            out.pop(c, None)
    divisor = math.gcd(*out.values()) if out else 1
    return {c: v // divisor for c, v in out.items()} if divisor > 1 else out


def _protect(cells: Mapping[str, int], hidden: set[str], relations: Sequence[Relation]) -> None:
    """Hide cells of one part until no hidden cell of it is recoverable (`hidden` grows): each
    round protects the first recoverable cell by name with one more cell (`_complement`)."""
    rows = [_coefficients(r) for r in relations]
    totals: dict[str, int] = {}
    for relation in relations:
        totals[relation.parent] = totals.get(relation.parent, 0) + 1
    related = sorted({c for r in relations for c in r.cells})
    while True:
        exposed = _recovered(cells, hidden, relations, rows)
        if not exposed:
            return
        extra = _complement(cells, hidden, exposed, related, totals, relations, rows)
        if extra is None:  # nothing left to hide around it: the whole part is hidden already
            return
        hidden.add(extra)


def _complement(
    cells: Mapping[str, int],
    hidden: set[str],
    exposed: set[str],
    related: list[str],
    totals: Mapping[str, int],
    relations: Sequence[Relation],
    rows: list[Row],
) -> str | None:
    """The shown cell to hide next so that the first of `exposed` is no longer recoverable.

    Candidates go by how many relations they total (leaves first, the grand total last: the
    totals partners need most stay visible), cells sharing a relation with that cell first,
    then the smallest; the first candidate that shrinks what is recoverable wins (so a leaf is
    preferred to a total that would protect more at once), else the first.

    When the counts add up, the test of a candidate is incremental: the hidden cells that stay
    unrecoverable (`stable`) stay so whatever else is hidden, so they are eliminated from the
    relations once per round, and each candidate is decided on what is left (`_shrinks`); a
    candidate sharing no relation with a hidden cell cannot shrink anything and is not tried.
    Counts that do not add up get the whole check for every candidate (`_protecting`)."""
    first = min(exposed)
    near = {c for r in relations if first in r.cells for c in r.cells}
    candidates = sorted(
        (c for c in related if c not in hidden),
        key=lambda c: (totals.get(c, 0), c not in near, cells[c], c),
    )
    if not candidates:
        return None
    return next(_protecting(cells, hidden, exposed, candidates, relations, rows), candidates[0])


def _protecting(
    cells: Mapping[str, int],
    hidden: set[str],
    exposed: set[str],
    candidates: list[str],
    relations: Sequence[Relation],
    rows: list[Row],
) -> Iterator[str]:
    """The candidates, in order, whose hiding leaves fewer cells recoverable than `exposed`."""
    if any(cells[r.parent] != sum(cells[c] for c in r.children) for r in relations) or any(
        cells[c] < 0 for r in relations for c in r.cells
    ):
        # Counts that do not add up (the observatory hides a count by giving it as 0), or below
        # 0: hiding more can then make a relation balance, so every candidate gets the whole
        # check.
        for candidate in candidates:
            if len(_recovered(cells, hidden | {candidate}, relations, rows)) < len(exposed):
                yield candidate
        return
    stable = {c for r in relations for c in r.cells if c in hidden and c not in exposed}
    residue = _residue(rows, stable)
    touching = {c for r in relations if any(x in hidden for x in r.cells) for c in r.cells}
    for candidate in candidates:
        if candidate in touching and _shrinks(
            cells, stable, exposed, candidate, relations, residue
        ):
            yield candidate


def _shrinks(
    cells: Mapping[str, int],
    stable: set[str],
    exposed: set[str],
    candidate: str,
    relations: Sequence[Relation],
    residue: list[Row],
) -> bool:
    """Whether hiding `candidate` leaves fewer cells recoverable than `exposed`. Hiding more
    never makes a `stable` cell recoverable, so only `exposed` and the candidate are in
    question: the same fixed point as `_recovered`, on them alone, the stable cells eliminated
    from the relations (`residue`). Counts must add up and be ≥ 0 (a cell forced to 0 is then
    truly 0)."""
    unknown = {*exposed, candidate}
    while True:
        before = len(unknown)
        unknown -= _zero_forced(cells, unknown | stable, relations)
        unknown -= _linearly_determined(unknown, residue)
        if len(unknown) == before:
            break
    recovered = len(exposed) + 1 - len(unknown)
    return recovered < len(exposed)
