"""Who sees and does what with alerts (docs/contract.md §7), pure.

- admin: everything; manages rules, subscriptions and silences.
- manager: reads and acknowledges the alerts of its territories and their descendants (and,
  when its key names a landlord, of that landlord's rules only); manages its own
  subscriptions within the same bounds.
- landlord: reads the alerts of rules scoped to its landlord; nothing else.
- partner: nothing (403)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vigie.platform.auth import Principal


@dataclass(frozen=True)
class AlertFilter:
    """The alerts a key may read: within these territories (None: all), of rules scoped to
    this landlord (None: any)."""

    within: frozenset[str] | None
    landlord_id: str | None


def alert_filter(principal: Principal) -> AlertFilter | None:
    """The key's bounds on alerts; None when it may read none."""
    if principal.is_admin:
        return AlertFilter(within=None, landlord_id=None)
    if principal.role == "manager":
        return AlertFilter(
            within=principal.territory_ids or None, landlord_id=principal.landlord_id
        )
    if principal.role == "landlord" and principal.landlord_id:
        return AlertFilter(within=None, landlord_id=principal.landlord_id)
    return None


def may_read(
    bounds: AlertFilter, alert: Mapping[str, Any], territory_and_ancestors: frozenset[str]
) -> bool:
    """Whether an alert (a row or an alerts.v1 payload) is within the key's bounds."""
    if bounds.landlord_id is not None and alert.get("landlord_id") != bounds.landlord_id:
        return False
    return bounds.within is None or not bounds.within.isdisjoint(territory_and_ancestors)


def may_act(principal: Principal) -> bool:
    """Whether the key may acknowledge or resolve the alerts it reads."""
    return principal.is_admin or principal.role == "manager"


def subscription_within(
    principal: Principal,
    *,
    territory_ids: list[str] | None,
    landlord_id: str | None,
    ancestors: Mapping[str, frozenset[str]],
) -> str | None:
    """Why a manager may not create this subscription (None: it may; admins always may)."""
    if principal.is_admin:
        return None
    if principal.territory_ids:
        if not territory_ids:
            return "territory_ids: a manager's subscription names territories within its own"
        outside = [
            t
            for t in territory_ids
            if principal.territory_ids.isdisjoint(ancestors.get(t, frozenset({t})))
        ]
        if outside:
            return f"territory_ids: outside this key's territories: {', '.join(sorted(outside))}"
    if principal.landlord_id is not None and landlord_id != principal.landlord_id:
        return f"landlord_id: this key's subscriptions are for landlord {principal.landlord_id}"
    return None
