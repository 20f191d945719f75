"""Helpers shared by the tests: real infrastructure and real service processes."""
