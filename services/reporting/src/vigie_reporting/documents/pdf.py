"""HTML to PDF. Nothing is fetched at render time: every image is inline SVG or a data: URL,
and any other URL the HTML names is refused (a report must not depend on, or call, the
network)."""

from __future__ import annotations

from typing import Any

import weasyprint


class ExternalResourceRefused(Exception):
    """The HTML named a resource outside the document."""


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    if url.startswith("data:"):
        return weasyprint.default_url_fetcher(url, *args, **kwargs)  # type: ignore[no-any-return]
    raise ExternalResourceRefused(url)


def render_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document (CSS in <style>, images inline)."""
    document = weasyprint.HTML(string=html, url_fetcher=_no_fetch, base_url=".")
    return document.write_pdf()  # type: ignore[no-any-return]
