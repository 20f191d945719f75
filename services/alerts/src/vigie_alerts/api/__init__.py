"""The alerts HTTP API (docs/contract.md §7)."""

from fastapi import APIRouter

from vigie_alerts.api import (
    alerts,
    mobilisations,
    partner_contacts,
    receipts,
    referents,
    rules,
    silences,
    subscriptions,
)

router = APIRouter()
for module in (
    rules,
    alerts,
    mobilisations,
    subscriptions,
    silences,
    referents,
    partner_contacts,
    receipts,
):
    router.include_router(module.router)

__all__ = ["router"]
