"""`vigie run`: the whole system on one machine, embedded broker and database unless
configured, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import signal
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
from pydantic import AliasChoices, Field

from vigie.platform.kafka import client_security, ensure_topics
from vigie.platform.migrate import apply_migrations
from vigie.platform.processes import free_port, port_open
from vigie.platform.runfile import RunFile, remove_run_file, write_run_file
from vigie.platform.settings import VigieSettings
from vigie.platform.territories import parse_territories, reference_csv
from vigie.platform.territory_store import store_territories
from vigie_aggregator.settings import AggregatorSettings
from vigie_alerts.defaults import seed_default_rules
from vigie_alerts.settings import AlertsSettings
from vigie_cli.commands.simulate import pace_line
from vigie_cli.console import console, err_console
from vigie_cli.errors import CliError
from vigie_cli.supervisor import ChildSpec, Server, Supervisor, wait_ready
from vigie_intake.settings import IntakeSettings
from vigie_reporting.settings import ReportingSettings

READY_TIMEOUT_S = 60.0
# The four services in start order, each with the default port of its own settings (8081-8084,
# docs/contract.md §1).
DEFAULT_PORTS: dict[str, int] = {
    name: settings.model_fields["port"].default
    for name, settings in (
        ("intake", IntakeSettings),
        ("aggregator", AggregatorSettings),
        ("alerts", AlertsSettings),
        ("reporting", ReportingSettings),
    )
}
SERVICES = tuple(DEFAULT_PORTS)


class RunSettings(VigieSettings):
    """What `vigie run` reads from the environment."""

    intake_port: int = Field(
        default=DEFAULT_PORTS["intake"],
        validation_alias=AliasChoices("INTAKE_PORT", "intake_port"),
    )
    aggregator_port: int = Field(
        default=DEFAULT_PORTS["aggregator"],
        validation_alias=AliasChoices("AGGREGATOR_PORT", "aggregator_port"),
    )
    alerts_port: int = Field(
        default=DEFAULT_PORTS["alerts"],
        validation_alias=AliasChoices("ALERTS_PORT", "alerts_port"),
    )
    reporting_port: int = Field(
        default=DEFAULT_PORTS["reporting"],
        validation_alias=AliasChoices("REPORTING_PORT", "reporting_port"),
    )
    aggregator_replicas: int = Field(
        default=1,
        ge=1,
        le=16,
        validation_alias=AliasChoices("AGGREGATOR_REPLICAS", "aggregator_replicas"),
    )
    simulate: bool = Field(
        default=True, validation_alias=AliasChoices("VIGIE_SIMULATE", "simulate")
    )
    broker_port: int = Field(
        default=0, validation_alias=AliasChoices("VIGIE_BROKER_PORT", "broker_port")
    )
    postgres_port: int = Field(
        default=0, validation_alias=AliasChoices("VIGIE_POSTGRES_PORT", "postgres_port")
    )

    def service_port(self, name: str) -> int:
        """The configured port of a service."""
        return int(getattr(self, f"{name}_port"))


def _devtools() -> ModuleType:
    """The embedded servers: a development-only package that production images do not have."""
    try:
        return importlib.import_module("vigie_devtools")
    except ModuleNotFoundError:
        raise CliError(
            "the embedded broker and database are development tools, not installed here: "
            "set KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL"
        ) from None


async def run(settings: RunSettings) -> None:
    """Start everything, print where it is, supervise until a stop signal, stop everything."""
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    _refuse_busy_ports(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    supervisor = Supervisor(data_dir / "logs")
    async with AsyncExitStack() as stack:
        stack.callback(remove_run_file, data_dir)
        kafka = settings.kafka_bootstrap_servers
        if not kafka:
            broker = _devtools().EmbeddedBroker(data_dir, settings.broker_port)
            stack.callback(broker.stop)
            kafka = broker.start()
            console.print(f"broker     embedded Tansu on {kafka}")
            supervisor.servers.append(_broker_server(broker, settings))
        dsn = settings.database_url
        if not dsn:
            postgres = _devtools().EmbeddedPostgres(data_dir, settings.postgres_port)
            stack.callback(postgres.stop)
            # Started from the main thread: the server's parent-death signal follows this thread.
            dsn = postgres.start()
            console.print(f"database   embedded PostgreSQL on 127.0.0.1:{postgres.port}")
            supervisor.servers.append(_postgres_server(postgres))
        await ensure_topics(
            kafka,
            partitions=settings.topic_partitions,
            replication=settings.topic_replication,
            security=client_security(settings),
        )
        await _prepare_database(dsn)
        token_file, token = _admin_token(settings, data_dir)

        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "DATABASE_URL": dsn,
            "VIGIE_ADMIN_TOKEN": token,
            "VIGIE_DATA_DIR": str(data_dir),
            # Alerts fetch the situation report of a signalement from reporting.
            "VIGIE_REPORTING_URL": os.environ.get(
                "VIGIE_REPORTING_URL", f"http://127.0.0.1:{settings.reporting_port}"
            ),
        }
        stack.callback(supervisor.stop_all)
        urls = _start_services(supervisor, settings, env)
        not_ready = await _wait_or_stop(urls, stop)
        if stop.is_set():
            return
        if not_ready:
            details = "; ".join(f"{name}: {reason}" for name, reason in not_ready.items())
            raise CliError(
                f"services not ready after {READY_TIMEOUT_S:.0f} s ({details}); "
                f"see {data_dir / 'logs'}"
            )
        run_file = RunFile(
            kafka_bootstrap_servers=kafka,
            database_url=dsn,
            admin_token_file=str(token_file),
            services={name: urls[name] for name in SERVICES},
            pids={},
        )
        supervisor.on_launch = lambda: _record_pids(data_dir, run_file, supervisor)
        supervisor.on_launch()
        if settings.simulate:
            # After run.json: the demo feed finds intake through it.
            supervisor.start(
                ChildSpec("simulate", [sys.executable, "-m", "vigie_cli", "simulate"], env)
            )
        _print_banner(urls, token, token_file, settings.simulate)
        await supervisor.watch(stop, on_restart=_report_restart)
        console.print("stopping…")
    console.print("stopped")


def _broker_server(broker: Any, settings: RunSettings) -> Server:
    """The embedded broker, supervised: memory only, so a new one starts empty and the topics
    are created again (events accepted but not consumed before it died are lost with it)."""

    async def restart() -> None:
        broker.restart()  # milliseconds
        await ensure_topics(
            broker.bootstrap_servers,
            partitions=settings.topic_partitions,
            replication=settings.topic_replication,
            security=client_security(settings),
        )

    return Server(
        "broker",
        alive=lambda: bool(broker.running),
        restart=restart,
        pid=lambda: broker.pid,
        returncode=lambda: broker.returncode,
    )


def _postgres_server(postgres: Any) -> Server:
    """The embedded PostgreSQL, supervised: restarted on its data, which it recovers from its
    WAL. Started from this (the main) thread, which its parent-death signal follows; the loop
    waits the second or two it takes."""

    async def restart() -> None:
        postgres.restart()

    return Server(
        "postgres",
        alive=lambda: bool(postgres.running),
        restart=restart,
        pid=lambda: postgres.pid,
        returncode=lambda: postgres.returncode,
    )


def _record_pids(data_dir: Path, run_file: RunFile, supervisor: Supervisor) -> None:
    run_file.pids = {**supervisor.pids(), "supervisor": [os.getpid()]}
    write_run_file(data_dir, run_file)


def _start_services(
    supervisor: Supervisor, settings: RunSettings, env: dict[str, str]
) -> dict[str, str]:
    """Start the four services (and aggregator replicas); return the URLs to wait for."""
    urls: dict[str, str] = {}
    for name in SERVICES:
        replicas = settings.aggregator_replicas if name == "aggregator" else 1
        for replica in range(replicas):
            port = settings.service_port(name)
            if replica:
                # Predictable for scraping when free; any free port otherwise.
                port += 100 + replica
                port = free_port() if port_open("127.0.0.1", port) else port
            key = name if replica == 0 else f"{name}-{replica}"
            child_env = {**env, f"{name.upper()}_PORT": str(port), "VIGIE_REPLICA": str(replica)}
            url = f"http://127.0.0.1:{port}"
            supervisor.start(ChildSpec.python_module(name, f"vigie_{name}", env=child_env, url=url))
            urls[key] = url
    return urls


async def _wait_or_stop(urls: dict[str, str], stop: asyncio.Event) -> dict[str, str]:
    ready = asyncio.ensure_future(wait_ready(urls, within=READY_TIMEOUT_S))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not ready.done():
        ready.cancel()
        return {}
    return ready.result()


async def _prepare_database(dsn: str) -> None:
    """Migrations, the QPV reference when the database has none yet, the default rules."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        applied = await apply_migrations(conn)
        if applied:
            console.print(f"database   {len(applied)} migration(s) applied")
        if not await conn.fetchval("SELECT count(*) FROM territories WHERE kind = 'qpv'"):
            result = await store_territories(conn, parse_territories(reference_csv()))
            console.print(f"territories {result.qpvs:,} QPVs loaded from the reference file")
        seeded = await seed_default_rules(conn)
        if seeded:
            console.print(f"alerts     {len(seeded)} default GSUP rule(s) installed")
    finally:
        await conn.close()


