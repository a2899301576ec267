"""A run the workers drive, quiet while its tasks wait in the broker's queue, is not swept.

No worker reads this test's own queue: a task sent there waits. The run's heartbeat is old,
so without the queue the sweep would fail it; while the task waits the sweep leaves it open
and `status` says it waits for workers. Once the queue is empty, the sweep fails it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from sqlalchemy import update

from plm_sync.config import Settings
from plm_sync.infra.queue import queued_tasks
from plm_sync.runs.runlog import sweep_runs, utcnow
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.models import Run
from plm_sync.store.runs import RunRepository, RunStart
from tasks.app import make_app
from tests.conftest import plm_sync_cli
from tests.integration.conftest import settings_of

pytestmark = pytest.mark.integration
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"plm_test_{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is not reachable at {REDIS}: {error}")
    yield name
    client.delete(name)
    client.close()


def test_a_run_whose_tasks_wait_in_the_queue_waits_for_workers(
    database_url: str, queue: str
) -> None:
    settings: Settings = settings_of(
        database_url, "http://127.0.0.1:9/unused", broker_url=REDIS, queue=queue
    )
    assert queued_tasks(settings) == 0
    with open_database(settings.database_url) as factory:
        with unit_of_work(factory) as session:
            run = RunRepository(session).start(
                RunStart("schedule", "full", full=True, dry_run=False),
                utcnow(),
                owner="celery:plan-task",
            )
            run_id = run.id
            session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(heartbeat_at=utcnow() - timedelta(hours=2))
            )
        app = make_app(settings)
        app.send_task("plm_sync.sync_chunk", args=(run_id, {}, []), queue=queue)
        assert queued_tasks(settings) == 1
        assert sweep_runs(settings, factory) == []
        with unit_of_work(factory) as session:
            stored = session.get(Run, run_id)
            assert stored is not None
            assert (stored.status, stored.finished_at) == ("running", None)
            assert (stored.message or "").startswith("waiting for workers: 1 task(s)")
        shown = plm_sync_cli(
            "status",
            settings={"database_url": database_url, "broker_url": REDIS, "queue": queue},
        )
        assert "running now: run" in shown.stdout
        assert "waiting for workers: 1 task(s) wait in the broker's queue" in shown.stdout
        app.control.purge()  # the task is gone (taken, or dropped): nothing waits any more
        app.close()
        assert queued_tasks(settings) == 0
        assert sweep_runs(settings, factory) == [run_id]
        with unit_of_work(factory) as session:
            stored = session.get(Run, run_id)
            assert stored is not None
            assert stored.status == "failed"
            assert "no heartbeat since" in (stored.message or "")
