"""A local Connect-style API on loopback: paging, RQL subset, API key, fault injection."""
