"""A linear-programming adversary of the shared view, independent of the suppression module: it
knows every published answer, the relations between cells (each is a sum of unknown counts),
that a shown count c means an exact count within `bounds(c)`, and that counts are non-negative
integers. It bounds any cell by minimising and maximising it (scipy's HiGHS), and a cell is
*pinned* when a single integer is left between the two."""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from vigie_reporting.suppression import ROUNDING, bounds

Terms = frozenset[Hashable]  # a cell: the sum of these unknowns
EPS = 1e-6


@dataclass
class LinearAttacker:
    """Unknown non-negative counts, observed through sums of them."""

    rounding: int = ROUNDING  # what a shown count was rounded to (1: exact)
    index: dict[Hashable, int] = field(default_factory=dict)
    # (unknowns, low, high): low ≤ Σ unknowns ≤ high
    intervals: list[tuple[list[int], float, float]] = field(default_factory=list)
    # (left, right): Σ left = Σ right
    equalities: list[tuple[list[int], list[int]]] = field(default_factory=list)
    _built: tuple[tuple[int, int, int], tuple[Any, Any, Any]] | None = None

    def var(self, key: Hashable) -> int:
        """The column of one unknown count."""
        return self.index.setdefault(key, len(self.index))

    def observe(self, terms: Iterable[Hashable], shown: int | None) -> None:
        """A published cell: shown (rounded) or hidden (None: nothing but non-negativity)."""
        columns = [self.var(t) for t in terms]
        if shown is not None:
            low, high = bounds(shown, base=self.rounding)
            self.intervals.append((columns, low, high))

    def equal(self, left: Iterable[Hashable], right: Iterable[Hashable]) -> None:
        """Two sums the adversary knows to be equal (two breakdowns of one total)."""
        self.equalities.append(([self.var(t) for t in left], [self.var(t) for t in right]))

    def holds_for(self, truth: Mapping[Any, int]) -> bool:
        """Whether the true counts satisfy everything observed (the model is right)."""
        x = self._vector(truth)
        ok = all(low - EPS <= x[c].sum() <= high + EPS for c, low, high in self.intervals)
        return ok and all(abs(x[a].sum() - x[b].sum()) < EPS for a, b in self.equalities)

    def range_of(
        self, terms: Iterable[Hashable], *, least: bool = True, greatest: bool = True
    ) -> tuple[float, float]:
        """The least and the greatest value the cell can take (-inf / inf when not asked)."""
        objective = np.zeros(len(self.index))
        for t in terms:
            objective[self.index[t]] += 1.0
        low = self._optimum(objective) if least else -math.inf
        high = -self._optimum(-objective) if greatest else math.inf
        return low, high

    def feasible_points(self, count: int, *, seed: int) -> list[np.ndarray]:
        """Vertices of the feasible set where random positive mixes of every unknown are
        greatest, and least, in turn: cheap witnesses that cells can be above or below what
        they truly are (exact ranges are then computed only for the others)."""
        rng = random.Random(seed)
        points = []
        for n in range(count):
            sign = -1.0 if n % 2 == 0 else 1.0  # greatest, then least
            objective = np.array([sign * rng.uniform(0.1, 1.0) for _ in range(len(self.index))])
            # A cap keeps unbounded directions (cells hidden everywhere) finite.
            result = self._solve(objective, cap=1000.0)
            assert result.status == 0, result.message
            points.append(result.x)
        return points

    def extreme(self, terms: Iterable[Hashable], *, greatest: bool) -> np.ndarray | None:
        """A feasible point where the cell is greatest (or least); None when unbounded."""
        objective = np.zeros(len(self.index))
        for t in terms:
            objective[self.index[t]] += -1.0 if greatest else 1.0
        result = self._solve(objective)
        if result.status == 3:
            return None
        assert result.status == 0, result.message
        return np.asarray(result.x)

    def values(self, points: list[np.ndarray], cells: Sequence[Iterable[Hashable]]) -> np.ndarray:
        """Each cell's value (rows) at each point (columns)."""
        return np.asarray(self.cell_matrix(cells) @ np.column_stack(points))

    def cell_matrix(self, cells: Sequence[Iterable[Hashable]]) -> Any:
        """The cells as rows of a matrix over the unknowns (a cell's values: matrix @ point)."""
        rows: list[int] = []
        cols: list[int] = []
        for r, terms in enumerate(cells):
            for t in terms:
                rows.append(r)
                cols.append(self.index[t])
        return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(cells), len(self.index)))

    def _vector(self, truth: Mapping[Any, int]) -> np.ndarray:
        x = np.zeros(len(self.index))
        for key, column in self.index.items():
            x[column] = truth.get(key, 0)
        return x

    def _optimum(self, objective: np.ndarray) -> float:
        result = self._solve(objective)
        if result.status == 3:  # unbounded: nothing published bounds the cell
            return -math.inf
        assert result.status == 0, result.message
        return float(result.fun)

    def _solve(self, objective: np.ndarray, *, cap: float | None = None) -> Any:
        a_ub, b_ub, a_eq = self._matrices()
        return linprog(
            objective,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq,
            b_eq=np.zeros(a_eq.shape[0]) if a_eq is not None else None,
            bounds=(0, cap),
            method="highs",
        )

    def _matrices(self) -> tuple[Any, Any, Any]:
        # Built once per set of observations: only the objective changes between solves.
        key = (len(self.index), len(self.intervals), len(self.equalities))
        if self._built is not None and self._built[0] == key:
            return self._built[1]
        width = len(self.index)
        rows: list[int] = []
        cols: list[int] = []
        data: list[float] = []
        rhs: list[float] = []
        for columns, low, high in self.intervals:
            for sign, limit in ((1.0, high), (-1.0, -low)):
                rows += [len(rhs)] * len(columns)
                cols += columns
                data += [sign] * len(columns)
                rhs.append(limit)
        eq_rows: list[int] = []
        eq_cols: list[int] = []
        eq_data: list[float] = []
        for r, (left, right) in enumerate(self.equalities):
            eq_rows += [r] * (len(left) + len(right))
            eq_cols += left + right
            eq_data += [1.0] * len(left) + [-1.0] * len(right)
        a_ub = csr_matrix((data, (rows, cols)), shape=(len(rhs), width)) if rhs else None
        b_ub = np.array(rhs) if rhs else None
        a_eq = (
            csr_matrix((eq_data, (eq_rows, eq_cols)), shape=(len(self.equalities), width))
            if self.equalities
            else None
        )
        self._built = (key, (a_ub, b_ub, a_eq))
        return a_ub, b_ub, a_eq


def pinned(low: float, high: float) -> bool:
    """Whether a single integer lies in [low, high]."""
    if math.isinf(high):
        return False
    return math.floor(high + EPS) <= math.ceil(low - EPS)
