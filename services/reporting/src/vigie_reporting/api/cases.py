"""Field cases (retours d'expérience): `PUT/GET/DELETE /v1/cases/{id}`, the admins' hide and
show, and the network's search `GET /v1/cases`. Who may do what: `access`; the changes and
their cases.v1 messages: `case_changes`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response

from vigie.contract.cases import Action
from vigie.contract.nomenclature import Nomenclature
from vigie.platform.api import CREATED, ApiError, CurrentPrincipal, require_role
from vigie.platform.auth import Principal
from vigie_reporting import case_changes, case_store
from vigie_reporting.access import case_author, network_member
from vigie_reporting.api.deps import CasesOutbox, CurrentNomenclature, Db, Member
from vigie_reporting.cases import CASE_ID, CaseIn, public_case
from vigie_reporting.encoding import JsonResponse

router = APIRouter(default_response_class=JsonResponse)

CaseId = Annotated[str, Path(pattern=CASE_ID.pattern, description="chosen by the author")]
HideReason = Annotated[str | None, Body(embed=True, max_length=500)]
LandlordOfNew = Annotated[
    str | None, Query(min_length=1, max_length=64, description="admins: a new case's landlord")
]


# Access is decided in dependencies, so that a refused caller gets its 403 before any
# validation of what it sent.
def _author(principal: CurrentPrincipal) -> str | None:
    network_member(principal)
    return case_author(principal)


Author = Annotated[str | None, Depends(_author)]
Admin = Annotated[Principal, Depends(require_role())]


@router.put("/cases/{case_id}", responses=CREATED)
async def put_case(
    case_id: CaseId,
    author: Author,
    principal: Member,
    body: CaseIn,
    db: Db,
    loaded: CurrentNomenclature,
    response: Response,
    outbox: CasesOutbox,
    landlord_id: LandlordOfNew = None,
) -> dict[str, Any]:
    """Create (201) or replace (200) a case; only its author's landlord (or an admin, who names
    the landlord of a new case in `landlord_id`) may."""
    case, created = await case_changes.put_case(
        db,
        case_id,
        body,
        author=author,
        landlord_of_new=landlord_id,
        author_key_id=principal.key_id,
        nomenclature=loaded,
    )
    outbox.wake()
    response.status_code = 201 if created else 200
    return case


@router.get("/cases/{case_id}")
async def get_case(case_id: CaseId, principal: Member, db: Db) -> dict[str, Any]:
    """One case; a hidden one only for its author and admins, a withdrawn one for nobody."""
    row = await case_store.get_case(db, case_id)
    if row is None or row["withdrawn_at"] is not None:
        raise ApiError(404, "not_found", f"no case {case_id}")
    moderator = principal.is_admin or principal.landlord_id == row["landlord_id"]
    if row["hidden_at"] is not None and not moderator:
        raise ApiError(404, "not_found", f"no case {case_id}")
    return public_case(row, with_moderation=moderator)


@router.delete("/cases/{case_id}", status_code=204)
async def withdraw_case(case_id: CaseId, author: Author, db: Db, outbox: CasesOutbox) -> Response:
    """The author withdraws a case: it leaves every search (cases.v1 says `case.withdrawn`)."""
    await case_changes.withdraw_case(db, case_id, author=author)
    outbox.wake()
    return Response(status_code=204)


@router.post("/cases/{case_id}/hide")
async def hide_case(
    case_id: CaseId,
    principal: Admin,
    db: Db,
    outbox: CasesOutbox,
    reason: HideReason = None,
) -> dict[str, Any]:
    """An admin hides a case from the network (its author still sees it, marked hidden)."""
    case = await case_changes.hide_case(
        db, case_id, hidden=True, principal=principal, reason=reason
    )
    outbox.wake()
    return case


@router.post("/cases/{case_id}/show")
async def show_case(
    case_id: CaseId, principal: Admin, db: Db, outbox: CasesOutbox
) -> dict[str, Any]:
    """An admin shows a hidden case again."""
    case = await case_changes.hide_case(db, case_id, hidden=False, principal=principal, reason=None)
    outbox.wake()
    return case


@router.get("/cases")
async def search_cases(
    principal: Member,
    db: Db,
    loaded: CurrentNomenclature,
    category: Annotated[list[str] | None, Query(max_length=20)] = None,
    domain: str | None = None,
    action: Action | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    hidden: bool = False,
) -> dict[str, Any]:
    """Visible cases, newest first: any of the `category` codes (repeatable), a GSUP `domain`,
    an `action`, and `q` searched in French in the title, situation and result; `hidden=true`:
    the hidden ones instead, for admins (to show one again)."""
    if hidden and not principal.is_admin:
        raise ApiError(403, "forbidden", "only admins list hidden cases")
    _check_codes(category=category, domain=domain, loaded=loaded)
    filters = case_store.Filters(
        categories=sorted(set(category)) if category else None,
        domain=domain,
        action=action,
        q=(q.strip() or None) if q else None,
        hidden=hidden,
    )
    rows, total = await case_store.search_cases(db, filters, limit=limit, offset=offset)
    return {
        "items": [public_case(row, with_moderation=hidden) for row in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def _check_codes(*, category: list[str] | None, domain: str | None, loaded: Nomenclature) -> None:
    errors = []
    known = loaded.category_codes()
    for code in category or []:
        if code not in known:
            errors.append({"field": "category", "message": f"unknown category code {code}"})
    if domain is not None and domain not in {d.code for d in loaded.domains}:
        errors.append({"field": "domain", "message": f"unknown GSUP domain {domain}"})
    if errors:
        raise ApiError(422, "invalid", "the request is invalid", errors=errors)
