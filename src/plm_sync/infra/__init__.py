"""Plumbing every room may use, knowing nothing of catalogs: no store, no rules.

- `retrying`: retry policies (tenacity) and `Retry-After`.
- `serving`: a stdlib HTTP server on a background thread (the sandboxes, the report server).
- `streamed_json`: large JSON arrays written as they are produced.
- `xlsx_cells`: cell values made safe for a workbook (no formulas from data).
- `notify`: messages to people through Apprise, never raising, never showing a secret.
- `queue`: how many tasks wait in the workers' queue, asked through an entry point.
- `logging`: structlog configured once.

Imports: the standard library, third-party libraries, `config` and `domain` only.
"""
