"""Vigie's shared code, in two packages:

- `vigie.contract`: what other systems rely on (docs/contract.md): the event models, the
  nomenclature, the topic names and the masking of personal data.
- `vigie.platform`: what every Vigie process runs on: settings, database pool and migration
  runner, territory reference, authentication, HTTP error shape, health and metrics, serving,
  topic creation, child processes.

The embedded broker and PostgreSQL of local runs and tests live apart, in the development-only
workspace member `devtools/` (`vigie_devtools`), which production images do not install."""
