"""`$VIGIE_DATA_DIR/run.json`: what a running `vigie run` started, so other commands find it."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel

RUN_FILE_NAME = "run.json"


class RunFile(BaseModel):
    """The shape of run.json (docs/contract.md §2)."""

    kafka_bootstrap_servers: str
    database_url: str
    admin_token_file: str
    services: dict[str, str]
    pids: dict[str, list[int]]


def read_run_file(data_dir: Path) -> RunFile | None:
    """The run file of a live `vigie run` in this data dir, or None (absent or stale)."""
    path = data_dir / RUN_FILE_NAME
    try:
        run = RunFile.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None
    supervisor = run.pids.get("supervisor", [])
    if supervisor and not _alive(supervisor[0]):
        return None
    return run


def write_run_file(data_dir: Path, run: RunFile) -> Path:
    """Write run.json atomically (readers never see half a file)."""
    path = data_dir / RUN_FILE_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(run.model_dump_json(indent=2))
    tmp.replace(path)
    return path


def remove_run_file(data_dir: Path) -> None:
    """Forget the run file when `vigie run` stops."""
    (data_dir / RUN_FILE_NAME).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
