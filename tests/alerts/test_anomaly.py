"""The "unusual for this neighbourhood" score on constructed histories: bursts fire, the usual
does not, weekly patterns are expected, an empty history stays sane."""

from __future__ import annotations

import itertools
import math
import time
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vigie_alerts.anomaly import HISTORY_DAYS, MAX_SURPRISE, anomaly_score, anomaly_scores

SUNDAY = date(2025, 6, 1)
WEEKEND = (5, 6)  # date.weekday() of Saturday and Sunday


def by_weekday(per_weekday: list[int], *, days: int, last_day: date) -> list[int]:
    """Daily counts over `days` days ending at last_day, each day's from its weekday."""
    first = last_day - timedelta(days=days - 1)
    return [per_weekday[(first + timedelta(days=i)).weekday()] for i in range(days)]


def history(per_weekday: list[int], *, window_days: int, last_day: date = SUNDAY) -> list[int]:
    """The HISTORY_DAYS before a window of window_days ending at last_day."""
    return by_weekday(
        per_weekday, days=HISTORY_DAYS, last_day=last_day - timedelta(days=window_days)
    )


def score(past: list[int], window: list[int]) -> float:
    """The surprise of a window after a history."""
    return anomaly_score(past + window, window_days=len(window))


def test_a_quiet_estate_with_a_burst_fires() -> None:
    """One incident a week for 12 weeks, then 7 in a week: alerte (>= 3)."""
    quiet = history([0, 0, 1, 0, 0, 0, 0], window_days=7)
    assert score(quiet, [2, 1, 1, 1, 1, 1, 0]) >= 3
    assert score(quiet, [1, 0, 0, 0, 0, 0, 0]) < 1


def test_a_busier_estate_doubling_fires() -> None:
    """About 20 incidents a week, then 40 in a week."""
    steady = history([3, 3, 3, 3, 3, 3, 2], window_days=7)
    assert score(steady, [6, 6, 6, 6, 6, 6, 4]) >= 3


def test_the_usual_level_does_not_fire() -> None:
    steady = history([3, 3, 3, 3, 3, 3, 2], window_days=7)
    assert score(steady, [3, 3, 3, 3, 3, 3, 2]) < 2
    assert score(steady, [4, 3, 4, 3, 4, 3, 3]) < 2  # a little above the usual


def test_the_score_grows_with_the_count() -> None:
    steady = history([1, 1, 1, 1, 1, 1, 1], window_days=7)
    scores = [score(steady, [n, 0, 0, 0, 0, 0, 0]) for n in range(30)]
    assert scores[0] == 0
    assert all(a < b for a, b in itertools.pairwise(scores))


WEEKLY = [4, 4, 4, 4, 4, 20, 20]  # weekends five times busier


def test_a_usual_weekend_is_not_surprising() -> None:
    """A weekend window at the usual weekend level, in a territory busy every weekend."""
    past = history(WEEKLY, window_days=2)
    assert score(past, [20, 20]) < 2


def test_the_same_counts_on_weekdays_fire() -> None:
    """The counts of a usual weekend on a Monday and a Tuesday: the weekday profile is what
    made the weekend unsurprising."""
    tuesday = SUNDAY + timedelta(days=2)
    past = history(WEEKLY, window_days=2, last_day=tuesday)
    assert score(past, [20, 20]) >= 3


def test_the_same_weekend_fires_without_a_weekly_pattern() -> None:
    """Same weekly total (60) spread evenly: the same weekend is now unusual."""
    flat = history([8, 8, 8, 9, 9, 9, 9], window_days=2)
    assert sum(flat) == sum(history(WEEKLY, window_days=2))
    assert score(flat, [20, 20]) >= 3


def test_a_single_event_does_not_make_a_weekday_busy() -> None:
    """A quiet estate (Wednesdays) with one Saturday incident long ago: a weekend of three
    incidents is nearly as unusual as without that Saturday."""
    past = history([0, 0, 1, 0, 0, 0, 0], window_days=2)
    first = SUNDAY - timedelta(days=2 + HISTORY_DAYS - 1)
    saturday = next(i for i in range(7) if (first + timedelta(days=i)).weekday() == 5)
    one_saturday = past.copy()
    one_saturday[saturday] += 1
    assert score(one_saturday, [2, 1]) >= 2
    assert score(one_saturday, [2, 1]) > score(past, [2, 1]) - 0.5


def test_whole_weeks_ignore_the_weekly_pattern() -> None:
    """A 7-day window is compared with the weekly total whatever the pattern."""
    patterned = history(WEEKLY, window_days=7)
    flat = history([8, 8, 8, 9, 9, 9, 9], window_days=7)
    window = [10, 10, 10, 10, 10, 10, 20]
    assert score(patterned, window) == pytest.approx(score(flat, window))


def test_an_empty_history_keeps_the_score_finite_and_moderate() -> None:
    """No incident in 12 weeks: one incident does not reach vigilance, three stay below
    critique, and a flood is finite."""
    empty = [0] * HISTORY_DAYS
    assert score(empty, [0] * 7) == 0
    assert score(empty, [1, 0, 0, 0, 0, 0, 0]) < 2
    assert score(empty, [1, 1, 1, 0, 0, 0, 0]) < 4
    assert math.isfinite(score(empty, [1000, 0, 0, 0, 0, 0, 0]))


def test_an_impossible_count_is_capped() -> None:
    assert score([0] * HISTORY_DAYS, [10**6]) == pytest.approx(MAX_SURPRISE)


def test_nothing_observed_scores_zero() -> None:
    assert score(history(WEEKLY, window_days=7), [0] * 7) == 0


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        np.int64,
        st.tuples(st.integers(1, 20), st.just(HISTORY_DAYS + 3)),
        elements=st.integers(0, 30),
    )
)
def test_the_sweep_matches_one_by_one(daily: np.ndarray) -> None:
    scores = anomaly_scores(daily, window_days=3)
    assert scores.shape == (daily.shape[0],)
    assert scores.dtype == np.float64
    singles = [anomaly_score(row.tolist(), window_days=3) for row in daily]
    assert scores.tolist() == pytest.approx(singles)
    assert (scores >= 0).all()
    assert np.isfinite(scores).all()


def test_a_full_sweep_takes_milliseconds() -> None:
    """About 1,500 territories at once; generous bound, against a loop creeping in."""
    daily = np.random.default_rng(7).poisson(0.5, size=(1500, HISTORY_DAYS + 28))
    anomaly_scores(daily, window_days=28)
    started = time.perf_counter()
    anomaly_scores(daily, window_days=28)
    assert time.perf_counter() - started < 0.25


@pytest.mark.parametrize(
    ("shape", "window_days"),
    [((3, HISTORY_DAYS + 6), 7), ((HISTORY_DAYS + 7,), 7), ((3, HISTORY_DAYS), 0)],
)
def test_a_wrong_shape_is_refused(shape: tuple[int, ...], window_days: int) -> None:
    with pytest.raises(ValueError, match=r"window_days|shape"):
        anomaly_scores(np.zeros(shape), window_days=window_days)


def test_negative_counts_are_refused() -> None:
    daily = np.zeros((1, HISTORY_DAYS + 1))
    daily[0, 3] = -1
    with pytest.raises(ValueError, match="negative"):
        anomaly_scores(daily, window_days=1)
