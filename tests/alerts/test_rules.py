"""The rule a client PUTs: validation (every error names its field) and the level look-ups."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from vigie.contract.nomenclature import default_nomenclature
from vigie_alerts.rules import LEVELS, RULE_ID_PATTERN, Rule, level_rank

NOMENCLATURE = default_nomenclature()


def rule(**fields: Any) -> dict[str, Any]:
    """A valid rule body, with some fields replaced."""
    return {"name": "Dépôts", "window_days": 7, "levels": {"vigilance": 5, "alerte": 10}} | fields


def errors_of(body: dict[str, Any]) -> dict[str, str]:
    """Field path → message of every validation error of the body."""
    with pytest.raises(ValidationError) as caught:
        Rule.model_validate(body)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


def test_a_minimal_rule_takes_the_defaults() -> None:
    parsed = Rule.model_validate(rule())
    assert parsed.metric == "count"
    assert (parsed.clear_ratio, parsed.min_count, parsed.enabled) == (0.8, 1, True)
    assert parsed.scope.territory_ids is None
    assert parsed.scope.territory_kind is None
    assert parsed.selector.category_codes() is None
    assert parsed.escalate_after_minutes is None


def test_a_rule_round_trips_through_json() -> None:
    parsed = Rule.model_validate(
        rule(
            scope={"territory_kind": "commune", "landlord_id": "LOG13"},
            selector={"domains": ["cadre_de_vie"], "targets": ["personnel"]},
            metric="anomaly",
            levels={"vigilance": 2, "alerte": 3, "critique": 4},
            escalate_after_minutes=30,
        )
    )
    assert Rule.model_validate_json(parsed.model_dump_json()) == parsed


def test_levels_rank_in_order() -> None:
    assert [level_rank(level) for level in LEVELS] == [0, 1, 2]
    assert LEVELS == ("vigilance", "alerte", "critique")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (rule(nmae="x"), "nmae"),
        (rule(levels={"vigilance": 5, "alerts": 9}), "levels.alerts"),
        (rule(selector={"categorie": ["ENV-DEP"]}), "selector.categorie"),
        (rule(scope={"territory": "QN00101M"}), "scope.territory"),
    ],
)
def test_a_misspelt_field_is_an_error(body: dict[str, Any], field: str) -> None:
    assert errors_of(body)[field] == "Extra inputs are not permitted"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"window_days": 0}, "window_days"),
        ({"window_days": 366}, "window_days"),
        ({"metric": "sum"}, "metric"),
        ({"clear_ratio": 1}, "clear_ratio"),
        ({"clear_ratio": 0}, "clear_ratio"),
        ({"min_count": 0}, "min_count"),
        ({"escalate_after_minutes": 0}, "escalate_after_minutes"),
        ({"levels": {"alerte": 0}}, "levels.alerte"),
        ({"levels": {"alerte": float("nan")}}, "levels.alerte"),
        ({"selector": {"min_severity": 5}}, "selector.min_severity"),
        ({"selector": {"targets": ["voisin"]}}, "selector.targets.0"),
        ({"selector": {"categories": []}}, "selector.categories"),
        ({"scope": {"territory_ids": []}}, "scope.territory_ids"),
        ({"scope": {"territory_kind": "quartier"}}, "scope.territory_kind"),
    ],
)
def test_a_bad_value_names_its_field(fields: dict[str, Any], field: str) -> None:
    assert field in errors_of(rule(**fields))


def test_an_unknown_category_is_named() -> None:
    errors = errors_of(rule(selector={"categories": ["ENV-DEP", "ENV-XXX"]}))
    assert "ENV-XXX" in errors["selector.categories"]
    assert "ENV-DEP" not in errors["selector.categories"]


def test_an_unknown_domain_is_named() -> None:
    errors = errors_of(rule(selector={"domains": ["cadre_de_vie", "jardinage"]}))
    assert "jardinage" in errors["selector.domains"]


def test_categories_and_domains_intersect() -> None:
    domain = NOMENCLATURE.categories[0].domain
    in_domain = [c.code for c in NOMENCLATURE.categories if c.domain == domain]
    outside = next(c.code for c in NOMENCLATURE.categories if c.domain != domain)
    parsed = Rule.model_validate(
        rule(selector={"categories": [outside, *in_domain[:2]], "domains": [domain]})
    )
    assert parsed.selector.category_codes() == sorted(in_domain[:2])


def test_a_domain_alone_selects_its_categories() -> None:
    domain = NOMENCLATURE.domains[0].code
    parsed = Rule.model_validate(rule(selector={"domains": [domain]}))
    expected = sorted(c.code for c in NOMENCLATURE.categories if c.domain == domain)
    assert parsed.selector.category_codes() == expected


def test_a_selector_that_selects_nothing_is_refused() -> None:
    category = NOMENCLATURE.categories[0]
    other = next(d.code for d in NOMENCLATURE.domains if d.code != category.domain)
    errors = errors_of(rule(selector={"categories": [category.code], "domains": [other]}))
    assert "selects no category" in errors["selector.domains"]


def test_targets_with_a_minimum_severity_are_refused() -> None:
    errors = errors_of(rule(selector={"min_severity": 3, "targets": ["personnel"]}))
    assert "separate breakdowns" in errors["selector.targets"]


def test_targets_alone_or_severity_alone_are_accepted() -> None:
    Rule.model_validate(rule(selector={"targets": ["personnel", "prestataire"]}))
    Rule.model_validate(rule(selector={"min_severity": 3}))


def test_at_least_one_level() -> None:
    assert "at least one" in errors_of(rule(levels={}))["levels"]


@pytest.mark.parametrize(
    ("levels", "field"),
    [
        ({"vigilance": 5, "alerte": 5}, "levels.alerte"),
        ({"vigilance": 5, "alerte": 4}, "levels.alerte"),
        ({"vigilance": 5, "critique": 3}, "levels.critique"),
        ({"vigilance": 1, "alerte": 10, "critique": 9}, "levels.critique"),
    ],
)
def test_levels_increase_strictly(levels: dict[str, float], field: str) -> None:
    errors = errors_of(rule(levels=levels))
    assert list(errors) == [field]
    assert "must be above" in errors[field]


def test_a_scope_names_territories_or_a_kind_not_both() -> None:
    errors = errors_of(rule(scope={"territory_ids": ["QN00101M"], "territory_kind": "qpv"}))
    assert "not both" in errors["scope.territory_kind"]


def test_strings_are_not_numbers() -> None:
    assert "window_days" in errors_of(rule(window_days="7"))


def test_thresholds_ascend_and_skip_missing_levels() -> None:
    parsed = Rule.model_validate(rule(levels={"vigilance": 3, "critique": 12}))
    assert parsed.thresholds() == [("vigilance", 3.0), ("critique", 12.0)]
    assert parsed.threshold("critique") == 12.0
    with pytest.raises(ValueError, match="no alerte level"):
        parsed.threshold("alerte")


def test_level_for_picks_the_highest_reached() -> None:
    parsed = Rule.model_validate(rule(levels={"vigilance": 3, "alerte": 6, "critique": 12}))
    assert parsed.level_for(value=2.99, count=5) is None
    assert parsed.level_for(value=3, count=5) == "vigilance"
    assert parsed.level_for(value=11.9, count=5) == "alerte"
    assert parsed.level_for(value=100, count=5) == "critique"


def test_level_for_needs_min_count() -> None:
    parsed = Rule.model_validate(rule(metric="anomaly", min_count=3, levels={"alerte": 3}))
    assert parsed.level_for(value=9, count=2) is None
    assert parsed.level_for(value=9, count=3) == "alerte"


def test_clear_below_is_a_ratio_of_the_lowest_threshold() -> None:
    parsed = Rule.model_validate(rule(levels={"alerte": 10, "critique": 20}, clear_ratio=0.5))
    assert parsed.clear_below() == 5.0


@pytest.mark.parametrize("rule_id", ["dépôts-93", "-x", ".x", "a b", "x" * 65, "a/b", "", "a\n"])
def test_rule_id_pattern_refuses(rule_id: str) -> None:
    assert re.fullmatch(RULE_ID_PATTERN, rule_id) is None


@pytest.mark.parametrize("rule_id", ["a", "depots-93", "R1.v2_b", "9" * 64])
def test_rule_id_pattern_accepts(rule_id: str) -> None:
    assert re.fullmatch(RULE_ID_PATTERN, rule_id)
