"""Unusual for this neighbourhood: a window's count against the territory's own history.

Model. A territory's daily incidents are Poisson with a rate that is not known exactly. Its
posterior after the HISTORY_DAYS (12 weeks) just before the window, from a Jeffreys-like prior,
is Gamma(shape = history total + 0.5, rate = 84 days); the window's count then follows the
posterior predictive, a negative binomial. The half incident of prior keeps a territory with no
history from scoring infinitely high on its first incidents, and the rate's uncertainty makes a
short or thin history less sure of itself than a plain Poisson would be.

Weekday seasonality. Many territories are busy at weekends, every weekend: a window of
weekend days there is not news. The window's expected count is therefore the sum, over its
days, of the rate scaled by that weekday's factor in the history (its mean over the 12 weeks
against the overall mean). 12 full weeks give each weekday exactly 12 samples (and, the days
being consecutive, a column's weekday is its position modulo 7: no calendar is needed). The
factors average 1 over a week, so a window of whole weeks is not affected at all and windows of
7 days or more barely. Each weekday's mean is smoothed towards the overall mean by
PROFILE_PRIOR_INCIDENTS pseudo-incidents, so that one or two events do not make a weekday
"busy" in a quiet territory, nor a weekday without any make its first one extraordinary.

Score. surprise = -log10 P(X >= observed), with scipy's negative binomial: 2, 3 and 4 mean
tail probabilities of 1 %, 0.1 % and 0.01 %. 0 when nothing was observed; at most
MAX_SURPRISE, where the tail probability underflows float64.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import nbinom

HISTORY_DAYS = 84
PRIOR_SHAPE = 0.5
PROFILE_PRIOR_INCIDENTS = 5.0
_WEEKS = HISTORY_DAYS // 7
_TINY = float(np.finfo(np.float64).tiny)
MAX_SURPRISE = -float(np.log10(_TINY))

Floats = npt.NDArray[np.float64]


def anomaly_scores(daily: npt.NDArray[Any], *, window_days: int) -> Floats:
    """The surprise of each territory's window. `daily` holds counts, one row per territory and
    one column per consecutive day, oldest first: HISTORY_DAYS of history, then the window."""
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, not {window_days}")
    if daily.ndim != 2 or daily.shape[1] != HISTORY_DAYS + window_days:
        raise ValueError(f"daily must have shape (territories, {HISTORY_DAYS + window_days})")
    counts = daily.astype(np.float64)
    if (counts < 0).any():
        raise ValueError("daily counts must not be negative")
    history, window = counts[:, :HISTORY_DAYS], counts[:, HISTORY_DAYS:]
    # The history is whole weeks, so a column's position modulo 7 tells its weekday (which day
    # of the week that is does not matter), in the window too.
    per_weekday = history.reshape(-1, _WEEKS, 7).sum(axis=1)
    total = per_weekday.sum(axis=1)
    factors = _weekday_factors(per_weekday, total=total)
    # The window's length in "average days": each of its days weighted by its weekday's factor.
    exposure = factors @ np.bincount(np.arange(window_days) % 7, minlength=7).astype(np.float64)
    shape = total + PRIOR_SHAPE
    # The Gamma(shape, HISTORY_DAYS) mixture of Poisson(rate × exposure) is NB(shape, p).
    p = HISTORY_DAYS / (HISTORY_DAYS + exposure)
    observed = window.sum(axis=1)
    tail = np.asarray(nbinom.sf(observed - 1, shape, p), dtype=np.float64)
    surprise = -np.log10(np.maximum(tail, _TINY))
    return np.where(observed > 0, np.maximum(surprise, 0.0), 0.0)


def anomaly_score(daily: Sequence[float], *, window_days: int) -> float:
    """The surprise of one territory's window (see anomaly_scores)."""
    row = np.asarray(daily, dtype=np.float64).reshape(1, -1)
    return float(anomaly_scores(row, window_days=window_days)[0])


def _weekday_factors(per_weekday: Floats, *, total: Floats) -> Floats:
    """Each weekday's smoothed mean against the overall mean, averaging 1 over the week."""
    expected = total[:, None] / 7  # each weekday's share of the history if there were no pattern
    smoothed = (per_weekday + PROFILE_PRIOR_INCIDENTS) / (expected + PROFILE_PRIOR_INCIDENTS)
    weekly_mean: Floats = smoothed.mean(axis=1, keepdims=True)
    return smoothed / weekly_mean
