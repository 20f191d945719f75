"""Who sees and manages the referents' directory and the partner contacts, pure.

Staff contact data is personal data, for the network's keys only:
- referents: admins read and manage all; a landlord key reads and manages its own landlord's;
  a manager key reads the referents covering its territories (a territory of the manager's
  above or below one of the referent's; every territory for a manager without territories),
  of its landlord only when its key names one, and manages none; partner keys: 403.
- partner contacts: admins manage them; managers read those of their territories (same
  overlap); landlord and partner keys: 403."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from vigie.platform.auth import Principal

# A territory's ancestors, itself included (TerritoryIndex.ancestors_of).
Ancestors = Callable[[str], frozenset[str]]


def may_read_referents(principal: Principal) -> bool:
    """Whether the key reads any referent at all (partners do not)."""
    return principal.is_admin or principal.role in ("manager", "landlord")


def may_manage_referent(principal: Principal, landlord_id: str) -> bool:
    """Whether the key may create, replace or delete a referent of this landlord."""
    return principal.is_admin or (
        principal.role == "landlord" and principal.landlord_id == landlord_id
    )


def overlaps(mine: Iterable[str], theirs: Iterable[str], ancestors: Ancestors) -> bool:
    """Whether a territory of `mine` is one of `theirs`, above it or below it."""
    mine = frozenset(mine)
    for territory in theirs:
        if not mine.isdisjoint(ancestors(territory)):
            return True  # one of mine contains theirs
        if any(territory in ancestors(own) for own in mine):
            return True  # theirs contains one of mine
    return False


def may_see_referent(
    principal: Principal, *, landlord_id: str, territory_ids: Iterable[str], ancestors: Ancestors
) -> bool:
    """Whether the key may read this referent."""
    if principal.is_admin:
        return True
    if principal.role == "landlord":
        return principal.landlord_id is not None and principal.landlord_id == landlord_id
    if principal.role == "manager":
        if principal.landlord_id is not None and principal.landlord_id != landlord_id:
            return False
        return not principal.territory_ids or overlaps(
            principal.territory_ids, territory_ids, ancestors
        )
    return False


def may_read_partner_contacts(principal: Principal) -> bool:
    """Whether the key reads any partner contact at all."""
    return principal.is_admin or principal.role == "manager"


def may_see_partner_contact(
    principal: Principal, *, territory_ids: Iterable[str], ancestors: Ancestors
) -> bool:
    """Whether the key may read this partner contact."""
    if principal.is_admin:
        return True
    if principal.role != "manager":
        return False
    return not principal.territory_ids or overlaps(
        principal.territory_ids, territory_ids, ancestors
    )
