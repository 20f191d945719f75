"""Conditional GETs for polled answers: an `ETag` and `304 Not Modified` without recomputing.

A handler on a router built with `route_class=PolledRoute` takes `poll: Polled` and, once its
access checks passed, calls `await poll.guard(territory_id=...)`. The guard reads what the
answer is computed from (the version of the territory's counters heard, and the last full
rebuild of the roll-ups; see `sql/data_version.sql`), makes the tag from it and
from what shapes the answer (`etags.make_tag`), and raises `NotModified` when If-None-Match
names it; otherwise it sets `ETag`, `Cache-Control` and `Vary` on the answer. Handlers that
build their own `JsonResponse` pass `headers=poll.headers`.

The shaping parts: the route's path and its query (sorted, so `?a&b` = `?b&a`), the caller's
scope (role, landlord, territories: two keys of one scope share tags, as they share answers),
today's date in Paris (default periods end today), and for answers listing open alerts, a
digest of the alerts feed (it changes without any counter moving).

The version is the answer's territory's (`reporting_versions`, moved by every batch that changes
it or a territory inside it: migrations/0006): a wall screen on one QPV keeps its 304s while
events flow elsewhere; an answer on France changes with every batch. It is read from the
database, not kept in memory: several reporting processes share one consumer group, so each
hears only its partitions' messages. Read on the request's own connection, it is one round trip
of primary-key probes.

A tag names the figures, not the bytes (hence weak): `as_of` moves with changes heard
anywhere, so a copy kept on a 304 may show an older `as_of` than a fresh answer, with the same
figures.

Not covered: a reload of the territory reference (`vigie territories load`) changes dwellings
and names without moving the version; restart reporting after one, or poll without tags."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute

from vigie.platform.api import CurrentPrincipal
from vigie.platform.auth import Principal
from vigie.platform.territories import COUNTRY_ID
from vigie_reporting import repository
from vigie_reporting.api.deps import Db
from vigie_reporting.etags import CACHE_CONTROL, VARY, make_tag, none_match_fails
from vigie_reporting.periods import today_in_paris
from vigie_reporting.repository import Conn

# Bump when an answer's shape or figures change for the same data, so that tags from before a
# deployment do not match after it.
ANSWERS_REVISION = "1"


class NotModified(Exception):
    """The client's copy is current: answered 304 with these headers and no body."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__("not modified")
        self.headers = dict(headers)


class PolledRoute(APIRoute):
    """A route that answers `NotModified` with a bodiless 304 carrying the ETag,
    Cache-Control and Vary a 200 would carry (RFC 9110 §15.4.5). Routers whose handlers use
    `Polled` are built with `route_class=PolledRoute`: the 304 is the route's own answer, not
    an error (the app's error handlers would give it a JSON body)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The usual handler, with `NotModified` turned into its 304."""
        handler = super().get_route_handler()

        async def conditional(request: Request) -> Response:
            try:
                return await handler(request)
            except NotModified as exc:
                return Response(status_code=304, headers=exc.headers)

        return conditional


def scope_parts(principal: Principal) -> list[str]:
    """What of the caller shapes an answer: its role, landlord and territories (not its key
    id: keys of one scope read the same figures)."""
    return [
        principal.role,
        principal.landlord_id or "",
        ",".join(sorted(principal.territory_ids)),
    ]


def request_parts(path: str, query: Sequence[tuple[str, str]]) -> list[str]:
    """The route's path and its query, order-free."""
    return [path, "&".join(f"{k}={v}" for k, v in sorted(query))]


class _DigestOf:
    """A digest of the open alerts list, recomputed only when the feed replaces its list (it
    does at each poll): the list is kept, so that its id cannot be reused by another."""

    def __init__(self) -> None:
        self._seen: list[dict[str, Any]] | None = None
        self._digest = ""

    def __call__(self, alerts: list[dict[str, Any]]) -> str:
        if alerts is not self._seen:
            self._seen = alerts
            self._digest = make_tag([orjson.dumps(alerts, option=orjson.OPT_SORT_KEYS).decode()])
        return self._digest


alerts_digest = _DigestOf()


class Poll:
    """One request's conditional answer (see the module's docstring)."""

    def __init__(self, request: Request, response: Response, db: Conn, principal: Principal):
        self._request = request
        self._response = response
        self._db = db
        self._principal = principal
        self.headers: dict[str, str] = {}

    async def guard(
        self,
        *,
        territory_id: str | list[str] | None = None,
        alerts: list[dict[str, Any]] | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        """Raise `NotModified` if the client holds the current answer; otherwise set the
        headers the answer carries. `territory_id`: the territory (or territories) whose
        counters (their own and their descendants') the answer reads, France by default; never
        a 304 when one is unknown (the handler's 404 follows). `alerts`: the open alerts the
        answer draws from."""
        if territory_id is None:
            territory_id = COUNTRY_ID
        ids = [territory_id] if isinstance(territory_id, str) else sorted(set(territory_id))
        state = await repository.data_version(self._db, ids)
        parts = [
            ANSWERS_REVISION,
            str(state["version"]),
            state["rebuilt_at"].isoformat() if state["rebuilt_at"] else "",
            today_in_paris().isoformat(),
            *request_parts(self._request.url.path, self._request.query_params.multi_items()),
            *scope_parts(self._principal),
            alerts_digest(alerts) if alerts is not None else "",
            *extra,
        ]
        tag = make_tag(parts)
        self.headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
        if state["known"] and none_match_fails(self._request.headers.get("if-none-match"), tag):
            raise NotModified(self.headers)
        self._response.headers.update(self.headers)


def polled(request: Request, response: Response, db: Db, principal: CurrentPrincipal) -> Poll:
    """The request's `Poll` (on its own pooled connection)."""
    return Poll(request, response, db, principal)


Polled = Annotated[Poll, Depends(polled)]
