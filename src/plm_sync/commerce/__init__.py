"""CloudBlue Commerce: the APS client plm-sync pushes product lines with, and reads them back.

- `client`: the signed APS client (service lookup, PLM calls, task polling, retries).
- `hubs`: which hub: its URL written one way, its key, the settings it needs.
- `responses`: what an HTTP answer is (JSON of the expected shape, an APSError, none).
- `answers`: what PLM's answers mean: tracking ids, task states, plans it would change.
- `readback`: a hub's exported configuration compared with the line's workbook.
- `wizard`: the price-import wizard and a reseller's flat catalog.
"""
