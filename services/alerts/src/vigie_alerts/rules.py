"""An alert rule as a client PUTs it: what to count, where, over which window, and the levels.

Every model forbids unknown fields (a misspelt field is an error, not a silently ignored one),
and every validation error carries the path of the field at fault (`levels.alerte`,
`selector.categories`…). Cross-field checks are field validators of the later field, reading
the earlier ones from `info.data`, so that their errors are located on a field too; field order
therefore matters in these classes.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from vigie.contract.events import Identifier, Target
from vigie.contract.nomenclature import default_nomenclature

Level: TypeAlias = Literal["vigilance", "alerte", "critique"]
LEVELS: tuple[Level, ...] = ("vigilance", "alerte", "critique")
Metric: TypeAlias = Literal["count", "rate_per_1000_dwellings", "anomaly"]
TerritoryKind: TypeAlias = Literal["qpv", "commune", "departement", "region", "pays"]

# For the API, on the rule id of PUT /rules/{rule_id}. In Python, use re.fullmatch: re.match's
# `$` also matches before a final newline (pydantic's Rust regex engine does not).
RULE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

_RANKS: dict[Level, int] = {level: rank for rank, level in enumerate(LEVELS)}
_MODEL_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True)

Threshold = Annotated[float, Field(gt=0, allow_inf_nan=False)]


def level_rank(level: Level) -> int:
    """The position of a level in LEVELS: vigilance 0, alerte 1, critique 2."""
    return _RANKS[level]


class Scope(BaseModel):
    """Where the rule applies. `territory_ids` alone: exactly those territories (of any kind);
    `territory_kind` alone: every territory of that kind; neither: every QPV. `landlord_id`
    restricts the counts to one landlord's incidents (None: all landlords together)."""

    model_config = _MODEL_CONFIG

    territory_ids: Annotated[list[Identifier], Field(min_length=1)] | None = None
    territory_kind: TerritoryKind | None = None
    landlord_id: Identifier | None = None

    @field_validator("territory_kind")
    @classmethod
    def _not_both(cls, value: TerritoryKind | None, info: ValidationInfo) -> TerritoryKind | None:
        # "These territories" and "every territory of a kind" would need a rule for combining
        # them (intersection? union?); refusing keeps either meaning open for later.
        if value is not None and info.data.get("territory_ids") is not None:
            raise ValueError("give territory_ids or territory_kind, not both")
        return value


class Selector(BaseModel):
    """Which incidents count: None for a list means no restriction."""

    model_config = _MODEL_CONFIG

    categories: Annotated[list[str], Field(min_length=1)] | None = None
    domains: Annotated[list[str], Field(min_length=1)] | None = None
    min_severity: Annotated[int, Field(ge=1, le=4)] = 1
    targets: Annotated[list[Target], Field(min_length=1)] | None = None

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str] | None) -> list[str] | None:
        known = default_nomenclature().category_codes()
        unknown = sorted({code for code in value or () if code not in known})
        if unknown:
            raise ValueError(f"unknown category code(s) {', '.join(unknown)}")
        return value

    @field_validator("domains")
    @classmethod
    def _known_domains(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        known = {domain.code for domain in default_nomenclature().domains}
        unknown = sorted({code for code in value or () if code not in known})
        if unknown:
            raise ValueError(f"unknown GSUP domain(s) {', '.join(unknown)}")
        if _selected(info.data.get("categories"), value) == []:
            raise ValueError("selects no category (none of selector.categories is in them)")
        return value

    @field_validator("targets")
    @classmethod
    def _targets_without_severity(
        cls, value: list[Target] | None, info: ValidationInfo
    ) -> list[Target] | None:
        if value is not None and info.data.get("min_severity", 1) > 1:
            raise ValueError(
                "cannot be combined with min_severity > 1: the counters keep severity and target"
                " as separate breakdowns, so incidents of these targets at that severity cannot"
                " be counted exactly"
            )
        return value

    def category_codes(self) -> list[str] | None:
        """The category codes counted, sorted; None for every category."""
        return _selected(self.categories, self.domains)


def _selected(categories: list[str] | None, domains: list[str] | None) -> list[str] | None:
    if categories is None and domains is None:
        return None
    return sorted(
        c.code
        for c in default_nomenclature().categories
        if (categories is None or c.code in categories) and (domains is None or c.domain in domains)
    )


class Levels(BaseModel):
    """The thresholds of the levels in use (at least one), strictly increasing in level order."""

    model_config = _MODEL_CONFIG

    vigilance: Threshold | None = None
    alerte: Threshold | None = None
    critique: Threshold | None = None

    @field_validator("alerte", "critique")
    @classmethod
    def _above_lower_levels(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None:
            return value
        names: tuple[str, ...] = LEVELS
        for lower in reversed(names[: names.index(str(info.field_name))]):
            below = info.data.get(lower)
            if below is not None:
                if value <= below:
                    raise ValueError(f"must be above the {lower} threshold ({below:g})")
                break
        return value

    @model_validator(mode="after")
    def _at_least_one(self) -> Levels:
        if not self.given():
            raise ValueError("give at least one of vigilance, alerte, critique")
        return self

    def given(self) -> list[tuple[Level, float]]:
        """The levels in use with their thresholds, ascending."""
        thresholds = (self.vigilance, self.alerte, self.critique)
        return [(level, t) for level, t in zip(LEVELS, thresholds, strict=True) if t is not None]


class Rule(BaseModel):
    """An alert rule: the windowed value of the selected incidents, per territory of the scope,
    compared with the levels' thresholds.

    The value is, by `metric`: `count`, the number of incidents in the last `window_days` days;
    `rate_per_1000_dwellings`, that number per 1,000 social dwellings of the territory;
    `anomaly`, a surprise score (vigie_alerts.anomaly): -log10 of the probability of at least
    that many incidents given the territory's own previous 12 weeks, so levels of 2, 3 and 4 mean
    tail probabilities of 1 %, 0.1 % and 0.01 %. A level needs at least `min_count` incidents;
    an open alert resolves once the value falls below `clear_ratio` × the lowest threshold, and
    an unacknowledged one goes to the escalation tier after `escalate_after_minutes`.
    """

    model_config = _MODEL_CONFIG

    name: Annotated[str, Field(min_length=1, max_length=200)]
    scope: Scope = Scope()
    selector: Selector = Selector()
    window_days: Annotated[int, Field(ge=1, le=365)]
    metric: Metric = "count"
    levels: Levels
    clear_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.8
    min_count: Annotated[int, Field(ge=1)] = 1
    escalate_after_minutes: Annotated[int, Field(ge=1)] | None = None
    enabled: bool = True

    def thresholds(self) -> list[tuple[Level, float]]:
        """The levels in use with their thresholds, ascending."""
        return self.levels.given()

    def threshold(self, level: Level) -> float:
        """The threshold of a level in use; ValueError for one the rule does not have."""
        for given, value in self.thresholds():
            if given == level:
                return value
        raise ValueError(f"rule {self.name!r} has no {level} level")

    def level_for(self, *, value: float, count: int) -> Level | None:
        """The highest level whose threshold the value reaches; None below them all or with
        fewer than min_count incidents."""
        if count < self.min_count:
            return None
        reached = [level for level, threshold in self.thresholds() if value >= threshold]
        return reached[-1] if reached else None

    def clear_below(self) -> float:
        """The value under which an open alert resolves."""
        return self.clear_ratio * self.thresholds()[0][1]
