"""Pure PLM rules: no I/O, no outside libraries; every other room builds on them.

- What Connect serves: `source` (products, items), `offers`, `mpn`, `periods`, `text`.
- The rules: `rules`, `operator_rules`, `names`, `grouping`, `offer_plans`, `addons`,
  `replacements`, `switches`, `sharing`, `overrides`, `lines` (a line built from them all).
- The catalog: `catalog` (one line's hierarchy), `line_rows` (its rows per table),
  `line_diff` and `changes` (against the stored rows), `catalog_json` (the one JSON
  producer), `digests`, `explain`.
- Prices: `prices`, `price_files`, `price_checks`, `price_changes`.
- Runs: `runs` (statuses, counts), `events` (the one registry of event codes), `moments`.
"""
