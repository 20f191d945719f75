"""`vigie simulate` against a real intake process, broker and database: what it sends lands on
`incidents.v1`, valid (`vigie incidents import`: test_import.py)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.cli import ADMIN_TOKEN, first_line, intake_on, read_incidents, run_cli
from tests.support.services import service_process
from vigie.contract.events import parse_event
from vigie.platform.processes import free_port
from vigie.platform.runfile import RunFile, write_run_file
from vigie.platform.territories import Territory
from vigie_cli.demo.landlords import DEMO_LANDLORDS
from vigie_cli.demo.scenario import Scenario

pytestmark = [pytest.mark.connected, pytest.mark.e2e]


@pytest.fixture
def intake_url(kafka_bootstrap: str, database_url: str, tmp_path: Path) -> Iterator[str]:
    """A real intake process on the test's broker and database."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    with service_process("intake", env=env, log_dir=tmp_path / "logs") as url:
        yield url


@pytest.fixture
def cli_env(
    intake_url: str, kafka_bootstrap: str, database_url: str, tmp_path: Path
) -> dict[str, str]:
    """The environment of a CLI run that reaches this intake (no run file)."""
    return {
        "INTAKE_URL": intake_url,
        "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "VIGIE_DATA_DIR": str(tmp_path / "data"),
    }


async def test_simulate_publishes_valid_events(
    cli_env: dict[str, str], kafka_bootstrap: str, reference_territories: list[Territory]
) -> None:
    env = {**cli_env, "VIGIE_SIMULATE_BACKFILL": "60", "VIGIE_SIMULATE_SEED": "5"}
    finished = await run_cli("simulate", "--duration", "3", "--rate", "10", env=env)
    assert finished.code == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    summary = re.search(r"(\d+) accepted, (\d+) rejected, (\d+) unsent", finished.stdout)
    assert summary is not None, finished.stdout
    accepted, rejected, unsent = map(int, summary.groups())
    assert (rejected, unsent) == (0, 0)

    records = await read_incidents(kafka_bootstrap)
    events = [parse_event(value) for _, value in records]
    assert all(
        key == (e.territory_id or e.landlord_id).encode()
        for (key, _), e in zip(records, events, strict=True)
    )
    assert {e.landlord_id for e in events} <= {landlord.landlord_id for landlord in DEMO_LANDLORDS}
    # The seed fixes the history: every event of it reached the topic.
    history = Scenario(seed=5, territories=reference_territories).history(
        count=60, now=datetime.now(UTC)
    )
    published = {str(e.event_id) for e in events}
    assert {p.event["event_id"] for p in history} <= published
    # Live events came after the history (10/s for 3 s), all accepted (re-sends included).
    assert len(published) > 60
    assert accepted >= len(published)


async def test_simulate_waits_for_the_run_file_of_a_starting_vigie_run(
    intake_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    token_file = data_dir / "admin-token"
    token_file.write_text(ADMIN_TOKEN + "\n")
    env = {
        "VIGIE_DATA_DIR": str(data_dir),
        "VIGIE_SIMULATE_BACKFILL": "0",
        "INTAKE_PORT": str(free_port()),  # nothing there: only the run file leads to intake
    }
    run = asyncio.create_task(run_cli("simulate", "--duration", "1", env=env))
    await asyncio.sleep(2)
    assert not run.done()
    run_file = RunFile(
        kafka_bootstrap_servers="unused:9092",
        database_url="postgresql://unused/none",
        admin_token_file=str(token_file),
        services={"intake": intake_url},
        pids={"supervisor": [os.getpid()]},
    )
    write_run_file(data_dir, run_file)
    finished = await run
    assert finished.code == 0, finished.stderr
    assert f"→ {intake_url}" in finished.stdout
    assert re.search(r"[1-9]\d* accepted, 0 rejected, 0 unsent", finished.stdout)


@pytest.fixture
def intake_env(kafka_bootstrap: str, database_url: str) -> dict[str, str]:
    """The environment of an intake process on the test's broker and database."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
    }


def simulate_env(
    intake_env: dict[str, str], port: int, tmp_path: Path, **extra: str
) -> dict[str, str]:
    """The environment of a `vigie simulate` feeding the intake on `port`, no history."""
    return {
        **os.environ,
        **intake_env,
        "INTAKE_URL": f"http://127.0.0.1:{port}",
        "VIGIE_DATA_DIR": str(tmp_path / "data"),
        "VIGIE_SIMULATE_BACKFILL": "0",
        "COLUMNS": "200",
        **extra,
    }


async def test_simulate_loses_nothing_while_intake_restarts(
    intake_env: dict[str, str],
    kafka_bootstrap: str,
    tmp_path: Path,
    reference_territories: list[Territory],
) -> None:
    port = free_port()
    env = simulate_env(intake_env, port, tmp_path, VIGIE_SIMULATE_SEED="9")
    log = tmp_path / "intake.log"
    with intake_on(port, env=intake_env, log=log):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "vigie_cli", "simulate", "--rate", "20", "--duration", "8",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await first_line(process.stdout, containing=b"demo landlords")
        await asyncio.sleep(1.5)
    # Intake is gone for a while; the feed keeps generating and retrying.
    await asyncio.sleep(2)
    with intake_on(port, env=intake_env, log=log):
        out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode()
    summary = re.search(rb"simulate: (\d+) events .* (\d+) rejected, (\d+) unsent", out)
    assert summary is not None, out.decode()
    total, rejected, unsent = map(int, summary.groups())
    assert (rejected, unsent) == (0, 0)
    # Stopping, intake first drains (503 + Retry-After), then is gone: the feed says which.
    assert b"intake unreachable" in err or b"intake answered 503" in err

    # The seed fixes the events: exactly those reached the topic, none lost, none invented.
    scenario = Scenario(seed=9, territories=reference_territories)
    expected = {scenario.next(now=datetime.now(UTC)).event["event_id"] for _ in range(total)}
    published = {
        str(parse_event(value).event_id) for _, value in await read_incidents(kafka_bootstrap)
    }
    assert published == expected


async def test_ctrl_c_stops_simulate_promptly_during_an_intake_outage(
    intake_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = simulate_env(intake_env, port, tmp_path)
    with intake_on(port, env=intake_env, log=tmp_path / "intake.log"):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "vigie_cli", "simulate", "--rate", "20",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await first_line(process.stdout, containing=b"demo landlords")
        await asyncio.sleep(1)
    await first_line(process.stderr, containing=b"intake unreachable")
    process.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert re.search(rb"simulate: \d+ events .* [1-9]\d* unsent", out), out.decode()
