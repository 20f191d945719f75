"""Security headers on every HTTP answer of a service, in one pure-ASGI middleware.

Every service sends `X-Content-Type-Options: nosniff` (a JSON body is never sniffed into HTML),
`X-Frame-Options: DENY` and `Referrer-Policy: no-referrer` (no token-bearing URL leaks to another
site). A service that serves HTML (reporting's dashboard) also sends a Content-Security-Policy:
`DASHBOARD_CSP` allows only the service's own scripts, styles, images and API, no inline code and
no framing, so that an injected string cannot run. A header the app set itself is kept."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
)
DASHBOARD_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)


def header_pairs(csp: str | None) -> list[tuple[bytes, bytes]]:
    """The raw headers to add, with the Content-Security-Policy when given."""
    pairs = [*BASE_HEADERS, *((("content-security-policy", csp),) if csp else ())]
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]


class SecurityHeaders:
    """Adds the headers to every HTTP response start; other ASGI messages pass untouched."""

    def __init__(self, app: ASGIApp, *, csp: str | None = None) -> None:
        self.app = app
        self._pairs = header_pairs(csp)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in self._pairs if pair[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(app: Starlette, *, csp: str | None = None) -> None:
    """Send the headers on every answer of `app` (and the policy when it serves HTML)."""
    app.add_middleware(SecurityHeaders, csp=csp)
