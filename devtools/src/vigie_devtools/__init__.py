"""Development-only servers for local runs, tests and benchmarks: the embedded Tansu broker and
an embedded PostgreSQL, each a child process in its own process group, stopped with the parent.
Production installs none of this (deploy/Dockerfile): Kafka and PostgreSQL are real there."""

from vigie_devtools.broker import EmbeddedBroker
from vigie_devtools.postgres import EmbeddedPostgres

__all__ = ["EmbeddedBroker", "EmbeddedPostgres"]
