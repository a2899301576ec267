"""Runs: the lifecycle every run shares (sync, push, drift, import), and its run log.

- `runlog`: `RunLog`, a run opened, its events recorded, its heartbeat and cancellation, and
  its close (status, counts, message, exit code) in one place for every kind of run.

Imports: builds on the adapters (`store`, `connect` and `commerce` errors) and `domain`;
nothing here knows how a sync or a push does its work.
"""
