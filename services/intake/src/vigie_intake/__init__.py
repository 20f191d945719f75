"""Vigie intake service."""
