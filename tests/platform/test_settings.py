"""Settings come from the environment (docs/contract.md §1) and from a running `vigie run`."""

from pathlib import Path

import pytest

from vigie.platform.runfile import RunFile, write_run_file
from vigie.platform.settings import MissingSettingError, VigieSettings
from vigie_intake.settings import IntakeSettings
from vigie_reporting.settings import ReportingSettings


def test_contract_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/vigie")
    monkeypatch.setenv("VIGIE_ADMIN_TOKEN", "secret")
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INTAKE_PORT", "9181")
    settings = IntakeSettings()
    assert settings.kafka == "k:9092"
    assert settings.dsn == "postgresql://db/vigie"
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "secret"
    assert settings.data_dir == tmp_path
    assert settings.port == 9181
    assert ReportingSettings().port == 8084


def test_unset_connections_come_from_a_running_vigie(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = VigieSettings(data_dir=tmp_path)
    with pytest.raises(MissingSettingError):
        _ = settings.with_running_instance().dsn
    write_run_file(
        tmp_path,
        RunFile(
            kafka_bootstrap_servers="127.0.0.1:1",
            database_url="postgresql://x/y",
            admin_token_file="t",
            services={},
            pids={},
        ),
    )
    resolved = settings.with_running_instance()
    assert resolved.kafka == "127.0.0.1:1"
    assert resolved.dsn == "postgresql://x/y"
