"""Where intake is and which token to use: INTAKE_URL / INTAKE_TOKEN, else the admin token
(VIGIE_ADMIN_TOKEN), else what a running `vigie run` wrote in `$VIGIE_DATA_DIR/run.json`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from vigie.platform.runfile import RunFile, read_run_file
from vigie_cli.errors import CliError

DEFAULT_PORT = "8081"


@dataclass(frozen=True)
class IntakeTarget:
    """An intake base URL and the bearer token to send."""

    url: str
    token: str | None


def target_from(
    env: Mapping[str, str], *, run: RunFile | None, admin_token_file_text: str | None
) -> IntakeTarget:
    """Pick the URL and the token from the environment first, then the run file."""
    url = (
        env.get("INTAKE_URL")
        or (run.services.get("intake") if run is not None else None)
        or f"http://127.0.0.1:{env.get('INTAKE_PORT') or DEFAULT_PORT}"
    )
    file_token = admin_token_file_text.strip() if admin_token_file_text else None
    token = env.get("INTAKE_TOKEN") or env.get("VIGIE_ADMIN_TOKEN") or file_token or None
    return IntakeTarget(url.rstrip("/"), token)


def data_dir(env: Mapping[str, str]) -> Path:
    """The data dir of `vigie run` (docs/contract.md §1)."""
    return Path(env.get("VIGIE_DATA_DIR") or ".vigie")


def current_target(env: Mapping[str, str]) -> IntakeTarget:
    """The target as the environment and the run file say now."""
    run = read_run_file(data_dir(env))
    token_text = None
    if run is not None:
        try:
            token_text = Path(run.admin_token_file).read_text()
        except OSError:
            token_text = None
    return target_from(env, run=run, admin_token_file_text=token_text)


async def find_intake(
    env: Mapping[str, str], *, wait_s: float, on_wait: Callable[[str], None] | None = None
) -> IntakeTarget:
    """A ready intake and a token, waiting up to `wait_s` (a starting `vigie run` writes its
    run file only once every service is ready); `on_wait` hears once why it waits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    told = False
    async with httpx.AsyncClient(timeout=2.0) as http:
        while True:
            target = current_target(env)
            reason = await _not_ready(http, target)
            if reason is None:
                return target
            if loop.time() >= deadline:
                raise CliError(reason)
            if on_wait is not None and not told:
                on_wait(reason)
                told = True
            await asyncio.sleep(0.5)


async def _not_ready(http: httpx.AsyncClient, target: IntakeTarget) -> str | None:
    """Why this target cannot be used yet, or None when intake is ready."""
    if target.token is None:
        return (
            "no intake token: start `vigie run`, or set INTAKE_URL and INTAKE_TOKEN "
            "(or VIGIE_ADMIN_TOKEN)"
        )
    try:
        response = await http.get(f"{target.url}/health/ready")
    except httpx.HTTPError as exc:
        return f"cannot reach intake at {target.url} ({type(exc).__name__}); is `vigie run` up?"
    if response.status_code != 200:
        return (
            f"intake at {target.url} is not ready ({response.status_code}: {response.text[:120]})"
        )
    return None