def _admin_token(settings: RunSettings, data_dir: Path) -> tuple[Path, str]:
    """The admin token from VIGIE_ADMIN_TOKEN, else the one generated on the first run."""
    token_file = data_dir / "admin-token"
    if settings.admin_token is not None:
        token = settings.admin_token.get_secret_value()
    elif token_file.exists():
        token = token_file.read_text().strip()
    else:
        token = f"vigie_admin_{secrets.token_urlsafe(32)}"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    return token_file, token


def _refuse_busy_ports(settings: RunSettings) -> None:
    for name in SERVICES:
        port = settings.service_port(name)
        if port_open("127.0.0.1", port):
            raise CliError(
                f"port {port} ({name}) is already in use: "
                f"stop the other process or set {name.upper()}_PORT"
            )


def _report_restart(name: str, code: int | None, delay: float) -> None:
    err_console.print(f"[yellow]{name} exited (code {code}); restarting in {delay:.1f} s[/yellow]")


def _print_banner(urls: dict[str, str], token: str, token_file: Path, simulate: bool) -> None:
    console.print()
    console.print("[bold]Vigie is running[/bold]")
    for name, url in urls.items():
        console.print(f"  {name:<13} {url}")
    # The page takes the token from the fragment (never sent to the server) and forgets it.
    console.print(f"  [bold]dashboard[/bold]     {urls['reporting']}/#token={token}")
    console.print(f"  admin token   {token}  (also in {token_file})")
    console.print(f"  demo feed     {'on (VIGIE_SIMULATE=0 turns it off)' if simulate else 'off'}")
    if simulate:
        console.print(f"                {pace_line(os.environ)}")
    console.print("Ctrl-C stops everything.")
