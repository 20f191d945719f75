"""The nomenclature is data: the default set of docs/contract.md §4, and a loader that checks it."""

import json
from pathlib import Path

import pytest

from vigie.contract.nomenclature import default_nomenclature, load_nomenclature


def test_the_default_set_has_the_contract_categories_and_domains() -> None:
    nomenclature = default_nomenclature()
    assert len(nomenclature.categories) == 18
    assert [d.code for d in nomenclature.domains] == [
        "cadre_de_vie",
        "qualite_service",
        "vivre_ensemble",
        "prevention_insecurite",
    ]
    assert nomenclature.domain_of("TRA-DEA") == "prevention_insecurite"
    tags = nomenclature.category("BIE-TAG")
    assert tags is not None
    assert tags.label == "tags, graffitis"
    assert nomenclature.category("NOPE") is None


def test_a_file_with_a_category_in_an_unknown_domain_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text(
        json.dumps(
            {
                "domains": [{"code": "a", "label": "A"}],
                "categories": [{"code": "X", "label": "x", "domain": "b"}],
            }
        )
    )
    with pytest.raises(ValueError, match="unknown domains"):
        load_nomenclature(path)
