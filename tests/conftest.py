"""Session-wide real infrastructure: one database server and template database per test
session, a fresh broker per test that asks for one (the embedded broker starts in milliseconds).
Set DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS to run against other servers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.support.infra import create_database, drop_database
from vigie.platform.kafka import ensure_topics
from vigie.platform.migrate import apply_migrations
from vigie.platform.territories import parse_territories, reference_csv
from vigie.platform.territory_store import store_territories
from vigie_devtools.broker import EmbeddedBroker
from vigie_devtools.postgres import EmbeddedPostgres

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# The fixtures below that start or reach the real broker or database.
CONNECTED_FIXTURES = frozenset(
    {
        "postgres_admin_url",
        "template_database",
        "database_url",
        "empty_database_url",
        "db",
        "kafka_bootstrap",
        "embedded_broker",
    }
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--long`: the long variants of tests/reliability (a hundred kills and more, longer
    outages); the default run keeps them short."""
    parser.addoption("--long", action="store_true", default=False, help="long reliability variants")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks, even indirectly, for the broker or the database is `connected`, marked
    or not: `make test-fast` (`-m "not connected …"`) then never starts a server."""
    for item in items:
        uses = CONNECTED_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if uses and item.get_closest_marker("connected") is None:
            item.add_marker(pytest.mark.connected)


@pytest.fixture(scope="session")
def infra_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the embedded servers of this test session keep their files."""
    return tmp_path_factory.mktemp("infra")


@pytest.fixture(scope="session")
def postgres_admin_url(infra_dir: Path) -> Iterator[str]:
    """A server URL on which tests may create databases."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    server = EmbeddedPostgres(infra_dir)
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="session")
async def template_database(postgres_admin_url: str) -> AsyncIterator[str]:
    """A migrated database holding the reference territories, to copy per test."""
    url = await create_database(postgres_admin_url, prefix="vigie_template")
    conn = await asyncpg.connect(url)
    try:
        await apply_migrations(conn)
        await store_territories(conn, parse_territories(reference_csv()))
    finally:
        await conn.close()
    yield url.rsplit("/", 1)[1]
    await drop_database(postgres_admin_url, url)


@pytest.fixture
async def database_url(postgres_admin_url: str, template_database: str) -> AsyncIterator[str]:
    """A fresh migrated database with the reference territories, dropped after the test."""
    url = await create_database(postgres_admin_url, template=template_database)
    yield url
    await drop_database(postgres_admin_url, url)


@pytest.fixture
async def empty_database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A fresh database with nothing in it."""
    url = await create_database(postgres_admin_url)
    yield url
    await drop_database(postgres_admin_url, url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh migrated database."""
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def kafka_bootstrap(tmp_path: Path) -> AsyncIterator[str]:
    """A broker with the Vigie topics: a fresh embedded one per test, unless configured."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        await ensure_topics(bootstrap, partitions=4)
        yield bootstrap
        return
    broker = EmbeddedBroker(tmp_path)
    bootstrap = broker.start()
    await ensure_topics(bootstrap, partitions=4)
    yield bootstrap
    broker.stop()


@pytest.fixture
def embedded_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """An embedded broker the test controls (to stop and restart it)."""
    broker = EmbeddedBroker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests save what people may want to look at (screenshots)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
