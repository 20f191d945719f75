"""The reliability suite's settings: short by default, long with `pytest --long`."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Scale:
    """How hard a fault test pushes."""

    long: bool
    kills: int  # SIGKILLs across the kill test
    events: int  # events sent through intake per fault test
    outage_s: float  # how long the database refuses writes


SHORT = Scale(long=False, kills=3, events=2_000, outage_s=3.0)
# Rounds of 5,000 events follow one another until the last kill: the test ends soon after it
# (a first long run, rounds of 60,000, was still sending its last one at ~37 events/s on a
# shared machine 7 minutes after its 120th kill).
LONG = Scale(long=True, kills=120, events=5_000, outage_s=30.0)


@pytest.fixture
def scale(request: pytest.FixtureRequest) -> Scale:
    """SHORT, or LONG under `--long`."""
    return LONG if request.config.getoption("--long") else SHORT
