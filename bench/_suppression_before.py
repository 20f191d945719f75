"""The complementary suppression as it was before the per-component, incremental search (commit
3446374), kept only so that `bench.suppression` can time both in the same run. Not used by the
services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

from vigie_reporting.suppression import THRESHOLD, Relation


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
