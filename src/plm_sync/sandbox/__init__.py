"""Local doubles of the services plm-sync talks to, for the demo, the tests and the bench.

- `connect`: a Connect-style API on loopback (paging, RQL subset, API key, faults), and
  generated catalogs of any size.
- `commerce`: a double of Commerce PLM (the wizard's protocol, PROTOCOL.md §8) that keeps
  what it was sent and answers reads of it: `server` (the APS calls), `plm` (the plans it
  holds), `workbook` (a workbook read as `parseConfig` reads it), `wizard` (the price
  import and the resellers' flat catalogs), `tasks` (the PLM task log), `oauth`, `options`.
- `binding`: where a sandbox may listen (loopback only, unless `--allow-remote`).

Imports: the adapters they imitate (for their wire formats) and `domain`; nothing of the
product imports them but the CLI's `sandbox` and `demo` commands.
"""
