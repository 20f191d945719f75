"""The parameters of the Open311 reads (docs/contract.md §5), as pure functions: where the key
is, the list's filters, the jurisdiction.

Decisions:
- The key is GeoReport's `api_key` (query string or form), else an `Authorization` header:
  `Bearer TOKEN` as on the `/v1` API, or `Basic` with the token as the password (any user name),
  so that a client whose GETs carry no `api_key` can put the key in the endpoint's URL
  (`https://open311:TOKEN@host/open311/v2`).
- A list spans at most 90 days of `requested_datetime` (the last 90 days by default, as the
  standard says), holds at most 1,000 requests, newest first, and at most 100 ids.
- A time without offset is Paris time; a date alone is its midnight in Paris.
- `jurisdiction_id` may be absent or empty, or name this endpoint's jurisdiction: any other
  answers 404, as the standard says for an unknown jurisdiction.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from vigie.contract.events import FieldError
from vigie_intake.open311_form import FormError
from vigie_intake.open311_view import CLOSED, OPEN, PARIS

MAX_SPAN = timedelta(days=90)
MAX_REQUESTS = 1_000
MAX_IDS = 100
_SPLIT = re.compile(r"\s*,\s*")


@dataclass(frozen=True)
class ListQuery:
    """What GET /requests asks for."""

    service_request_ids: tuple[str, ...] | None  # overrides every other filter
    service_codes: tuple[str, ...] | None
    start: datetime
    end: datetime
    withdrawn: bool | None  # None: any status


def api_key(params: Mapping[str, str], authorization: str | None) -> str | None:
    """The caller's token: `api_key`, else a Bearer or Basic Authorization header."""
    if key := params.get("api_key", "").strip():
        return key
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        return password or user or None
    return None


def list_query(params: Mapping[str, str], *, now: datetime) -> ListQuery:
    """The list's filters; raise FormError naming every bad parameter."""
    errors: list[FieldError] = []
    ids = _codes(params.get("service_request_id"))
    if ids is not None and len(ids) > MAX_IDS:
        errors.append(FieldError(field="service_request_id", message=f"at most {MAX_IDS} ids"))
    start = _moment(params, "start_date", errors)
    end = _moment(params, "end_date", errors)
    if end is None:
        end = now if start is None else min(start + MAX_SPAN, now)
    if start is None:
        start = end - MAX_SPAN
    if end - start > MAX_SPAN:
        errors.append(FieldError(field="end_date", message="at most 90 days after start_date"))
    statuses = set(_codes(params.get("status")) or (OPEN, CLOSED))
    if not statuses <= {OPEN, CLOSED}:
        errors.append(FieldError(field="status", message="open, closed, or both"))
    if errors:
        raise FormError(errors)
    withdrawn = None if len(statuses) == 2 else CLOSED in statuses
    return ListQuery(ids, _codes(params.get("service_code")), start, end, withdrawn)


def jurisdiction_error(params: Mapping[str, str], *, jurisdiction: str) -> str | None:
    """Why `jurisdiction_id` is refused, or None when it is absent or ours."""
    given = params.get("jurisdiction_id", "").strip()
    if not given or given == jurisdiction:
        return None
    return f"jurisdiction_id: unknown jurisdiction {given!r} (this endpoint is {jurisdiction!r})"


def _codes(text: str | None) -> tuple[str, ...] | None:
    """A comma-separated list, None when absent or empty."""
    codes = tuple(c for c in _SPLIT.split((text or "").strip()) if c)
    return codes or None


def _moment(params: Mapping[str, str], name: str, errors: list[FieldError]) -> datetime | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), PARIS)
        moment = datetime.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(field=name, message="must be a W3C date-time"))
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)
