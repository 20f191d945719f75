"""Dependencies of the alerts API, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from vigie.platform.api import ApiError, CurrentPrincipal, require_role
from vigie.platform.auth import Principal
from vigie_alerts.access import AlertFilter, alert_filter
from vigie_alerts.runtime import AlertsRuntime


def runtime(request: Request) -> AlertsRuntime:
    """The runtime the lifespan stored; 503 before it (or after it) ran."""
    value = getattr(request.app.state, "runtime", None)
    if not isinstance(value, AlertsRuntime):
        raise ApiError(503, "unavailable", "the alerts service is starting or stopping")
    return value


def alert_bounds(principal: CurrentPrincipal) -> AlertFilter:
    """The alerts the caller may read; 403 for keys that may read none (partners)."""
    bounds = alert_filter(principal)
    if bounds is None:
        raise ApiError(403, "forbidden", f"the {principal.role} role may not read alerts")
    return bounds


Runtime = Annotated[AlertsRuntime, Depends(runtime)]
Bounds = Annotated[AlertFilter, Depends(alert_bounds)]
Admin = Annotated[Principal, Depends(require_role())]
Manager = Annotated[Principal, Depends(require_role("manager"))]
# Role gates as dependencies run before the body is validated: a caller who may not use a route
# gets its 403, never a 422 describing the route's body.
Landlord = Annotated[Principal, Depends(require_role("landlord"))]
