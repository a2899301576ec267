"""Operating plm-sync: what its operators read and are told.

- `reports`: run reports, the catalog as JSON, a line's history, diffs between runs.
- `web`: the report server's pages (runs, a run, the catalog browser, a line) and decisions.
- `views`: the pages' templates, the run report workbook, the price list export, charts.
- `metrics`: `/metrics` in the Prometheus text format.
- `alerts`: a schedule gone quiet, said once.
- `doctor`: `plm-sync doctor`: settings, database, Connect, Commerce, the workers.

Imports: builds on `runs`, the adapters and `domain`; it reads what `sync` and `delivery`
stored and calls `delivery` only for an operator's decision on a plan (`web`).
"""
