"""The territory's situation report, fetched from reporting when a signalement is asked for,
with the caller's own key: reporting applies its own access rules and the shared view's
suppression (a signalement never carries more than its sender may read)."""

from __future__ import annotations

from urllib.parse import quote

import httpx

RETRY_AFTER_S = 30


class ReportUnavailable(Exception):
    """Reporting did not give the report; `status`: what to answer the caller (503 or 403)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def report_url(reporting_url: str, territory_id: str) -> str:
    """Where reporting serves a territory's situation report."""
    territory = quote(territory_id, safe="")
    return f"{reporting_url.rstrip('/')}/v1/shared/territories/{territory}/report.pdf"


async def fetch_report(
    reporting_url: str, territory_id: str, *, authorization: str, timeout_s: float
) -> bytes:
    """The PDF, or ReportUnavailable: 403 when reporting refuses this key, 503 when it is
    unreachable, slow or answers anything but a PDF."""
    url = report_url(reporting_url, territory_id)
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.get(url, headers={"Authorization": authorization})
    except httpx.HTTPError as exc:
        raise ReportUnavailable(503, f"reporting is unreachable ({type(exc).__name__})") from None
    if response.status_code in (401, 403):
        raise ReportUnavailable(403, "reporting refuses this key the territory's situation report")
    if response.status_code != 200 or not response.content.startswith(b"%PDF-"):
        raise ReportUnavailable(
            503, f"reporting gave no situation report (HTTP {response.status_code})"
        )
    return response.content
