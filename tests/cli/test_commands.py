"""The `vigie` command line as users run it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "shared/src/vigie/platform/data/qpv_2024.csv"

pytestmark = pytest.mark.connected


def vigie(*args: str, database_url: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    env["VIGIE_DATA_DIR"] = str(cwd / ".vigie")
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "vigie_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_migrate_then_import_the_reference_twice(empty_database_url: str, tmp_path: Path) -> None:
    first_migrate = vigie("migrate", database_url=empty_database_url, cwd=tmp_path)
    second_migrate = vigie("migrate", database_url=empty_database_url, cwd=tmp_path)
    first = vigie(
        "territories", "import", str(REFERENCE), database_url=empty_database_url, cwd=tmp_path
    )
    second = vigie(
        "territories", "import", str(REFERENCE), database_url=empty_database_url, cwd=tmp_path
    )
    assert first_migrate.returncode == 0, first_migrate.stderr
    assert "applied shared/0001_territories.sql" in first_migrate.stdout
    assert "up to date" in second_migrate.stdout
    assert first.returncode == 0, first.stderr
    assert "1,518 QPVs" in first.stdout
    assert "0 updated" in first.stdout
    assert "territories" in first.stderr  # the progress bar
    assert second.returncode == 0
    assert "1,518 QPVs" in second.stdout
    assert "0 new, 0 updated" in second.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("territories", "import", "/no/such/file.csv"), "cannot read /no/such/file.csv"),
        (("keys", "create", "--role", "king"), "role must be one of"),
        (("keys", "create", "--role", "landlord"), "needs --landlord"),
        (("keys", "revoke", "000000000000"), "no active key 000000000000"),
    ],
)
def test_bad_input_is_one_line_without_traceback(
    database_url: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = vigie(*args, database_url=database_url, cwd=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_territory_file_names_its_line(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(REFERENCE.read_text(encoding="utf-8").replace(",2466\n", ",beaucoup\n", 1))
    result = vigie("territories", "import", str(bad), database_url=database_url, cwd=tmp_path)
    assert result.returncode == 2
    assert "line 2: social_dwellings must be a number" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_any_database_the_error_says_what_to_do(tmp_path: Path) -> None:
    result = vigie("migrate", database_url=None, cwd=tmp_path)
    assert result.returncode == 2
    assert "DATABASE_URL is not set" in result.stderr


def test_keys_are_created_printed_once_and_revoked(database_url: str, tmp_path: Path) -> None:
    created = vigie(
        "keys", "create", "--role", "partner", "--territory", "QN09302M", "--name", "CLSPD",
        database_url=database_url, cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    key_id = token.split("_")[1]
    assert f"key {key_id} (partner) created" in created.stderr
    revoked = vigie("keys", "revoke", key_id, database_url=database_url, cwd=tmp_path)
    assert revoked.returncode == 0
    assert f"key {key_id} revoked" in revoked.stdout
