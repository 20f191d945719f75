"""Which exceptions mean "a dependency is down" rather than "a bug": the database unreachable,
restarting or refusing writes. Pure classification, shared by the HTTP error handler (503, not
500) and the loops that must wait and retry instead of failing."""

from __future__ import annotations

import errno
import socket

import asyncpg
from asyncpg import exceptions as pg

RETRY_AFTER_S = 5
# Server-side states of an outage: connection lost (class 08), shutting down or starting up
# (57P01-57P03), out of connections (53300), a read-only server or session (25006).
_OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    pg.PostgresConnectionError,
    pg.OperatorInterventionError,
    pg.TooManyConnectionsError,
    pg.ReadOnlySQLTransactionError,
    asyncpg.InterfaceError,  # the pool or a connection closed under us
    ConnectionError,  # refused or reset while the pool opens a connection
    TimeoutError,  # a pool acquire or a connect that found no server in time
)

# Socket errors that are not ConnectionError subclasses; a file's OSError is no outage.
_NETWORK_ERRNOS = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT})


def database_outage(exc: BaseException) -> str | None:
    """Why the database cannot serve now ("unreachable", "read-only"), or None when `exc` is
    not an outage (a bug or a constraint: those stay errors)."""
    if isinstance(exc, pg.ReadOnlySQLTransactionError):
        return "refusing writes (read-only)"
    if isinstance(exc, _OUTAGE_ERRORS):
        return "unreachable"
    if isinstance(exc, socket.gaierror) or (
        isinstance(exc, OSError) and exc.errno in _NETWORK_ERRNOS
    ):
        return "unreachable"
    return None


# The exception classes to register a handler for (database_outage then decides).
OUTAGE_CLASSES: tuple[type[Exception], ...] = (*_OUTAGE_ERRORS, OSError)
