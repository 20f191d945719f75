"""Helpers of the CLI tests: a fixed "now", a real intake process, the CLI as a subprocess, and a
reader of `incidents.v1`."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from tests.support.services import service_process
from vigie.contract import topics

ADMIN_TOKEN = "cli-e2e-admin-token"
NOW = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)  # the clock of the feed and scenario tests


@dataclass(frozen=True)
class Finished:
    """A finished CLI run."""

    code: int
    stdout: str
    stderr: str


async def run_cli(*args: str, env: dict[str, str], within: float = 120.0) -> Finished:
    """Run `python -m vigie_cli ARGS` with extra environment; wait for it to end."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vigie_cli",
        *args,
        env={**os.environ, "COLUMNS": "200", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Finished(process.returncode, out.decode(), err.decode())


async def read_incidents(bootstrap: str, *, quiet_s: float = 1.0) -> list[tuple[bytes, bytes]]:
    """Every (key, value) on `incidents.v1`, read until nothing new came for `quiet_s`."""
    # Partitions assigned by hand: joining a consumer group costs seconds on the local broker.
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[tuple[bytes, bytes]] = []
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(topics.INCIDENTS) or set()
        consumer.assign([TopicPartition(topics.INCIDENTS, p) for p in sorted(partitions)])
        await consumer.seek_to_beginning()
        loop = asyncio.get_running_loop()
        last_new = loop.time()
        while loop.time() - last_new < quiet_s:
            batch = await consumer.getmany(timeout_ms=200)
            for partition_records in batch.values():
                records.extend((r.key or b"", r.value or b"") for r in partition_records)
                last_new = loop.time()
    finally:
        await consumer.stop()
    return records


@contextmanager
def intake_on(port: int, *, env: dict[str, str], log: Path) -> Iterator[str]:
    """An intake process on a given port (to stop and start again on the same address)."""
    with service_process("intake", env=env, log_dir=log.parent, port=port, ready_timeout=60) as url:
        yield url


async def first_line(stream: asyncio.StreamReader | None, *, containing: bytes) -> bytes:
    """Read lines until one holds `containing` (a minute at most)."""
    assert stream is not None
    async with asyncio.timeout(60):
        while True:
            line = await stream.readline()
            if not line:
                raise EOFError(f"stream ended before {containing!r}")
            if containing in line:
                return line
