"""Masking of personal data in free text: what identifies a person never leaves intake.

Masked, each by a neutral marker: e-mail addresses, phone numbers, IBANs, French social-security
numbers (NIR), licence plates (SIV `AB-123-CD` and the old `1234 AB 75`), and people named after
a civility ("M. Dupont", "Mme de La Tour", "Monsieur Martin-Leroy"). The patterns are proven on
a corpus of French spellings, positive and negative (tests/contract/privacy_corpus.json): dates,
times, amounts, building and QPV codes are left alone. Names without a civility are not masked
(no pattern can tell them from places and words)."""

from __future__ import annotations

import re

EMAIL_MASK = "[e-mail masqué]"
PHONE_MASK = "[téléphone masqué]"
IBAN_MASK = "[IBAN masqué]"
NIR_MASK = "[n° de sécurité sociale masqué]"
PLATE_MASK = "[immatriculation masquée]"
NAME_MASK = "[nom masqué]"

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# An IBAN: country, check digits, then 11-30 letters or digits, grouped by 4 or not
# (FR76 3000 6000 0112 3456 7890 189). Before phones and NIRs: its digit groups look like them.
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?(?!\w)")
# NIR: sex, year, month, département (2A/2B, or 97x/98x with a 2-digit commune), commune,
# order number, then the key (optional): 1 85 05 78 006 084 36, 185057800608436, 2.85.05.2A…
_NIR = re.compile(
    r"(?<![\w])[12378][\s.-]?\d{2}[\s.-]?\d{2}[\s.-]?(?:\d{2}|2[AB])[\s.-]?\d{3}[\s.-]?\d{3}"
    r"(?:[\s.-]?(?:/[\s]?)?\d{2})?(?!\w)"
)
# French numbers in their usual spellings (06 12 34 56 78, 06.12.34.56.78, 0612345678,
# +33 6 12 34 56 78, +33 (0)6…, 0033 6…), then any other international number (+44 20 7946 0958).
_PHONE_FR = re.compile(
    r"(?<![\w+])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)"
)
# A bracket only in pairs: "(+44 20 7946 0958)" keeps its closing one.
_PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}(?!\d)"
)
# SIV plates (since 2009: AB-123-CD; I, O and U are never used, nor SS and WW) in capitals or
# with dashes; the older FNI ones (1234 AB 75, 123 ABC 93, 56 AB 2A), capitals only and two
# or three letters, so that "12 mai 75" stays a date and "22H30" a time.
_SIV_LETTERS = "A-HJ-NP-TV-Z"
_PLATE = re.compile(
    rf"(?<![\w-])(?:[{_SIV_LETTERS}]{{2}}[ -]?\d{{3}}[ -]?[{_SIV_LETTERS}]{{2}}"
    rf"|(?i:[{_SIV_LETTERS}]{{2}}-\d{{3}}-[{_SIV_LETTERS}]{{2}})"
    r"|\d{1,4}[ -]?[A-HJ-NP-Z]{2,3}[ -]?(?:\d{2}|2[AB]|97[1-6]))(?![\w-])"
)
# A civility, then a name: capitalised words, hyphenated or not, with particles (de, du, des,
# de la, d', Le, La, van, von, Ben, El): "M. Dupont", "Mme de La Tour", "M Martin-Leroy",
# "Monsieur DURAND Jean", "Mme d'Estaing". "M" alone needs a capitalised name after it.
_UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ"
_WORD = rf"[{_UPPER}][\w’']*(?:-[{_UPPER}][\w’']*)*"
# A lowercase "le"/"la" only after "de": "Monsieur le Maire" is a title, not a name.
_PARTICLE = r"(?:[dD]e(?:\s+[lL]a)?|[dD]u|[dD]es|L[ae]|[vV]an|[vV]on|Ben|El)\s+|[dD][’']"
_NAME = rf"(?:(?:{_PARTICLE})*{_WORD})(?:\s+(?:{_PARTICLE})*{_WORD}){{0,2}}"
_NAMED = re.compile(
    r"(?<![\w.])(?:M\.|MM\.|Mr\.?|Mme\.?|Mmes|Mlle\.?|Melle|Monsieur|Madame|Mademoiselle"
    rf"|M(?=\s+[{_UPPER}]))\s*(?:et\s+(?:Mme|M\.)\s*)?{_NAME}"
)
_DIGIT = re.compile(r"\d")
_CIVILITY_HINT = re.compile(r"M(?:\.|me|lle|elle|onsieur|adame|ademoiselle|r|M|\s)")


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, IBANs, NIRs, phone numbers, plates and named people with
    neutral markers."""
    # Each pattern is skipped when text lacks what it cannot match without (an @, a digit, a
    # civility): same result, and most descriptions cost few regex scans (intake's hot path).
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if _DIGIT.search(text) is not None:
        text = _IBAN.sub(IBAN_MASK, text)
        text = _NIR.sub(NIR_MASK, text)
        text = _PHONE_FR.sub(PHONE_MASK, text)
        if "+" in text or "00" in text:
            text = _PHONE_INTL.sub(PHONE_MASK, text)
        text = _PLATE.sub(PLATE_MASK, text)
    if _CIVILITY_HINT.search(text) is not None:
        text = _NAMED.sub(NAME_MASK, text)
    return text
