"""The `vigie` command line (docs/contract.md §2)."""
