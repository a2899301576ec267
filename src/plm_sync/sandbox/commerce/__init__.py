"""A local double of Commerce PLM for tests and the demo (PROTOCOL.md §8).

- `server` (the APS calls and test endpoints), `plm` (the plans applied), `workbook` (a
  workbook read as `parseConfig` reads it), `wizard` (price import, resellers' flat
  catalogs), `tasks` (the PLM task log), `oauth` (the consumer check), `options`.
"""
