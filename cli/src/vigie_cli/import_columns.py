"""From a spreadsheet row to an incident event (docs/contract.md §3): French column names, French
values, Paris dates. Pure.

Decisions:
- Column names are matched without case, accents or punctuation, among the §3 names and their
  French aliases (ALIASES): `date` + `heure` (or one `date` with the time), `quartier` /
  `code QPV`, `catégorie` (a code or its label), `gravité` (1–4 or mineure, modérée, grave, très
  grave), `cible`, `plainte` (oui / non / main courante / inconnu), `coût` (decimal comma,
  spaces between thousands, a `€`), `référence`, `résidence`, `commentaire`. Other columns are
  ignored, and named once.
- Dates: `31/12/2025 22:15` (or `31/12/25`, `22h15`, seconds, or ISO 8601), in Europe/Paris
  unless they carry an offset; a date alone is its midnight.
- An empty `plainte` (or no such column) is `inconnu`: the complaint is not known.
- A line without a reference gets one derived from its content (`imp-…`), so that importing the
  same file again gives the same incidents.
- A value this module cannot read is an error here, in French; any other check is the API's
  (`vigie_intake.validation`, the same for a dry run).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from vigie.contract.events import COMPLAINTS, CORRECTED, REPORTED, TARGETS, WITHDRAWN
from vigie.contract.nomenclature import default_nomenclature

PARIS = ZoneInfo("Europe/Paris")
# Fixed forever: re-importing a file without event_ids must give the same event_ids.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c8a52-3c0e-5b9a-9a51-0d1e2f3a4b5c")
_NAMESPACE = EVENT_ID_NAMESPACE.bytes
TIME = "_time"  # a separate time column, joined to the date

# Field → accepted column names, normalised (see `normalise`).
ALIASES: dict[str, tuple[str, ...]] = {
    "event_id": ("event id", "identifiant evenement"),
    "type": ("type", "type d evenement", "evenement"),
    "incident_id": (
        "incident id", "reference", "ref", "reference incident", "ref incident", "identifiant",
        "id", "numero", "no", "n", "n incident", "numero incident", "numero de fiche", "n fiche",
        "no fiche", "numero fiche", "fiche",
    ),
    "revision": ("revision", "version"),
    "landlord_id": ("landlord id", "bailleur", "code bailleur"),
    "territory_id": (
        "territory id", "quartier", "code qpv", "qpv", "code quartier", "territoire",
        "code territoire", "quartier qpv",
    ),
    "residence_id": ("residence id", "residence", "code residence", "immeuble", "groupe"),
    "category": (
        "category", "categorie", "code categorie", "type de fait", "nature", "nature du fait",
        "fait",
    ),
    "occurred_at": (
        "occurred at", "date", "date et heure", "date heure", "horodatage", "date des faits",
        "date de l incident", "date incident", "date du fait",
    ),
    TIME: ("heure", "heure des faits", "heure de l incident", "heure incident", "heure du fait"),
    "severity": ("severity", "gravite", "niveau de gravite", "niveau"),
    "target": ("target", "cible", "atteinte"),
    "complaint": ("complaint", "plainte", "depot de plainte", "plainte deposee"),
    "cost_eur": (
        "cost eur", "cout", "cout eur", "cout euros", "cout en euros", "montant",
        "cout des reparations", "cout ttc", "montant ttc",
    ),
    "description": (
        "description", "commentaire", "commentaires", "observation", "observations", "detail",
        "details",
    ),
}  # fmt: skip
# Without these a state cannot be imported (a file of withdrawals has a `type` column).
REQUIRED = ("territory_id", "category", "occurred_at", "severity", "target")
# How the columns are named in messages when the file has none of them.
FRENCH_NAMES = {
    "incident_id": "référence",
    "territory_id": "quartier",
    "category": "catégorie",
    "occurred_at": "date",
    "severity": "gravité",
    "target": "cible",
    "complaint": "plainte",
    "cost_eur": "coût",
    "description": "commentaire",
    "residence_id": "résidence",
    "revision": "révision",
    "landlord_id": "bailleur",
    "event_id": "event_id",
    "type": "type",
}
SEVERITY_WORDS = {
    "mineure": 1, "mineur": 1, "faible": 1, "moderee": 2, "modere": 2, "moyenne": 2,
    "moyen": 2, "grave": 3, "elevee": 3, "tres grave": 4, "critique": 4,
}  # fmt: skip
COMPLAINT_WORDS = {
    "oui": "plainte", "o": "plainte", "x": "plainte", "plainte": "plainte",
    "plainte deposee": "plainte", "non": "aucune", "n": "aucune", "aucune": "aucune",
    "main courante": "main_courante", "main_courante": "main_courante", "mc": "main_courante",
    "inconnu": "inconnu", "inconnue": "inconnu", "nsp": "inconnu", "": "inconnu",
}  # fmt: skip
TYPE_WORDS = {
    "": REPORTED, "signalement": REPORTED, "nouveau": REPORTED, "correction": CORRECTED,
    "corrige": CORRECTED, "modification": CORRECTED, "retrait": WITHDRAWN,
    "annulation": WITHDRAWN, "annule": WITHDRAWN, "supprime": WITHDRAWN,
}  # fmt: skip
_QPV = re.compile(r"qn\d{5}[a-z]", re.IGNORECASE)
_FRENCH_DATE = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T]+(\d{1,2})\s*[:hH]\s*(\d{2})?(?::(\d{2}))?)?"
)
_TIME = re.compile(r"(\d{1,2})\s*[:hH]\s*(\d{2})?(?::(\d{2}))?")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_MONEY_JUNK = re.compile(r"[\s\u00a0\u202f€]|eur(os)?", re.IGNORECASE)


_BAD_DATE = "date illisible ou impossible (attendu JJ/MM/AAAA HH:MM)"


class HeaderError(ValueError):
    """A header that cannot be imported, said in French."""


def normalise(text: str) -> str:
    """Lower case, no accents, words separated by one space: `Coût (€)` → `cout`."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub(" ", plain.lower()).strip()


