"""Masking of personal data in free text: e-mail addresses and phone numbers never leave intake."""

from __future__ import annotations

import re

EMAIL_MASK = "[e-mail masqué]"
PHONE_MASK = "[téléphone masqué]"

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# French numbers in their usual spellings (06 12 34 56 78, 06.12.34.56.78, 0612345678,
# +33 6 12 34 56 78, +33 (0)6…, 0033 6…), then any other international number (+44 20 7946 0958).
_PHONE_FR = re.compile(
    r"(?<![\w+])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)"
)
_PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,6}(?!\d)")
_DIGIT = re.compile(r"\d")


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses and phone numbers with neutral markers."""
    # Each pattern is skipped when text lacks what it cannot match without (an @, a digit,
    # a + or 00): same result, and most descriptions then cost no regex scan (intake's hot path).
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if _DIGIT.search(text) is None:
        return text
    text = _PHONE_FR.sub(PHONE_MASK, text)
    if "+" not in text and "00" not in text:
        return text
    return _PHONE_INTL.sub(PHONE_MASK, text)
