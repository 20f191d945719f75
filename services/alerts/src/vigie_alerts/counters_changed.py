"""The counters.changed.v1 messages a batch of the alerts' consumer brought, merged."""

from __future__ import annotations

from datetime import date

from vigie.contract.counters_changed import CountersChanged


def merged(messages: list[CountersChanged]) -> dict[str, set[date]]:
    """The changed days per territory over several messages."""
    out: dict[str, set[date]] = {}
    for message in messages:
        for change in message.changes:
            out.setdefault(change.territory_id, set()).update(change.days)
    return out
