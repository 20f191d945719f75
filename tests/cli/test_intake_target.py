"""Finding intake: explicit settings first, then the run file of a running `vigie run`."""

from __future__ import annotations

import os
from pathlib import Path

from vigie.platform.runfile import RunFile, write_run_file
from vigie_cli.intake_target import current_target, target_from

RUN = RunFile(
    kafka_bootstrap_servers="127.0.0.1:9092",
    database_url="postgresql://x/y",
    admin_token_file="unused",
    services={"intake": "http://127.0.0.1:18081/"},
    pids={},
)


def test_environment_wins_over_the_run_file() -> None:
    env = {"INTAKE_URL": "http://intake:8081", "INTAKE_TOKEN": "t1", "VIGIE_ADMIN_TOKEN": "t2"}
    target = target_from(env, run=RUN, admin_token_file_text="t3")
    assert (target.url, target.token) == ("http://intake:8081", "t1")


def test_admin_token_then_run_file() -> None:
    target = target_from({"VIGIE_ADMIN_TOKEN": "t2"}, run=RUN, admin_token_file_text="t3\n")
    assert (target.url, target.token) == ("http://127.0.0.1:18081", "t2")
    target = target_from({}, run=RUN, admin_token_file_text="t3\n")
    assert target.token == "t3"


def test_defaults_without_a_run_file() -> None:
    assert target_from({}, run=None, admin_token_file_text=None).token is None
    assert target_from({}, run=None, admin_token_file_text=None).url == "http://127.0.0.1:8081"
    assert target_from({"INTAKE_PORT": "9000"}, run=None, admin_token_file_text=None).url == (
        "http://127.0.0.1:9000"
    )


def test_reads_a_live_run_file_and_its_token_file(tmp_path: Path) -> None:
    token_file = tmp_path / "admin-token"
    token_file.write_text("vigie_admin_abc\n")
    run = RUN.model_copy(
        update={"admin_token_file": str(token_file), "pids": {"supervisor": [os.getpid()]}}
    )
    write_run_file(tmp_path, run)
    target = current_target({"VIGIE_DATA_DIR": str(tmp_path)})
    assert (target.url, target.token) == ("http://127.0.0.1:18081", "vigie_admin_abc")
    assert current_target({"VIGIE_DATA_DIR": str(tmp_path / "none")}).token is None
