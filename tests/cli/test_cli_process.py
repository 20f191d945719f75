"""The commands as processes, with no intake to talk to: one clear line, no traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from vigie.platform.processes import free_port

pytestmark = pytest.mark.e2e

WHEN = "2026-11-20T10:00:00+01:00"
HEADER = "incident_id,territory_id,category,occurred_at,severity,target,complaint"


async def test_import_without_intake_is_one_clear_line(tmp_path: Path) -> None:
    file = tmp_path / "x.csv"
    file.write_text(f"{HEADER}\nA-1,QN09328M,BIE-TAG,{WHEN},2,patrimoine,aucune\n")
    env = {
        "VIGIE_DATA_DIR": str(tmp_path),
        "INTAKE_URL": f"http://127.0.0.1:{free_port()}",
        "INTAKE_TOKEN": "x",
    }
    finished = await run_cli("incidents", "import", str(file), "--landlord", "b", env=env)
    assert finished.code == 2
    assert "cannot reach intake" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert len(finished.stderr.strip().splitlines()) == 1


async def test_import_of_a_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    finished = await run_cli(
        "incidents", "import", str(tmp_path / "none.csv"), "--landlord", "b", env={}
    )
    assert finished.code == 2
    assert "cannot read" in finished.stderr
    assert "Traceback" not in finished.stderr


async def test_simulate_stopped_while_waiting_for_intake(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VIGIE_DATA_DIR": str(tmp_path),
        "INTAKE_PORT": str(free_port()),
        "VIGIE_ADMIN_TOKEN": "x",
        "COLUMNS": "200",
    }
    env.pop("INTAKE_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "vigie_cli", "simulate",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    waiting = await asyncio.wait_for(process.stderr.readline(), timeout=60)
    assert b"simulate: waiting up to 30 s for intake" in waiting
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, err.decode()
    assert b"stopped before intake was reachable" in out
    assert b"Traceback" not in err


async def test_lines_of_another_landlord_are_refused_before_sending(tmp_path: Path) -> None:
    file = tmp_path / "other.csv"
    file.write_text(
        f"landlord_id,{HEADER}\nbailleur-b,A-1,QN09328M,BIE-TAG,{WHEN},2,patrimoine,aucune\n"
    )
    env = {"VIGIE_DATA_DIR": str(tmp_path), "INTAKE_URL": f"http://127.0.0.1:{free_port()}"}
    finished = await run_cli("incidents", "import", str(file), "--landlord", "bailleur-a", env=env)
    assert finished.code == 2
    assert "line 2, landlord_id: « bailleur-b » alors que l'import est pour bailleur-a" in (
        finished.stderr
    )
    assert "1 of 1 lines rejected, 0 accepted" in finished.stderr
    report = (tmp_path / "other.csv.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert report[1].startswith("2;A-1;landlord_id;")
