#!/usr/bin/env python3
"""The image's HEALTHCHECK: 0 when the Vigie service that PID 1 runs answers `GET /health/ready`
with 200 (docs/contract.md §1), 1 otherwise; 0 for a one-shot command (`init`, `vigie …`).

`healthcheck SERVICE` checks that service instead of PID 1's. Standard library only."""

from __future__ import annotations

import http.client
import os
import sys

# The service, the variable that moves its port, the contract's default port.
PORTS = {
    "intake": ("INTAKE_PORT", 8081),
    "aggregator": ("AGGREGATOR_PORT", 8082),
    "alerts": ("ALERTS_PORT", 8083),
    "reporting": ("REPORTING_PORT", 8084),
}
TIMEOUT_S = 2.5


def running_service() -> str | None:
    """The service PID 1 runs (`python -m vigie_<name>`), or None."""
    try:
        with open("/proc/1/cmdline", "rb") as cmdline:
            argv = cmdline.read().decode(errors="replace").split("\0")
    except OSError:
        return None
    for arg in argv:
        name = arg.removeprefix("vigie_")
        if arg.startswith("vigie_") and name in PORTS:
            return name
    return None


def check(service: str) -> str | None:
    """None when the service is ready, else why not."""
    variable, default = PORTS[service]
    port = int(os.environ.get(variable) or default)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    try:
        conn.request("GET", "/health/ready")
        response = conn.getresponse()
        if response.status == 200:
            return None
        return f"{service}: {response.status} {response.read(300).decode(errors='replace')}"
    except (OSError, http.client.HTTPException) as exc:
        return f"{service}: {type(exc).__name__}: {exc}"
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    """Check the named service, else PID 1's; print the reason of a failure."""
    service = argv[1] if len(argv) > 1 else running_service()
    if service is None:
        return 0
    if service not in PORTS:
        print(f"unknown service {service!r}; one of {', '.join(PORTS)}", file=sys.stderr)
        return 2
    reason = check(service)
    if reason is not None:
        print(reason, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
