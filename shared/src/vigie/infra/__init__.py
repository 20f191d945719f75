"""Embedded infrastructure for local runs and tests: the Tansu broker and a PostgreSQL server,
each a child process in its own process group, stopped with the parent."""

from vigie.infra.broker import EmbeddedBroker
from vigie.infra.postgres import EmbeddedPostgres
from vigie.infra.topics import ensure_topics

__all__ = ["EmbeddedBroker", "EmbeddedPostgres", "ensure_topics"]
