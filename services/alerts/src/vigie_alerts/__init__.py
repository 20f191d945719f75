"""Vigie alerts service."""
