"""The alerts HTTP API (docs/contract.md §7)."""

from fastapi import APIRouter

from vigie_alerts.api import alerts, rules, silences, subscriptions

router = APIRouter()
for module in (rules, alerts, subscriptions, silences):
    router.include_router(module.router)

__all__ = ["router"]
