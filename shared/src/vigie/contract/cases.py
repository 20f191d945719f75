"""Field cases (retours d'expérience) in the contract (docs/contract.md §6 and §8): the closed
lists a case draws from, and the `cases.v1` messages reporting publishes. The API's validation
and masking are reporting's (vigie_reporting.cases); this module says what consumers read."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict

CASES_VERSION = 1

PlaceKind: TypeAlias = Literal[
    "hall",
    "cage_escalier",
    "cave",
    "parking",
    "abords",
    "local_commercial",
    "local_commun",
    "toiture",
    "ascenseur",
    "logement",
    "espaces_verts",
    "autre",
]
Action: TypeAlias = Literal[
    "mediation",
    "gardiennage_proximite",
    "videoprotection",
    "travaux_residentialisation",
    "procedures_locatives",
    "partenariat_police_clspd",
    "autre",
]
Outcome: TypeAlias = Literal["resolu", "ameliore", "sans_effet", "en_cours"]
PLACE_KINDS: tuple[str, ...] = get_args(PlaceKind)
ACTIONS: tuple[str, ...] = get_args(Action)
OUTCOMES: tuple[str, ...] = get_args(Outcome)


class SharedCase(BaseModel):
    """A case as the network sees it (`GET /v1/cases/{id}`): masked texts, no moderation."""

    model_config = ConfigDict(extra="allow")
    case_id: str
    landlord_id: str
    title: str
    place_kind: PlaceKind
    categories: list[str]
    domains: list[str]
    situation: str
    actions: list[Action]
    cost_eur: float | None
    result: str
    outcome: Outcome
    revision: int
    created_at: datetime
    updated_at: datetime


class CasePublished(BaseModel):
    """A case now visible to the network: created, edited, or shown again by an admin."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1]
    type: Literal["case.published"]
    case_id: str
    revision: int
    changed_at: datetime
    case: SharedCase


class CaseWithdrawn(BaseModel):
    """A case that left the network's view: withdrawn by its author, or hidden by an admin."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1]
    type: Literal["case.withdrawn"]
    case_id: str
    revision: int
    changed_at: datetime
    reason: Literal["withdrawn", "hidden"]


CaseMessage: TypeAlias = CasePublished | CaseWithdrawn
