"""Links from notifications to the dashboard."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Query parameters that could carry a credential: a link in an e-mail or a webhook payload
# travels far, and the dashboard asks for its key itself.
_SECRET_PARAMS = frozenset({"token", "access_token", "key", "api_key"})


def dashboard_link(base_url: str, territory_id: str) -> str:
    """The dashboard at `base_url` opened on a territory (`#territory=<id>`), with no token."""
    parts = urlsplit(base_url)
    host = parts.netloc.rpartition("@")[2]  # user:password@ is a credential too
    query = urlencode(
        [
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if name.lower() not in _SECRET_PARAMS
        ]
    )
    # The base's own fragment (a #token=… included) is replaced, never extended.
    fragment = "territory=" + quote(territory_id, safe=":")
    return urlunsplit((parts.scheme, host, parts.path or "/", query, fragment))
