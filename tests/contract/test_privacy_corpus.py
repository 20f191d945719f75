"""Masking proven on a corpus of French spellings (privacy_corpus.json): every positive value is
masked in every template, by its own marker, and nothing else of the text changes; every
negative text (dates, times, amounts, building numbers, QPV codes) comes out unchanged. Then
properties: masking is idempotent, and no phone number, in any usual spelling, leaves a digit
run behind."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigie.contract.privacy import (
    EMAIL_MASK,
    IBAN_MASK,
    NAME_MASK,
    NIR_MASK,
    PHONE_MASK,
    PLATE_MASK,
    mask_personal_data,
)

CORPUS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "privacy_corpus.json").read_text(encoding="utf-8")
)
MARKERS = {
    "phone": PHONE_MASK,
    "email": EMAIL_MASK,
    "plate": PLATE_MASK,
    "iban": IBAN_MASK,
    "nir": NIR_MASK,
    "name": NAME_MASK,
}
CASES = [
    pytest.param(item["value"], MARKERS[item["mask"]], template, id=f"{item['value']}|{i}")
    for item in CORPUS["positive"]
    for i, template in enumerate(CORPUS["templates"])
]


def test_the_corpus_covers_every_kind_of_personal_data() -> None:
    kinds = {item["mask"] for item in CORPUS["positive"]}
    assert kinds == set(MARKERS)
    assert len(CORPUS["negative"]) >= 20


@pytest.mark.parametrize(("value", "marker", "template"), CASES)
def test_personal_data_is_masked_and_nothing_else(value: str, marker: str, template: str) -> None:
    assert mask_personal_data(template.format(value)) == template.format(marker)


@pytest.mark.parametrize("text", CORPUS["negative"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text


def test_several_kinds_in_one_description() -> None:
    text = (
        "Mme de La Tour (06 12 34 56 78, marie@exemple.fr) a vu le véhicule AB-123-CD "
        "au bât. 12 le 12/03/2026 à 22h30 ; RIB FR76 3000 6000 0112 3456 7890 189."
    )
    assert mask_personal_data(text) == (
        f"{NAME_MASK} ({PHONE_MASK}, {EMAIL_MASK}) a vu le véhicule {PLATE_MASK} "
        f"au bât. 12 le 12/03/2026 à 22h30 ; RIB {IBAN_MASK}."
    )


SEPARATORS = st.sampled_from(["", " ", ".", "-"])


@st.composite
def french_phones(draw: st.DrawFn) -> tuple[str, str]:
    """A French number in one of its usual spellings, and its nine significant digits."""
    digits = str(draw(st.integers(1, 9))) + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=8, max_size=8))
    )
    sep = draw(SEPARATORS)
    pairs = sep.join(digits[1 + 2 * i : 3 + 2 * i] for i in range(4))
    prefix = draw(st.sampled_from(["0", "+33 ", "+33", "+33 (0)", "0033 ", "0033"]))
    return f"{prefix}{digits[0]}{sep}{pairs}", digits


# Surrounding text without digits, so that a digit run left behind can only be the phone's.
PROSE = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzAMÉé .,;:()'-@\n")), max_size=40
)


@given(before=PROSE, phone=french_phones(), after=PROSE)
@settings(max_examples=300, deadline=None)
def test_no_phone_leaves_a_digit_run(before: str, phone: tuple[str, str], after: str) -> None:
    spelled, digits = phone
    masked = mask_personal_data(f"{before} {spelled} {after}")
    assert PHONE_MASK in masked
    left = "".join(re.findall(r"\d", masked))
    assert left == "", f"{spelled!r} left {left!r} in {masked!r}"
    assert digits not in masked


@given(st.text(max_size=120))
@settings(max_examples=500, deadline=None)
def test_masking_is_idempotent(text: str) -> None:
    once = mask_personal_data(text)
    assert mask_personal_data(once) == once


@given(
    st.lists(
        st.one_of(
            st.sampled_from([item["value"] for item in CORPUS["positive"]]),
            st.sampled_from(CORPUS["negative"]),
            PROSE,
        ),
        max_size=6,
    )
)
@settings(max_examples=300, deadline=None)
def test_masking_corpus_mixtures_is_idempotent(parts: list[str]) -> None:
    once = mask_personal_data(" ".join(parts))
    assert mask_personal_data(once) == once
