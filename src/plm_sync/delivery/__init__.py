"""Delivery into Commerce PLM: what reaches a hub, with proof that it did.

- `request`: what a push is asked to do (hub, lines, prices, dry run, plan), its tally and
  the line outcomes it counts.
- `push`: one push run's lifecycle: lines in scope, each delivered, the run closed; an
  approval's push settles its plan.
- `line_tasks`: the tasks of a run fanned out to workers (push, drift): a line each, close.
- `line_pusher`: one line to one hub: refused when unfit or stale, held when the hub has it,
  else its workbook, then its prices; a plan's line recorded for approval.
- `workbook_push`: a line's workbook under its intent: parse, apply, the PLM task waited
  for, the hub read back and compared; a push cut off resumed from PLM's state.
- `intents`: the one intent machine: a change written down before it is sent, stepped,
  closed with its outcome in the transaction that records what the hub received.
- `hub_view`: a workbook, as PLM parsed it, against the hub's configuration read back.
- `line_digests`: what a hub received of a line's workbook, as digests.
- `prices`: a line's prices to a hub: proposed, applied, converged, withdrawn.
- `price_rows`: pure rules of a line's price rows: digests, upload batches, read-back drift.
- `price_list`: the price-import wizard's file of a line's prices in one marketplace.
- `approval`: change plans: planned, approved (the push that carries it out), rejected.
- `promotion`: a line reaches production only as it was proved on staging.
- `drift`: a hub read back against the catalog, line by line.
- `workbooks`: the PLM workbook (PPR) exported from the store, and operator overrides
  imported from one.

Imports: builds on `runs`, the adapters (`commerce`, `store`, `ppr`, `mappings`) and
`domain`; it never imports `sync`, `ops` or the CLI.
"""
