"""The §8 reporting API: thin handlers that check access, resolve periods and shape answers.

Every `/v1` route authenticates (bearer token). Answers come from `incident_counters` and
reporting's roll-ups of it, never from raw incidents; `as_of` says which counters they hold (see
`vigie_reporting.changes`). Dependencies are `Annotated` aliases (`api.deps`). JSON is encoded
with orjson."""

from fastapi import APIRouter

from vigie_reporting.api import (
    audit,
    cases,
    documents,
    exports,
    network,
    observatory,
    rankings,
    shared,
    summaries,
)
from vigie_reporting.encoding import JsonResponse

router = APIRouter(prefix="/v1", default_response_class=JsonResponse)
router.include_router(summaries.router)
router.include_router(rankings.router)
router.include_router(shared.router)
router.include_router(exports.router)
router.include_router(documents.router)
router.include_router(observatory.router)
router.include_router(cases.router)
router.include_router(network.router)
router.include_router(audit.router)

__all__ = ["router"]
