"""What an alert change says to the outside world (docs/contract.md §7): the alerts.v1 message,
the webhook body and the e-mail's facts are one JSON object, built here, pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypeAlias

Tier: TypeAlias = Literal["normal", "escalation"]


def dedup_key(alert_id: object, seq: int) -> str:
    """The identity of one change of one alert: receivers deduplicate on it."""
    return f"{alert_id}:{seq}"


def change_payload(
    alert: Mapping[str, Any],
    *,
    kind: str,
    previous_level: str | None,
    tier: Tier,
    rule_name: str,
    metric: str,
    territory_name: str,
    top_categories: Sequence[Mapping[str, Any]],
    dashboard_url: str,
    note: str | None = None,
    categories: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The contract's fields, then the facts a person needs to act without opening anything;
    `categories`: the codes the rule counts (None: every category), to link field cases."""
    return {
        "alert_id": str(alert["alert_id"]),
        "rule_id": alert["rule_id"],
        "territory_id": alert["territory_id"],
        "state": alert["state"],
        "level": alert["level"],
        "previous_level": previous_level,
        "value": round(float(alert["value"]), 4),
        "threshold": round(float(alert["threshold"]), 4),
        "window_days": alert["window_days"],
        "opened_at": _iso(alert["opened_at"]),
        "changed_at": _iso(alert["changed_at"]),
        "dedup_key": dedup_key(alert["alert_id"], alert["changes"]),
        "kind": kind,
        "tier": tier,
        "landlord_id": alert["landlord_id"],
        "rule_name": rule_name,
        "metric": metric,
        "count": alert["count"],
        "territory_name": territory_name,
        "top_categories": [dict(c) for c in top_categories],
        "categories": list(categories) if categories is not None else None,
        "acknowledged_by": alert["acknowledged_by"],
        "note": note,
        "dashboard_url": dashboard_url,
    }


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")
