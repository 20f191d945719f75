"""Masking of e-mail addresses and phone numbers in free text."""

import pytest

from vigie.contract.privacy import EMAIL_MASK, PHONE_MASK, mask_personal_data


@pytest.mark.parametrize(
    "phone",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "0612345678",
        "01 48 12 34 56",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+33 (0)6 12 34 56 78",
        "0033 6 12 34 56 78",
        "+44 20 7946 0958",
    ],
)
def test_phone_numbers_are_masked(phone: str) -> None:
    assert mask_personal_data(f"appeler le {phone} svp") == f"appeler le {PHONE_MASK} svp"


@pytest.mark.parametrize(
    "email", ["jean.dupont@exemple.fr", "gardien+nuit@oph-93.fr", "a_b@mail.bailleur.co.uk"]
)
def test_email_addresses_are_masked(email: str) -> None:
    assert mask_personal_data(f"écrire à {email}.") == f"écrire à {EMAIL_MASK}."


@pytest.mark.parametrize(
    "text",
    [
        "Bâtiment 12, 3e étage, porte 305",
        "Coût estimé 1250 euros, 2 portes",
        "Code résidence RES-2024-0042",
        "Incident du 12/03/2026 à 22h30",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text