@functools.lru_cache(maxsize=8192)
def _word(table: str, text: str) -> Any:
    """`text` looked up in one of the value tables after normalising, else None (cached:
    spreadsheets repeat the same few words on every line)."""
    return _TABLES[table].get(normalise(text))


_FIELD_OF = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
_CATEGORY_OF = {
    **{normalise(c.label): c.code for c in default_nomenclature().categories},
    **{normalise(c.code): c.code for c in default_nomenclature().categories},
}
_TARGET_OF = {normalise(t): t for t in TARGETS}
_COMPLAINT_OF = {**COMPLAINT_WORDS, **{normalise(c): c for c in COMPLAINTS}}
_TABLES: dict[str, dict[str, Any]] = {
    "type": TYPE_WORDS,
    "category": _CATEGORY_OF,
    "severity": SEVERITY_WORDS,
    "target": _TARGET_OF,
    "complaint": _COMPLAINT_OF,
}


@dataclass(frozen=True)
class Columns:
    """Which column of the file feeds which field, and how the file names it."""

    position: dict[str, int]
    name: dict[str, str]
    ignored: tuple[str, ...]
    width: int

    @functools.cached_property
    def items(self) -> tuple[tuple[str, int], ...]:
        """(field, position) pairs, for the per-line loop."""
        return tuple(self.position.items())

    def label(self, field: str) -> str:
        """The column as the file names it (its French name if the file has none)."""
        return self.name.get(field) or FRENCH_NAMES.get(field, field)


def map_header(header: Sequence[str]) -> Columns:
    """The columns of a header row; raise HeaderError when it cannot be imported."""
    if not any(cell.strip() for cell in header):
        raise HeaderError("le fichier est vide (une ligne d'en-tête est attendue)")
    position: dict[str, int] = {}
    name: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        field = _FIELD_OF.get(normalise(cell))
        if field is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if field in position:
            raise HeaderError(
                f"les colonnes « {name[field]} » et « {cell.strip()} » disent la même chose"
            )
        position[field], name[field] = index, cell.strip()
    if "type" not in position:
        missing = [f for f in REQUIRED if f not in position]
        if missing:
            raise HeaderError(
                "colonne(s) manquante(s) : "
                + ", ".join(f"{FRENCH_NAMES[f]} ({' / '.join(ALIASES[f][:3])}…)" for f in missing)
            )
    return Columns(position, name, tuple(ignored), len(header))


def event_id_for(*, landlord_id: str, incident_id: str, revision: str) -> str:
    """The event_id of a line that has none: the same line always gets the same one. It is
    `uuid.uuid5(EVENT_ID_NAMESPACE, name)`, written out: a third of the cost."""
    name = f"{landlord_id}\x1f{incident_id}\x1f{revision}".encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def derived_incident_id(*, landlord_id: str, values: Sequence[str]) -> str:
    """A reference for a line that has none, from its content."""
    digest = hashlib.sha1(  # not a secret: a stable name for the line
        "\x1f".join([landlord_id, *(v.strip() for v in values)]).encode(), usedforsecurity=False
    )
    return f"imp-{digest.hexdigest()[:20]}"


