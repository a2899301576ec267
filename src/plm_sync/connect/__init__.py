"""The Connect API adapter: what plm-sync reads from CloudBlue Connect.

- `client` (the HTTP client: paged streams, retries), `responses` (typed errors, capped
  reads), `paging`, `rql`, `records` and `offers` (JSON into domain records), `markets`
  (marketplaces, listings, pricing batches, price lists), `prefetch` (fetch ahead).
"""
