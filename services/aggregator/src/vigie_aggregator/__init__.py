"""Vigie aggregator service."""
