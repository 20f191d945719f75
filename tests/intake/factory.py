"""Valid incident events to start from in tests and the benchmark."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

KNOWN_TERRITORY = "QN09302M"
OTHER_TERRITORY = "QN00101M"


def incident(**overrides: Any) -> dict[str, Any]:
    """A valid `incident.reported` event as JSON, with a fresh event_id."""
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "incident.reported",
        "incident_id": f"INC-{uuid.uuid4().hex[:10]}",
        "revision": 1,
        "landlord_id": "HLM-93",
        "territory_id": KNOWN_TERRITORY,
        "category": "BIE-TAG",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "severity": 2,
        "target": "patrimoine",
        "complaint": "aucune",
    }
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not None}
