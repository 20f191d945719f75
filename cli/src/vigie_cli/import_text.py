"""The text of a spreadsheet export, whatever office software wrote it: its encoding and its
separator. Pure.

Decisions:
- Encoding: UTF-8 (with or without a BOM), UTF-16 when a BOM says so (Excel's "Unicode text"),
  else Windows-1252, what Excel and LibreOffice write for "CSV" on a French Windows; Latin-1 only
  for the five bytes Windows-1252 leaves undefined. A fixed order rather than a statistical
  guess: a file whose bytes are valid UTF-8 is UTF-8 (mojibake such as "Ã©" is not valid UTF-8
  the other way round), and every Latin-1 file is readable as Windows-1252 with the same
  letters, so no detector can do better on French text and none makes a run depend on a guess.
- Separator: the one of `;`, `,` or a tab that the header row holds most (outside quotes);
  French spreadsheets write `;` because `,` is their decimal mark.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

SEPARATORS = (";", ",", "\t")


@dataclass(frozen=True)
class Decoded:
    """A file's text and how it was read."""

    text: str
    encoding: str  # as people name it: "UTF-8", "Windows-1252"…
    separator: str


def decode(data: bytes) -> Decoded:
    """The text of a spreadsheet export and its separator."""
    text, encoding = _text(data)
    return Decoded(text, encoding, separator(text))


def _text(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "UTF-8 (BOM)"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def separator(text: str) -> str:
    """The separator the header row uses most, `,` when it holds none."""
    first = text[:65536].split("\n", 1)[0]
    counts = {sep: _outside_quotes(first, sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _outside_quotes(line: str, char: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count
