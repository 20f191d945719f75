"""The public contract (docs/contract.md): incident events, nomenclature, topics, masking.
Services import these and never redefine them."""
