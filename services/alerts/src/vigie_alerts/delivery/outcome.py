"""What a failed send reports: a short reason, and whether retrying could help."""

from __future__ import annotations

from dataclasses import dataclass

REASON_MAX = 200  # reasons are stored and shown in the API: keep them one short line


@dataclass(frozen=True, slots=True)
class Failure:
    """A send that did not deliver; `permanent`: retrying cannot help (configuration)."""

    reason: str
    permanent: bool = False


def failure(reason: str, *, permanent: bool = False) -> Failure:
    """A failure with its reason on one line of at most REASON_MAX characters."""
    line = " ".join(reason.split())
    if len(line) > REASON_MAX:
        line = line[: REASON_MAX - 1] + "…"
    return Failure(reason=line, permanent=permanent)


def describe(exc: BaseException) -> str:
    """An exception as a reason: its type, and its message when it has one."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
