"""The `vigie` command line (CONTRACT §2)."""
