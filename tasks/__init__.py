"""Celery entry points for plm-sync (worker and beat): thin wrappers around `plm_sync`.

Start a worker with `celery -A tasks.app worker` and exactly one beat with
`celery -A tasks.app beat`.
"""
