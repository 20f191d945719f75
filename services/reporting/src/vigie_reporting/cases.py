"""Field cases (retours d'expérience), pure: what a case may say, how its free texts are masked,
its GSUP domains, and the cases.v1 message of a change. No I/O (the SQL is in `case_store`);
the closed lists and the messages' models are the contract's (vigie.contract.cases).

A case names the kind of place, never an address; its texts are masked like an incident's
description (e-mail addresses, phone numbers) and, because referents write about people, the
names that follow a civility ("M. Dupont", "Mme Martin")."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from vigie.contract.cases import ACTIONS, CASES_VERSION, Action, Outcome, PlaceKind
from vigie.contract.nomenclature import Nomenclature, default_nomenclature
from vigie.contract.privacy import mask_personal_data

PUBLISHED = "case.published"
WITHDRAWN = "case.withdrawn"

CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
NAME_MASK = "[nom masqué]"
# A civility, then one or two capitalised words: "M. Dupont", "Mme Le Goff", "Monsieur DURAND".
_NAMED = re.compile(
    r"(?<![\w.])(?:M\.|MM\.|Mr\.?|Mme|Mmes|Mlle|Melle|Monsieur|Madame|Mademoiselle)"
    r"\s+[A-ZÀ-Ý][\w'’-]*(?:\s+[A-ZÀ-Ý][\w'’-]*)?"
)


def mask_case_text(text: str) -> str:
    """E-mail addresses, phone numbers and civility-named people replaced with markers."""
    return _NAMED.sub(NAME_MASK, mask_personal_data(text))


def _masked(text: str) -> str:
    return mask_case_text(text.strip())


Title = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_masked)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000), AfterValidator(_masked)]


class CaseIn(BaseModel):
    """The body of `PUT /v1/cases/{id}`; validation errors name the field."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    place_kind: PlaceKind
    categories: Annotated[list[str], Field(min_length=1, max_length=10)]
    domain: str | None = None  # optional: checked against the categories' domains
    situation: Text
    actions: Annotated[list[Action], Field(min_length=1, max_length=len(ACTIONS))]
    cost_eur: Annotated[float, Field(ge=0, le=100_000_000, allow_inf_nan=False)] | None = None
    result: Text
    outcome: Outcome

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, codes: list[str], info: ValidationInfo) -> list[str]:
        known = _nomenclature(info).category_codes()
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ValueError(f"unknown category code {', '.join(unknown)} (see /v1/nomenclature)")
        return sorted(set(codes))

    @field_validator("actions")
    @classmethod
    def _unique_actions(cls, actions: list[Action]) -> list[Action]:
        return sorted(set(actions))

    @field_validator("domain")
    @classmethod
    def _domain_of_categories(cls, domain: str | None, info: ValidationInfo) -> str | None:
        # `categories` comes first, so it is validated (or absent, when invalid) by now.
        categories = info.data.get("categories")
        if (
            domain is not None
            and categories is not None
            and domain not in domains_of(categories, _nomenclature(info))
        ):
            raise ValueError("must be the GSUP domain of one of the categories")
        return domain


def _nomenclature(info: ValidationInfo) -> Nomenclature:
    context = info.context or {}
    found = context.get("nomenclature")
    return found if isinstance(found, Nomenclature) else default_nomenclature()


def domains_of(categories: list[str], nomenclature: Nomenclature) -> list[str]:
    """The GSUP domains of known categories, sorted, each once."""
    return sorted({nomenclature.domain_of(code) for code in categories})


def public_case(row: dict[str, Any], *, with_moderation: bool) -> dict[str, Any]:
    """A case as the API shows it; `hidden`/`hidden_reason` only to its author and admins."""
    out: dict[str, Any] = {
        "case_id": row["case_id"],
        "landlord_id": row["landlord_id"],
        "title": row["title"],
        "place_kind": row["place_kind"],
        "categories": list(row["categories"]),
        "domains": list(row["domains"]),
        "situation": row["situation"],
        "actions": list(row["actions"]),
        "cost_eur": row["cost_eur"],
        "result": row["result"],
        "outcome": row["outcome"],
        "revision": row["revision"],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }
    if with_moderation:
        out["hidden"] = row.get("hidden_at") is not None
        out["hidden_reason"] = row.get("hidden_reason")
    return out


def published_message(case: dict[str, Any]) -> dict[str, Any]:
    """The cases.v1 message of a case now visible to the network (created, edited, shown)."""
    return {
        "version": CASES_VERSION,
        "type": PUBLISHED,
        "case_id": case["case_id"],
        "revision": case["revision"],
        "changed_at": case["updated_at"],
        "case": case,
    }


def withdrawn_message(
    *, case_id: str, revision: int, changed_at: datetime, reason: str
) -> dict[str, Any]:
    """The cases.v1 message of a case leaving the network's view (`withdrawn` or `hidden`)."""
    return {
        "version": CASES_VERSION,
        "type": WITHDRAWN,
        "case_id": case_id,
        "revision": revision,
        "changed_at": _iso(changed_at),
        "reason": reason,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")
