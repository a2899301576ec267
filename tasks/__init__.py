"""Celery entry points for plm-sync (worker and beat): thin wrappers around `plm_sync`.

Start a worker with `celery -A tasks worker` (or `-A tasks.app`) and exactly one beat with
`celery -A tasks.app beat`.
"""

from typing import Any


def __getattr__(name: str) -> Any:  # noqa: ANN401 - the Celery app, loaded on first use
    """`celery -A tasks` finds `tasks.app` here; importing `tasks` alone builds no app."""
    if name == "app":
        from tasks.app import app  # noqa: PLC0415 - deferred: it reads settings on import

        return app
    raise AttributeError(name)