Problem = tuple[str, str]  # (field, message in French)


def convert(
    values: Sequence[str], columns: Columns, *, landlord_id: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The event a row stands for (JSON-ready), and what could not be read in it."""
    width = len(values)
    cells = {f: values[i].strip() for f, i in columns.items if i < width}
    problems: list[Problem] = []
    event: dict[str, Any] = {}
    kind = cells.get("type", "")
    event["type"] = _word("type", kind) or kind
    incident_id = cells.get("incident_id") or derived_incident_id(
        landlord_id=landlord_id, values=values
    )
    event["incident_id"] = incident_id
    revision = cells.get("revision") or "1"
    event["revision"] = int(revision) if revision.isdigit() else revision
    if not revision.isdigit():
        problems.append(("revision", "nombre entier attendu (1, 2…)"))
    own = cells.get("landlord_id")
    if own and own != landlord_id:
        problems.append(("landlord_id", f"« {own} » alors que l'import est pour {landlord_id}"))
    event["landlord_id"] = landlord_id
    event["event_id"] = cells.get("event_id") or event_id_for(
        landlord_id=landlord_id, incident_id=incident_id, revision=str(event["revision"])
    )
    if territory := cells.get("territory_id"):
        event["territory_id"] = territory.upper() if _QPV.fullmatch(territory) else territory
    if event["type"] == WITHDRAWN:
        return event, problems
    if category := cells.get("category"):
        event["category"] = _word("category", category) or category
    if when := cells.get("occurred_at"):
        moment = _moment(when, cells.get(TIME, ""))
        if moment is None:
            problems.append(
                ("occurred_at", "date illisible ou impossible (attendu JJ/MM/AAAA HH:MM)")
            )
        else:
            event["occurred_at"] = moment
    if severity := cells.get("severity"):
        level = int(severity) if severity.isdigit() else _word("severity", severity)
        if level is None:
            problems.append(("severity", "1 à 4 attendu (ou mineure, modérée, grave, très grave)"))
        else:
            event["severity"] = level
    if target := cells.get("target"):
        event["target"] = _word("target", target) or target
    complaint = cells.get("complaint", "")
    event["complaint"] = _word("complaint", complaint) or complaint
    if cost := cells.get("cost_eur"):
        amount = _amount(cost)
        if amount is None:
            problems.append(("cost_eur", "montant illisible (ex. 1 250,40)"))
        else:
            event["cost_eur"] = amount
    for field in ("residence_id", "description"):
        if value := cells.get(field):
            event[field] = value
    return event, problems


def _moment(day: str, clock: str) -> str | None:
    """A Paris (or offset-carrying) date and time as RFC 3339, None if unreadable."""
    text = f"{day} {clock}" if clock else day
    match = _FRENCH_DATE.fullmatch(text)
    if match is not None:
        d, m, y, hh, mm, ss = match.groups()
        year = int(y) + 2000 if len(y) == 2 else int(y)
        hour, minute, second = int(hh or 0), int(mm or 0), int(ss or 0)
        offset = _paris_offset(year, int(m), int(d), hour)
        if offset is None or minute > 59 or second > 59:
            return None
        return f"{year:04d}-{int(m):02d}-{int(d):02d}T{hour:02d}:{minute:02d}:{second:02d}{offset}"
    try:
        moment = datetime.fromisoformat(day)
        if clock:
            parts = _TIME.fullmatch(clock)
            if parts is None or moment.time() != datetime.min.time():
                return None
            hh, mm, ss = parts.groups()
            moment = moment.replace(hour=int(hh), minute=int(mm or 0), second=int(ss or 0))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.isoformat()


@functools.lru_cache(maxsize=65536)
def _paris_offset(year: int, month: int, day: int, hour: int) -> str | None:
    """The UTC offset of Paris at that hour (`+01:00`, `+02:00`), None for no such date."""
    try:
        offset = datetime(year, month, day, hour, tzinfo=PARIS).utcoffset()
    except ValueError:
        return None
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _amount(text: str) -> float | None:
    """`1 234,50 €`, `1234.5`, `1.234,50` → 1234.5; None if unreadable."""
    plain = _MONEY_JUNK.sub("", text)
    if "," in plain:
        plain = plain.replace(".", "").replace(",", ".")
    try:
        value = float(plain)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None
