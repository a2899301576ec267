"""A local Connect-style API on loopback: paging, RQL subset, API key, fault injection.

- `server` (the HTTP API and its test endpoints), `catalog` (what it serves, with test
  mutations), `markets` (marketplaces, listings, price sources), `rql_eval` (the filters
  the spec declares), `faults`, `generate` and `generate_prices` (catalogs of any size).
"""
