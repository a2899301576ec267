"""Leases on Redis messages: a live worker keeps its tasks; a dead worker's come back fast.

With `acks_late`, Celery's Redis transport keeps every message a worker holds in the
`unacked_index` sorted set, scored by the time it was handed out; any worker gives back
(to the queue) the messages older than the `visibility_timeout`. Redis cannot tell a worker
that died from one still working on a long task, so a long timeout makes a lost worker cost
the run (its tasks come back after hours) and a short one hands long tasks to a second
worker while they still run.

This step makes the timeout a lease: every `renew_seconds` the worker's main process stamps
the messages it holds (scheduled, reserved and running tasks) with the current time, so a
live worker keeps them however long a task runs, and a worker whose main process is gone
stops stamping and its messages are back in the queue one `visibility_timeout` later (plus
the `unacked_restore_interval` scan). A child killed alone is handled by Celery itself
(`task_reject_on_worker_lost`: given back at once). Brokers other than Redis (RabbitMQ)
hand a dead consumer's messages back themselves: the step does nothing there.
"""

from __future__ import annotations

from time import time
from typing import Any

import structlog
from celery import bootsteps
from celery.worker import state
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)


def held_tags(requests: dict[str, Any]) -> list[str]:
    """The delivery tags behind the worker's scheduled, reserved and active tasks."""
    tags = []
    for request in tuple(requests.values()):
        message = getattr(request, "message", None)
        tag = getattr(message, "delivery_tag", None)
        if tag is not None:
            tags.append(str(tag))
    return tags


class RenewLeases(bootsteps.StartStopStep):  # type: ignore[misc] # Celery ships no type hints
    """A consumer step: re-stamp this worker's unacknowledged Redis messages periodically."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:  # noqa: ANN401 - Celery's consumer
        super().__init__(parent, **kwargs)
        self.timer_entry: Any = None
        self.channel: Any = None

    def start(self, parent: Any) -> None:  # noqa: ANN401 - Celery's consumer
        """Start renewing when the broker is Redis (its channel keeps an unacked index)."""
        channel = parent.task_consumer.channel if parent.task_consumer else None
        if channel is None or not hasattr(channel, "unacked_index_key"):
            return
        self.channel = channel
        seconds = float(parent.app.conf.get("plm_sync_lease_renew_seconds") or 15)
        self.timer_entry = parent.timer.call_repeatedly(seconds, self.renew)
        log.info(
            "task_leases_renewed",
            every_seconds=seconds,
            visibility_timeout=channel.visibility_timeout,
        )

    def stop(self, parent: Any) -> None:  # noqa: ANN401, ARG002 - Celery's consumer
        """Stop renewing (the consumer is restarting or the worker shuts down)."""
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        self.channel = None

    def renew(self) -> int:
        """Stamp the held messages with now (only those still unacknowledged); how many."""
        channel = self.channel
        tags = held_tags(state.requests)
        if channel is None or not tags:
            return 0
        now = time()
        try:
            with channel.conn_or_acquire() as client:
                # XX: only members still there; an acknowledged message is not brought back
                stamps = dict.fromkeys(tags, now)
                return int(client.zadd(channel.unacked_index_key, stamps, xx=True, ch=True) or 0)
        except (RedisError, OperationalError, OSError) as error:
            # the next renewal tries again; a lease lapses only after a whole timeout
            log.warning("task_lease_renewal_failed", error=str(error), tasks=len(tags))
            return 0
