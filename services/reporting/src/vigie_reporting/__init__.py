"""Vigie reporting service."""
