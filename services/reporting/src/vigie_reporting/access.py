"""Who sees what in reporting (docs/contract.md §8), decided in one place.

- `admin`: every figure, every landlord.
- `landlord`: every `/v1` reporting endpoint, always filtered to the key's landlord (its own
  incidents only, including in rankings, the complaint gap by landlord and the CSV export); the
  shared CLSPD view is refused (it mixes other landlords).
- `partner` (CLSPD): only `/v1/shared/...`, for its territories and the territories inside them;
  403 elsewhere.
- `manager`: the contract gives managers alerts and subscriptions. In reporting, a manager key
  bound to a landlord reads like that landlord's key; one bound to territories only reads like a
  partner (the suppressed shared view of its territories). Managers need the figures behind the
  alerts they acknowledge, and neither case shows more than the key already reveals.
- `GET /v1/nomenclature` is reference data: any valid key.
- Field cases (`/v1/cases`) are the network's shared experience: admin, landlord and manager
  keys read them all; partner keys (public partners, outside the landlords' network) get 403.
  So do the relays to the alerts service's referents and mobilisations (`/v1/live/referents`,
  `/v1/live/alerts/{id}/mobilisations`): staff contacts never reach a partner key, whatever
  the alerts service would answer.
  A case is written, edited and withdrawn by its author, the landlord of the key that created
  it (any of its landlord or manager keys); an admin may do all of it for any landlord (naming
  the landlord of a new case), and alone hides and shows cases. Managers bound to territories
  only write none.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigie.platform.api import ApiError
from vigie.platform.auth import Principal


@dataclass(frozen=True)
class Scope:
    """The rows a caller may count: all landlords (None) or one."""

    landlord_id: str | None


def figures_scope(principal: Principal) -> Scope:
    """The scope of the per-landlord endpoints; 403 for keys limited to the shared view."""
    if principal.is_admin:
        return Scope(landlord_id=None)
    if principal.role in ("landlord", "manager") and principal.landlord_id:
        return Scope(landlord_id=principal.landlord_id)
    raise ApiError(
        403,
        "forbidden",
        f"a {principal.role} key reads only the shared view: /v1/shared/territories/{{id}}/summary",
    )


def shared_territories(principal: Principal) -> frozenset[str] | None:
    """The territories whose shared view the caller may read (None: all); 403 if none."""
    if principal.is_admin:
        return None
    if principal.role in ("partner", "manager") and not principal.landlord_id:
        return principal.territory_ids
    raise ApiError(403, "forbidden", f"a {principal.role} key may not read the CLSPD shared view")


def network_member(principal: Principal) -> None:
    """403 unless the caller belongs to the landlords' network (admin, landlord, manager)."""
    if principal.role == "partner":
        raise ApiError(403, "forbidden", "reserved to the landlords' network (not partner keys)")


def case_author(principal: Principal) -> str | None:
    """The landlord whose cases the caller writes; None for an admin (any landlord's); 403 for
    keys bound to no landlord."""
    if principal.is_admin:
        return None
    if principal.role in ("landlord", "manager") and principal.landlord_id:
        return principal.landlord_id
    raise ApiError(
        403, "forbidden", f"a {principal.role} key writes no case: cases are written by landlords"
    )
