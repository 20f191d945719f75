"""The incident nomenclature (docs/contract.md §4): categories and GSUP domains, loaded from a data
file
so that changing a label or adding a category is a data change, not a code change."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class Domain(BaseModel):
    """A GSUP domain (gestion sociale et urbaine de proximité)."""

    model_config = ConfigDict(frozen=True)
    code: str
    label: str


class Category(BaseModel):
    """An incident category, belonging to one GSUP domain."""

    model_config = ConfigDict(frozen=True)
    code: str
    label: str
    domain: str


class Nomenclature(BaseModel):
    """Categories and domains, with look-ups by code."""

    model_config = ConfigDict(frozen=True)
    domains: tuple[Domain, ...]
    categories: tuple[Category, ...]

    def category(self, code: str) -> Category | None:
        """The category with this code, or None."""
        return self._categories_by_code().get(code)

    def domain_of(self, category_code: str) -> str:
        """The GSUP domain of a known category."""
        return self._categories_by_code()[category_code].domain

    def category_codes(self) -> frozenset[str]:
        """Every category code."""
        return frozenset(self._categories_by_code())

    def _categories_by_code(self) -> dict[str, Category]:
        return _index(self)


# Keyed by identity, not @cache: hashing a frozen model hashes every category (~7 µs), and
# this lookup runs for each validated event.
_INDEXES: dict[int, tuple[Nomenclature, dict[str, Category]]] = {}


def _index(nomenclature: Nomenclature) -> dict[str, Category]:
    entry = _INDEXES.get(id(nomenclature))
    if entry is None or entry[0] is not nomenclature:
        entry = (nomenclature, {c.code: c for c in nomenclature.categories})
        _INDEXES[id(nomenclature)] = entry
    return entry[1]


def load_nomenclature(path: Path | None = None) -> Nomenclature:
    """Read a nomenclature file; by default the one shipped with Vigie."""
    raw = path.read_bytes() if path else _default_bytes()
    nomenclature = Nomenclature.model_validate(json.loads(raw))
    unknown = {c.domain for c in nomenclature.categories} - {d.code for d in nomenclature.domains}
    if unknown:
        raise ValueError(f"nomenclature: categories refer to unknown domains {sorted(unknown)}")
    return nomenclature


@cache
def default_nomenclature() -> Nomenclature:
    """The shipped nomenclature, read once per process."""
    return load_nomenclature()


def _default_bytes() -> bytes:
    return files("vigie.contract").joinpath("nomenclature.json").read_bytes()
