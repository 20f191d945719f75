"""The handlers' dependencies, as `Annotated` aliases: a database connection for the request, the
nomenclature, the alerts feed. They come from the one typed `Resources` the app's lifespan
opens; handlers never read `app.state` themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from vigie.contract.nomenclature import Nomenclature
from vigie.platform.api import ApiError, CurrentPrincipal
from vigie.platform.auth import Principal
from vigie_reporting.access import network_member
from vigie_reporting.alerts_feed import AlertsFeed
from vigie_reporting.cases_publisher import CasePublisher
from vigie_reporting.documents.rendered import Rendered
from vigie_reporting.repository import Conn


@dataclass(frozen=True, slots=True)
class Resources:
    """What the reporting handlers use, opened and closed by the app's lifespan."""

    pool: asyncpg.Pool
    alerts: AlertsFeed
    nomenclature: Nomenclature
    cases: CasePublisher
    pdfs: Rendered = field(default_factory=Rendered)


def resources(request: Request) -> Resources:
    """The resources the lifespan put on the app; 503 before it (or after it) ran."""
    found = getattr(request.app.state, "resources", None)
    if not isinstance(found, Resources):
        raise ApiError(503, "unavailable", "the reporting service is starting or stopping")
    return found


AppResources = Annotated[Resources, Depends(resources)]


async def connection(app: AppResources) -> AsyncIterator[Conn]:
    """One pooled connection for the whole request."""
    async with app.pool.acquire() as conn:
        yield conn


def rendered_pdfs(app: AppResources) -> Rendered:
    """The PDFs this app rendered and keeps (documents/rendered.py)."""
    return app.pdfs


def nomenclature(app: AppResources) -> Nomenclature:
    """The nomenclature loaded at start-up."""
    return app.nomenclature


def alerts_feed(app: AppResources) -> AlertsFeed:
    """The open alerts known from the alerts service."""
    return app.alerts


def cases_outbox(app: AppResources) -> CasePublisher:
    """The cases.v1 publisher, to wake once a change is committed."""
    return app.cases


def member(principal: CurrentPrincipal) -> Principal:
    """The caller, when a member of the landlords' network (403 for partner keys)."""
    network_member(principal)
    return principal


Db = Annotated[Conn, Depends(connection)]
CurrentNomenclature = Annotated[Nomenclature, Depends(nomenclature)]
RenderedPdfs = Annotated[Rendered, Depends(rendered_pdfs)]
Alerts = Annotated[AlertsFeed, Depends(alerts_feed)]
CasesOutbox = Annotated[CasePublisher, Depends(cases_outbox)]
Member = Annotated[Principal, Depends(member)]
