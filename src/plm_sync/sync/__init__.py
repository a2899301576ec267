"""The sync engine: one run from Connect's catalog to the stored PLM catalog, as named stages.

- `request`: what a run is asked to do (scope, dry run, brakes), JSON for task messages.
- `extract`: Connect read for the run: products in scope, each product's items (fetched
  ahead, `connect.prefetch`) and offers, unreadable rows turned into events.
- `states`: what the run knows of the stored lines, read ahead in one transaction.
- `compute`: one product line as the rules build it (grouping, offers, add-ons, sharing,
  flattened into catalog rows), pure, from `domain/`.
- `diff`: a batch's change set as a value, against the stored rows read for the batch; the
  deactivation brake and a dry run read it, neither writes.
- `load`: a batch written in one transaction (`store.catalog_writes`, bulk per table), on a
  writer thread while the next lines are computed.
- `prices`: each line's marketplaces and prices: their files read from Connect ahead, before
  the line's batch's transaction.
- `price_writes`: what was read applied in that transaction: checked, diffed, braked, written.
- `deactivation`: the deactivation brake's verdict over a run, and lines Connect no longer
  serves deactivated.
- `closing`: a run's status, whether the cursor moves, and the message it closes with.
- `tally`: what a run (or one chunk of it) counted, added up across processes and tasks.
- `run`: `SyncRun`, the run's lifecycle: walk, reconcile, the brake's verdict, close.
- `fanout`: one run split into chunks for `--jobs` processes or Celery tasks.

Imports: `sync` builds on `domain/`, the adapters (`connect`, `store`, `mappings`) and the
run log; it never imports `delivery` (the push), `cli` or the web pages.
"""
