"""The Connect API adapter: HTTP client, record parsing, and the local Connect-style sandbox."""
