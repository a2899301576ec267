"""Delivery into Commerce PLM: what reaches a hub, with proof that it did.

- `request`: what a push is asked to do (hub, lines, prices, dry run, plan), its tally and
  the line outcomes it counts.
- `push`: one push run's lifecycle: lines in scope, each delivered, the run closed; an
  approval's push settles its plan.
- `line_pusher`: one line to one hub: its workbook, the intent recorded before it is sent,
  the wizard's task, the hub read back and compared.
- `prices`: a line's prices to a hub: proposed, applied, converged, withdrawn.
- `approval`: change plans: planned, approved (the push that carries it out), rejected.
- `promotion`: a line reaches production only as it was proved on staging.
- `drift`: a hub read back against the catalog, line by line.
- `workbooks`: the PLM workbook (PPR) exported from the store, and operator overrides
  imported from one.

Imports: builds on `runs`, the adapters (`commerce`, `store`, `ppr`, `mappings`) and
`domain`; it never imports `sync`, `ops` or the CLI.
"""
