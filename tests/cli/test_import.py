"""`vigie incidents import` as a landlord runs it, against real intake and aggregator processes:
a Windows-1252 export with French columns, semicolons, decimal commas and bad lines; the French
report next to the file; a second import that counts nothing twice; `--dry-run`; the example
file of the README."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import orjson
import pytest

from tests.support.aggregator import eventually
from tests.support.aggregator_process import service_env
from tests.support.cli import ADMIN_TOKEN, read_incidents, run_cli
from tests.support.services import service_process
from vigie.contract.events import parse_event
from vigie_cli.import_columns import event_id_for

pytestmark = [pytest.mark.connected, pytest.mark.e2e]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "signalements-seine-saint-denis.csv"
EXPORT = (
    "Référence;Date;Heure;Code QPV;Catégorie;Gravité;Cible;Plainte;Coût (€);Commentaire;Agent\r\n"
    "A-1;20/11/2026;22:15;QN09328M;Tags, graffitis;1;patrimoine;non;120,00;Tags dans le hall;X\r\n"
    "A-2;20/11/2026;08:00;QN99999Z;BIE-TAG;2;patrimoine;non;;quartier inconnu;X\r\n"
    'A-3;21/11/2026;09:30;QN01332M;ENV-DEP;1;patrimoine;oui;1\xa0250,40;"sur deux\r\n'
    'lignes ; appeler le 06 12 34 56 78";X\r\n'
    "A-4;21/11/2026;10:00;QN06932M;BIE-DEG;9;patrimoine;non;;gravité hors échelle;X\r\n"
    "A-5;22/11/2026;23h05;QN05972M;Agression verbale, menaces;grave;Personnel;main courante;;;X\r\n"
    "A-6;31/11/2026;12:00;QN03107M;OCC-HAL;2;locataire;;;date impossible;X\r\n"
    "A-7;23/11/2026;;qn03107m;OCC-HAL;2;locataire;;0,5;;X\r\n"
)


@pytest.fixture
def cli_env(kafka_bootstrap: str, database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Intake and aggregator processes on the test's broker and database; the environment of
    a CLI run that reaches them."""
    logs = tmp_path / "logs"
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    aggregator = service_env(kafka_bootstrap, database_url, tmp_path)
    with (
        service_process("intake", env=env, log_dir=logs) as url,
        service_process("aggregator", env=aggregator, log_dir=logs),
    ):
        yield {**env, "INTAKE_URL": url, "VIGIE_DATA_DIR": str(tmp_path / "data")}


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as report:
        return list(csv.DictReader(report, delimiter=";"))


async def _counted(database_url: str, landlord: str) -> tuple[int, int]:
    """(incidents stored, incidents counted) for a landlord."""
    conn = await asyncpg.connect(database_url)
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM incidents WHERE landlord_id = $1", landlord
        )
        counted = await conn.fetchval(
            "SELECT coalesce(sum(incidents), 0) FROM incident_counters WHERE landlord_id = $1",
            landlord,
        )
    finally:
        await conn.close()
    return int(stored), int(counted)


async def test_a_french_export_imports_once_however_often_it_is_run(
    cli_env: dict[str, str], kafka_bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "export.csv"
    file.write_bytes(EXPORT.encode("cp1252"))
    for _ in range(2):
        finished = await run_cli(
            "incidents", "import", str(file), "--landlord", "hlm-e2e", env=cli_env
        )
        assert finished.code == 2
        assert "Traceback" not in finished.stderr
        assert "Windows-1252, separator ;, 7 lines" in finished.stdout
        assert "colonnes ignorées : « Agent »" in finished.stderr
        assert "3 of 7 lines rejected, 4 accepted" in finished.stderr
        assert "line 3, Code QPV: quartier inconnu" in finished.stderr
    # A-3 spans lines 4 and 5: A-4 is on line 6.
    assert [(r["ligne"], r["référence"], r["colonne"], r["erreur"]) for r in _report(
        tmp_path / "export.csv.errors.csv"
    )] == [
        ("3", "A-2", "Code QPV", "quartier inconnu (un code QPV est attendu, ex. QN09302M)"),
        ("6", "A-4", "Gravité", "doit être entre 1 et 4"),
        ("8", "A-6", "Date", "date illisible ou impossible (attendu JJ/MM/AAAA HH:MM)"),
    ]  # fmt: skip

    events: dict[str, set[str]] = {}
    for _, value in await read_incidents(kafka_bootstrap):
        event = parse_event(value)
        events.setdefault(event.incident_id, set()).add(str(event.event_id))
    # Twice the same lines, twice the same event ids.
    assert {k: len(v) for k, v in events.items()} == {"A-1": 1, "A-3": 1, "A-5": 1, "A-7": 1}
    assert events["A-1"] == {event_id_for(landlord_id="hlm-e2e", incident_id="A-1", revision="1")}
    published = [parse_event(v) for _, v in await read_incidents(kafka_bootstrap, quiet_s=0.2)]
    a3 = next(e for e in published if e.incident_id == "A-3")
    assert "06 12" not in orjson.dumps(a3.model_dump(mode="json")).decode()
    assert getattr(a3, "cost_eur", None) == 1250.4
    assert str(getattr(a3, "occurred_at", "")) == "2026-11-21 09:30:00+01:00"

    # Counted once each, however often the file was imported.
    async def counted_once() -> bool:
        return await _counted(database_url, "hlm-e2e") == (4, 4)

    assert await eventually(counted_once, within=30)


async def test_a_dry_run_checks_like_intake_and_sends_nothing(
    cli_env: dict[str, str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    file = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, file)
    finished = await run_cli(
        "incidents", "import", str(file), "--landlord", "seine-habitat", "--dry-run", env=cli_env
    )
    assert finished.code == 2, finished.stderr
    assert "4 of 15 lines rejected, 11 would be accepted (dry run, nothing sent; " in (
        finished.stderr.replace("\n", " ")
    )
    assert "territories: the database" in finished.stderr
    assert [
        (r["ligne"], r["colonne"]) for r in _report(file.with_name(file.name + ".errors.csv"))
    ] == [
        ("7", "Code QPV"),
        ("9", "Gravité"),
        ("10", "Date"),
        ("13", "Catégorie"),
    ]
    assert await read_incidents(kafka_bootstrap, quiet_s=0.5) == []
    # The real run refuses the same lines and sends the others.
    sent = await run_cli(
        "incidents", "import", str(file), "--landlord", "seine-habitat", env=cli_env
    )
    assert "4 of 15 lines rejected, 11 accepted" in sent.stderr.replace("\n", " ")
    assert len(await read_incidents(kafka_bootstrap)) == 11
