"""Celery entry points for plm-sync (worker and beat); thin wrappers around `plm_sync`."""
