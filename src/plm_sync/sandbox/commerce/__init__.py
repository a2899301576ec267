"""A local double of Commerce PLM for tests and the demo (PROTOCOL.md §8)."""
