"""Fixtures of the CLI tests: the reference territories, parsed once."""

from __future__ import annotations

import pytest

from vigie.platform.territories import Territory, parse_territories, reference_csv


@pytest.fixture(scope="session")
def reference_territories() -> list[Territory]:
    """Every territory of the shipped reference file."""
    return list(parse_territories(reference_csv()).territories.values())
