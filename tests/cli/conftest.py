"""Fixtures of the CLI tests: the reference territories, parsed once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigie.platform.territories import Territory, parse_territories, reference_csv

NOW = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def reference_territories() -> list[Territory]:
    """Every territory of the shipped reference file."""
    return list(parse_territories(reference_csv()).territories.values())
