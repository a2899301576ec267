"""The SQL store: models, Alembic migrations, the unit of work and the repositories.

- `models/` (one room per part of the store), `migrations/`, `database` (engines, the unit
  of work, migrations on open), `bulk` (chunked and conflict-free inserts).
- Repositories, each never committing: `catalog` and `catalog_writes` (lines by diff, read
  back as catalog JSON), `snapshot` (Connect as served), `overrides`, `prices`, `pushes`
  (what each hub received, intents, verdicts), `plans`, `runs` and `run_rows`, `browse`.

Imports: `domain`, `config`, `errors` and `infra`; never the rules that build lines.
"""
