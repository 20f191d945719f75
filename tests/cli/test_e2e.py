"""`vigie simulate` and `vigie incidents import` against a real intake process, broker and
database: what they send lands on `incidents.v1`, valid, and what intake refuses is reported."""

from __future__ import annotations

import asyncio
import csv
import os
import re
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tests.support.cli import ADMIN_TOKEN, first_line, intake_on, read_incidents, run_cli
from tests.support.services import service_process
from vigie.contract.events import parse_event
from vigie.platform.processes import free_port
from vigie.platform.runfile import RunFile, write_run_file
from vigie.platform.territories import Territory
from vigie_cli.demo.landlords import DEMO_LANDLORDS
from vigie_cli.demo.scenario import Scenario
from vigie_cli.incident_csv import event_id_for

pytestmark = [pytest.mark.connected, pytest.mark.e2e]

HEADER = "incident_id,territory_id,category,occurred_at,severity,target,complaint,description"
WHEN = "2026-11-20T10:00:00+01:00"


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


async def test_import_reports_the_bad_lines_and_publishes_the_others(
    cli_env: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    lines = [
        f"A-1,QN09328M,BIE-TAG,{WHEN},2,patrimoine,aucune,Tags dans le hall",
        f"A-2,QN99999Z,BIE-TAG,{WHEN},2,patrimoine,aucune,territoire inconnu",
        f"A-3,QN01332M,ENV-DEP,{WHEN},1,patrimoine,plainte,"
        '"sur deux\nlignes, appeler le 06 12 34 56 78"',
        f"A-4,QN06932M,BIE-DEG,{WHEN},9,patrimoine,aucune,gravité hors échelle",
        f"A-5,QN05972M,PER-VER,{WHEN},3,personnel,main_courante,",
        f"A-6,QN03107M,OCC-HAL,{WHEN},2,locataire,inconnu,",
    ]
    file = tmp_path / "incidents.csv"
    file.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    finished = await run_cli(
        "incidents", "import", str(file), "--landlord", "bailleur-e2e", env=cli_env
    )
    assert finished.code != 0
    assert "Traceback" not in finished.stderr
    assert "2 of 6 lines rejected, 4 accepted" in finished.stderr
    # A-2 is on line 3; A-4 on line 6, after A-3's two physical lines.
    report = list(csv.DictReader((tmp_path / "incidents.csv.errors.csv").open(encoding="utf-8")))
    assert [(r["line"], r["incident_id"], r["field"]) for r in report] == [
        ("3", "A-2", "territory_id"),
        ("6", "A-4", "severity"),
    ]
    assert "line 3: territory_id" in finished.stderr
    assert "line 6: severity" in finished.stderr

    records = await read_incidents(kafka_bootstrap)
    events = {e.incident_id: e for e in (parse_event(value) for _, value in records)}
    assert sorted(events) == ["A-1", "A-3", "A-5", "A-6"]
    for incident_id, event in events.items():
        assert event.landlord_id == "bailleur-e2e"
        assert str(event.event_id) == event_id_for(
            landlord_id="bailleur-e2e", incident_id=incident_id, revision="1"
        )
    assert "06 12" not in orjson.dumps(events["A-3"].model_dump(mode="json")).decode()


async def test_a_clean_import_succeeds_and_can_be_repeated(
    cli_env: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    file = tmp_path / "clean.csv"
    file.write_text(
        "landlord_id;incident_id;territory_id;category;occurred_at;severity;target;complaint;cost_eur\n"
        f"bailleur-e2e;B-1;QN09328M;BIE-DEG;{WHEN};2;patrimoine;aucune;1250,40\n"
        f";B-2;QN09328M;BIE-TAG;{WHEN};1;patrimoine;aucune;\n",
        encoding="utf-8",
    )
    (tmp_path / "clean.csv.errors.csv").write_text("stale report\n")
    for _ in range(2):
        finished = await run_cli(
            "incidents", "import", str(file), "--landlord", "bailleur-e2e", env=cli_env
        )
        assert finished.code == 0, finished.stderr
        assert "2 incident lines accepted" in finished.stdout
    assert not (tmp_path / "clean.csv.errors.csv").exists()
    events = [parse_event(value) for _, value in await read_incidents(kafka_bootstrap)]
    # Twice the same lines: twice the same event ids, which count once downstream.
    assert len({e.event_id for e in events}) == 2
    assert any(getattr(e, "cost_eur", None) == 1250.4 for e in events)


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
    assert b"intake unreachable" in err

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
