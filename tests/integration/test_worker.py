"""A real Celery worker on the machine's Redis, with PostgreSQL: the production path."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import redis
from amqp.exceptions import ChannelError
from kombu import Connection
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy import create_engine, text

from plm_sync.config import Settings
from plm_sync.delivery.push import line_content_hash
from plm_sync.delivery.workbooks import export_ppr
from plm_sync.mappings import load_plm_rules
from plm_sync.ops.reports import catalog, list_runs, run_report
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG, SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.pushes import PushRepository
from plm_sync.sync.run import SyncRequest, run_sync
from tasks.app import make_app
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import (
    API_KEY,
    hub_settings,
    settings_of,
    start_sandbox,
    unavailable,
)

# one broker for all: `make test` runs a file's tests in one pytest-xdist process
# (`--dist loadfile`), so these run one after another (they purge RabbitMQ's queue and pick
# Redis databases, which tests in parallel would share)
pytestmark = pytest.mark.integration
DATA = generate_catalog(6, 200, seed=21)
REDIS_URL = os.environ.get("PLM_SYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def broker_url() -> Iterator[str]:
    """A Redis database of its own for this test, emptied before and after."""
    database = 1 + uuid.uuid4().int % 15
    url = f"{REDIS_URL}/{database}"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable("Redis", str(error))
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def rabbitmq_url() -> Iterator[str]:
    """The machine's RabbitMQ, with the plm_sync queue emptied before and after."""
    url = os.environ.get("PLM_SYNC_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")

    def purge() -> None:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.channel()
            with contextlib.suppress(ChannelError):  # no such queue yet
                channel.queue_purge("plm_sync")

    try:
        purge()
    except (OSError, ChannelError, KombuOperationalError) as error:
        unavailable("RabbitMQ", str(error))
    yield url
    purge()


def settings_for(
    database_url: str, connect_url: str, broker: str = "", result_backend: str | None = None
) -> Settings:
    return settings_of(
        database_url,
        connect_url,
        broker_url=broker or "redis://unused",
        result_backend=result_backend,
        page_size=50,
    )


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PLM_SYNC_")}
    env |= {
        "PLM_SYNC_DATABASE_URL": settings.database_url,
        "PLM_SYNC_CONNECT_URL": settings.connect_url or "",
        "PLM_SYNC_CONNECT_API_KEY": API_KEY,
        "PLM_SYNC_BROKER_URL": settings.broker_url,
        "PLM_SYNC_MAPPINGS": str(settings.mappings),
        "PLM_SYNC_PAGE_SIZE": str(settings.page_size),
    }
    if settings.result_backend:
        env["PLM_SYNC_RESULT_BACKEND"] = settings.result_backend
    env |= {f"PLM_SYNC_{name.upper()}": value for name, value in extra.items()}
    return env


def unique(name: str) -> str:
    """A worker name of its own: RabbitMQ keeps a SIGKILLed worker's exclusive pidbox queue
    until it sees the connection gone, so the next test's worker of the same name is refused."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


@contextmanager
def worker(
    settings: Settings,
    name: str,
    *,
    concurrency: int = 2,
    log: Path | None = None,
    app_module: str = "tasks.app",
    **extra: str,
) -> Iterator[subprocess.Popen[bytes]]:
    """`celery -A tasks.app worker` as a subprocess (its own process group), ready to work."""
    log = log or Path(tempfile.gettempdir()) / f"plm-sync-worker-{name}-{uuid.uuid4().hex}.log"
    with (
        log.open("wb") as output,
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                app_module,
                "worker",
                "--concurrency",
                str(concurrency),
                "--pool",
                "prefork",
                "--hostname",
                f"{name}@%h",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=environment(settings, **extra),
            stdout=output,
            stderr=output,
            start_new_session=True,
        ) as process,
    ):
        try:
            client = make_app(settings)
            deadline = time.monotonic() + 60
            while not client.control.ping(
                destination=[f"{name}@{os.uname().nodename}"], timeout=0.5
            ):
                assert process.poll() is None, log.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "the worker did not start"
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


def plm_sync(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    variables = environment(settings)
    return plm_sync_cli(
        *args,
        settings={name: value for name, value in variables.items() if name.startswith("PLM_")},
        timeout=60,
    )


def enqueue(settings: Settings, *args: str) -> int:
    result = plm_sync(settings, "enqueue", *args)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[2])


def wait_for(settings: Settings, run_id: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = next(r for r in list_runs(settings, limit=50) if r["id"] == run_id)
        if run["status"] not in {"queued", "running"}:
            return run
        time.sleep(0.2)
    pytest.fail(f"run {run_id} still running after {timeout} s")


def logged_finish(log: Path, run_id: int, timeout: float = 60) -> int:
    """Until the worker's log holds the run's `run_finished` line; the lines it holds then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = json_lines(log)
        if any(line["event"] == "run_finished" and line.get("run_id") == run_id for line in lines):
            return len(lines)
        time.sleep(0.05)
    pytest.fail(f"run {run_id}'s run_finished never reached {log}")


@pytest.fixture
def reference(tmp_path: Path) -> dict[str, Any]:
    """The catalog a plain CLI run builds from DATA."""
    server = start_sandbox(SandboxCatalog.from_data(DATA))
    try:
        settings = settings_for(f"sqlite:///{tmp_path / 'cli.db'}", server.url)
        run_sync(settings, SyncRequest(full=True))
        return catalog(settings)
    finally:
        server.stop()


def test_operator_and_scheduled_runs_build_the_cli_catalog(
    postgres_url: str, broker_url: str, reference: dict[str, Any], tmp_path: Path
) -> None:
    server = start_sandbox(SandboxCatalog.from_data(DATA))
    settings = settings_for(postgres_url, server.url, broker_url)
    try:
        with worker(settings, "w1"):
            run_id = enqueue(settings, "sync", "--full")
            run = wait_for(settings, run_id)
            assert (run["trigger"], run["status"]) == ("operator", "succeeded_with_errors")
            assert run["counts"]["products"] == 6
            assert catalog(settings) == reference
            client = make_app(settings)
            result = client.send_task("plm_sync.scheduled_sync", kwargs={"full": True})
            scheduled = result.get(timeout=60)
            run = wait_for(settings, scheduled["run_id"])
            assert run["trigger"] == "schedule"
            counts = run["counts"]
            assert counts["created"] == counts["updated"] == counts["deactivated"] == 0
            assert catalog(settings) == reference
            product = reference["product_lines"][0]
            plan = product["service_plans"][0]["name"]
            workbook = export_ppr(settings, product["connect_product_id"], tmp_path / "p.xlsx")
            book = openpyxl.load_workbook(workbook)
            book["ServicePlans"]["C2"] = "Edited by an operator"
            book.save(workbook)
            imported = client.send_task("plm_sync.ppr_import", args=(str(workbook),))
            answer = imported.get(timeout=60)
            run = wait_for(settings, answer["run_id"])
            assert (run["trigger"], run["status"]) == ("operator", "succeeded")
            (line,) = catalog(settings, (product["connect_product_id"],))["product_lines"]
            edited = next(p for p in line["service_plans"] if p["name"] == plan)
            assert edited["description"] == "Edited by an operator"
    finally:
        server.stop()


def test_overlapping_triggers_make_one_run(postgres_url: str, broker_url: str) -> None:
    server = start_sandbox(
        SandboxCatalog.from_data(DATA), faults="slow:0.3", seed=3, slow_seconds=0.2
    )
    settings = settings_for(postgres_url, server.url, broker_url)
    try:
        with worker(settings, "w2"):
            client = make_app(settings)
            sent = [
                client.send_task("plm_sync.scheduled_sync", kwargs={"full": True}) for _ in range(3)
            ]
            answers = [result.get(timeout=60) for result in sent]
            started = [answer["run_id"] for answer in answers if "run_id" in answer]
            skipped = [answer["skipped"] for answer in answers if "skipped" in answer]
            assert len(started) == 1
            assert len(skipped) == 2
            assert all("still running" in reason for reason in skipped)
            wait_for(settings, started[0])
            assert [run["id"] for run in list_runs(settings)] == started
    finally:
        server.stop()


def test_transient_faults_are_retried_and_the_run_succeeds(
    postgres_url: str, broker_url: str, reference: dict[str, Any]
) -> None:
    server = start_sandbox(
        SandboxCatalog.from_data(DATA), faults="500:0.1,reset:0.05,429:0.05", seed=5
    )
    settings = settings_for(postgres_url, server.url, broker_url)
    try:
        with worker(settings, "w3"):
            run = wait_for(settings, enqueue(settings, "sync", "--full"))
    finally:
        server.stop()
    assert run["status"] == "succeeded_with_errors"  # DATA's malformed rows, nothing more
    assert run["counts"]["failed_products"] == 0
    assert run["retries"] > 0
    assert catalog(settings) == reference


def test_a_killed_worker_leaves_no_half_line_and_the_run_completes(
    postgres_url: str, broker_url: str, reference: dict[str, Any]
) -> None:
    # every request slowed: the run lasts well beyond the moment its first line lands
    server = start_sandbox(
        SandboxCatalog.from_data(DATA), faults="slow:1.0", seed=9, slow_seconds=0.4
    )
    settings = settings_for(postgres_url, server.url, broker_url)
    by_id = {line["connect_product_id"]: line for line in reference["product_lines"]}
    engine = create_engine(postgres_url)
    try:
        # chunks of two products, a line a batch: a kill lands between lines of a chunk
        small = {"task_products": "2", "batch_lines": "1"}
        with worker(
            settings, "w4", visibility_timeout="4", redelivery_check_seconds="2", **small
        ) as first:
            run_id = enqueue(settings, "sync", "--full")
            deadline = time.monotonic() + 60
            with engine.connect() as connection:  # a cheap look, so the kill lands at once
                while not connection.execute(text("SELECT count(*) FROM product_lines")).scalar():
                    assert time.monotonic() < deadline
                    connection.rollback()
                    time.sleep(0.05)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        for line in catalog(settings)["product_lines"]:
            assert line == by_id[line["connect_product_id"]]
        assert next(r for r in list_runs(settings) if r["id"] == run_id)["status"] == "running"
        with worker(settings, "w5", visibility_timeout="4", redelivery_check_seconds="2", **small):
            run = wait_for(settings, run_id, timeout=180)
    finally:
        engine.dispose()
        server.stop()
    assert run["status"] in {"succeeded_with_errors", "failed"}
    if run["status"] == "succeeded_with_errors":
        assert catalog(settings) == reference
    for line in catalog(settings)["product_lines"]:
        assert line == by_id[line["connect_product_id"]]


def received_task_ids(*logs: Path) -> list[str]:
    """The ids of the tasks the workers writing these logs received (Celery's own lines)."""
    pattern = re.compile(r"Task plm_sync\.\w+\[([0-9a-f-]+)\] received")
    return [
        found.group(1)
        for log in logs
        for found in pattern.finditer(log.read_text(errors="replace"))
    ]


def test_a_task_longer_than_the_visibility_timeout_runs_once(
    postgres_url: str, broker_url: str, reference: dict[str, Any], tmp_path: Path
) -> None:
    # every request takes 1.5 s, so each product task runs ~8 s: twice the 4 s timeout
    server = start_sandbox(
        SandboxCatalog.from_data(DATA), faults="slow:1.0", seed=4, slow_seconds=1.5
    )
    settings = settings_for(postgres_url, server.url, broker_url)
    # a task per product (each ~8 s long)
    lease = {"visibility_timeout": "4", "redelivery_check_seconds": "1", "task_products": "1"}
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    try:
        with (
            worker(settings, "lease-a", concurrency=1, log=logs[0], **lease),
            worker(settings, "lease-b", concurrency=1, log=logs[1], **lease),
        ):
            run = wait_for(settings, enqueue(settings, "sync", "--full"), timeout=180)
    finally:
        server.stop()
    received = received_task_ids(*logs)
    assert len(received) == len(set(received)), "a running task was handed to a second worker"
    assert len(received) >= len(DATA["products"]) + 2  # plan, products, close
    assert run["status"] == "succeeded_with_errors"
    assert catalog(settings) == reference


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_whole_worker_killed_mid_run_costs_one_lease_not_the_run(
    broker: str, postgres_url: str, broker_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Default broker settings: the survivor takes the dead worker's task.

    Redis: once the dead worker's lease ran out (30 s); RabbitMQ: as soon as its connection
    dropped (Redis then keeps the results only).
    """
    data = generate_catalog(24, 60, seed=23)
    server = start_sandbox(SandboxCatalog.from_data(data))
    try:
        cli = settings_for(f"sqlite:///{tmp_path / 'cli.db'}", server.url)
        expected = run_sync(cli, SyncRequest(full=True)).status
        wanted = catalog(cli)
    finally:
        server.stop()
    server = start_sandbox(SandboxCatalog.from_data(data))
    # three product lines are read, then the run waits at the sandbox until the kill landed:
    # the run is open when the worker dies, whatever the machine's speed
    server.catalog.hold_items_after(3)
    if broker == "redis":
        settings = settings_for(postgres_url, server.url, broker_url)
    else:
        amqp = request.getfixturevalue("rabbitmq_url")
        settings = settings_for(postgres_url, server.url, amqp, result_backend=broker_url)
    try:
        # a task per product: the sandbox's three passes go to three tasks' products (a chunk
        # fetching ahead could get passes for later products and wait for an earlier one held)
        single = {"task_products": "1"}
        with worker(settings, unique("survivor"), concurrency=1, **single):
            with worker(settings, unique("doomed"), concurrency=1, **single) as doomed:
                run_id = enqueue(settings, "sync", "--full")
                deadline = time.monotonic() + 60
                while len(catalog(settings)["product_lines"]) < 3:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
                os.killpg(doomed.pid, signal.SIGKILL)  # main process and its children
                doomed.wait(timeout=10)
                killed_at = time.monotonic()
            assert next(r for r in list_runs(settings) if r["id"] == run_id)["status"] == "running"
            server.catalog.release()
            run = wait_for(settings, run_id, timeout=180)
            took = time.monotonic() - killed_at
    finally:
        server.stop()
    assert run["status"] == expected.value
    assert run["counts"]["failed_products"] == 0
    assert catalog(settings) == wanted
    assert took < (90 if broker == "redis" else 45), f"the run ended {took:.0f} s after the kill"


def test_a_key_revoked_mid_run_fails_the_run_at_once_with_one_error(
    postgres_url: str, broker_url: str
) -> None:
    """As on the CLI: one connect_auth error and a failed run, not one error per product."""
    server = start_sandbox(SandboxCatalog.from_data(generate_catalog(30, 20, seed=29)))
    server.catalog.hold_items_after(3)  # three lines read, then the run waits at the sandbox
    settings = settings_for(postgres_url, server.url, broker_url)
    single = {"task_products": "1"}  # the passes go to three tasks' products, in order
    try:
        with (
            worker(settings, "one", concurrency=1, **single),
            worker(settings, "two", concurrency=1, **single),
        ):
            run_id = enqueue(settings, "sync", "--full")
            deadline = time.monotonic() + 60
            while len(catalog(settings)["product_lines"]) < 3:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            server.revoke_key()
            revoked_at = time.monotonic()
            server.catalog.release()
            run = wait_for(settings, run_id, timeout=60)
            took = time.monotonic() - revoked_at
            report = run_report(settings, run_id)
    finally:
        server.stop()
    assert run["status"] == "failed"
    errors = [event for event in report["events"] if event["level"] == "error"]
    assert [event["code"] for event in errors] == ["connect_auth"]
    assert "PLM_SYNC_CONNECT_API_KEY" in errors[0]["message"]
    assert "API key" in (run["message"] or "")
    assert took < 20, f"the run failed {took:.0f} s after the key was revoked"


def test_a_queued_run_without_a_worker_is_reported_and_can_be_cancelled(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    server = start_sandbox(SandboxCatalog.from_data(DATA))
    settings = settings_for(postgres_url, server.url, broker_url)
    try:
        queued = plm_sync(settings, "enqueue", "sync", "--full")
        assert queued.returncode == 0, queued.stderr
        assert "no worker answered" in queued.stderr
        run_id = int(queued.stdout.split()[2])
        assert list_runs(settings)[0]["status"] == "queued"
        refused = plm_sync(settings, "sync")
        assert refused.returncode == 2
        assert f"plm-sync runs cancel {run_id}" in refused.stderr
        cancelled = plm_sync(settings, "runs", "cancel", str(run_id))
        assert cancelled.returncode == 0, cancelled.stderr
        assert list_runs(settings)[0]["status"] == "cancelled"
        assert plm_sync(settings, "sync", "--full").returncode == 3  # DATA's malformed rows
        log = tmp_path / "w6.log"
        with worker(settings, "w6", log=log):  # the queued task arrives, finds its run cancelled
            deadline = time.monotonic() + 60
            done = re.compile(r"Task plm_sync\.plan_run\[[0-9a-f-]+\] succeeded")
            while not done.search(log.read_text(errors="replace")):
                assert time.monotonic() < deadline, "the queued planning task never ran"
                time.sleep(0.1)
        assert "'skipped': True" in log.read_text(errors="replace")
        by_id = {run["id"]: run["status"] for run in list_runs(settings)}
        assert by_id[run_id] == "cancelled"
        assert len(by_id) == 2
    finally:
        server.stop()


def json_lines(path: Path) -> list[dict[str, Any]]:
    """The worker's structlog lines (Celery's own lines are not JSON)."""
    found = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def test_every_log_line_of_a_run_carries_that_run_id_and_none_leaks(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    server = start_sandbox(
        SandboxCatalog.from_data(DATA), faults="500:0.15,429:0.05", seed=13, retry_after=0
    )
    settings = settings_for(postgres_url, server.url, broker_url)
    log = tmp_path / "worker.log"
    try:
        with worker(settings, "w7", concurrency=1, log=log, app_module="tasks"):
            first = wait_for(settings, enqueue(settings, "sync", "--full"))
            boundary = logged_finish(log, first["id"])
            second = wait_for(settings, enqueue(settings, "sync", "--full"))
            logged_finish(log, second["id"])  # the closing task's last lines reach the file
    finally:
        server.stop()
    assert first["status"] == second["status"] == "succeeded_with_errors"
    lines = json_lines(log)
    runs = {first["id"]: lines[:boundary], second["id"]: lines[boundary:]}
    for run_id, run_lines in runs.items():
        retries = [line for line in run_lines if line["event"] == "connect_retry"]
        finished = [line for line in run_lines if line["event"] == "run_finished"]
        assert retries, "the faults made product tasks retry"
        assert all(line.get("run_id") == run_id for line in retries)
        assert [line.get("run_id") for line in finished] == [run_id]
        assert all(line.get("run_id") in {run_id, None} for line in run_lines)
    # the lines of product tasks outside any run (none here) would carry no id: none leaked
    assert all(line.get("run_id") != first["id"] for line in runs[second["id"]])


def test_workers_push_after_a_sync_when_asked(postgres_url: str, broker_url: str) -> None:
    from plm_sync.sandbox.commerce.server import (  # noqa: PLC0415
        CommerceSandbox,
        CommerceSandboxOptions,
    )

    server = start_sandbox(SandboxCatalog.load(SAMPLE_CATALOG))
    hub = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.2)).start()
    settings = settings_for(postgres_url, server.url, broker_url)
    commerce = hub_settings(hub)
    try:
        with worker(settings, "pusher", push_after_sync="true", **commerce):
            sync_id = enqueue(settings, "sync", "--full")
            assert wait_for(settings, sync_id)["status"] == "succeeded"
            deadline = time.monotonic() + 60
            pushes: list[dict[str, Any]] = []
            while not pushes and time.monotonic() < deadline:
                pushes = [r for r in list_runs(settings, limit=10) if r["trigger"] == "push"]
                time.sleep(0.2)
            assert pushes, "no push run followed the sync"
            push = wait_for(settings, pushes[0]["id"])
            lines = catalog(settings)["product_lines"]
            assert (push["status"], push["counts"]["updated"]) == ("succeeded", len(lines))
            applied = {item.product_id for item in hub.plm.applied}
            assert applied == {line["connect_product_id"] for line in lines}
            # an operator's push of the changed lines finds nothing to send
            queued = subprocess.run(
                [sys.executable, "-m", "plm_sync", "enqueue", "push", "--changed"],
                env=environment(settings, **commerce),
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
                cwd=ROOT,
            )
            assert queued.returncode == 0, queued.stderr
            again = wait_for(settings, int(queued.stdout.split()[2]))
            assert (again["trigger"], again["status"]) == ("push", "succeeded")
            assert again["counts"]["updated"] == 0
            assert len(hub.plm.applied) == len(lines)
    finally:
        hub.stop()
        server.stop()


@pytest.mark.parametrize("step", ["apply", "poll-success", "set-prices"])
def test_a_worker_killed_mid_push_is_finished_by_another_applying_once(
    step: str, database_url: str, broker_url: str, rabbitmq_url: str, tmp_path: Path
) -> None:
    """The worker case of the delivery crash matrix: RabbitMQ hands the dead worker's task to
    the next worker at once; that push reads PLM's plans before it sends anything again."""
    from plm_sync.commerce.hubs import hub_key  # noqa: PLC0415
    from plm_sync.sandbox.commerce.server import (  # noqa: PLC0415
        CommerceSandbox,
        CommerceSandboxOptions,
    )

    product = "PRD-276-377-545"
    server = start_sandbox(SandboxCatalog.load(SAMPLE_CATALOG))
    hub = CommerceSandbox(CommerceSandboxOptions(task_seconds=1.0)).start()
    settings = settings_for(database_url, server.url, rabbitmq_url, result_backend=broker_url)
    commerce = hub_settings(hub)
    try:
        run_sync(settings, SyncRequest(full=True))
        hub._server.holds[step] = 60.0
        with worker(
            settings, unique("doomed"), concurrency=1, log=tmp_path / "doomed.log", **commerce
        ) as doomed:
            queued = plm_sync_cli(
                "enqueue",
                "push",
                product,
                settings={
                    name: value
                    for name, value in environment(settings, **commerce).items()
                    if name.startswith("PLM_")
                },
                timeout=60,
            )
            assert queued.returncode == 0, queued.stderr
            run_id = int(queued.stdout.split()[2])
            deadline = time.monotonic() + 60
            while step not in hub._server.waiting:
                assert time.monotonic() < deadline, f"the push never reached {step}"
                time.sleep(0.05)
            os.killpg(doomed.pid, signal.SIGKILL)
            doomed.wait(timeout=10)
        hub._server.release()
        with worker(
            settings, unique("survivor"), concurrency=1, log=tmp_path / "survivor.log", **commerce
        ):
            run = wait_for(settings, run_id, timeout=120)
        (line,) = catalog(settings, (product,))["product_lines"]
        with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
            (stored,) = PushRepository(session).lines(
                hub_key(hub.url, hub.options.app_id), (product,)
            )
    finally:
        hub.stop()
        server.stop()
    assert run["status"] == "succeeded", run["message"]
    counts = hub.plm.state()["applied_per_content"]
    assert [n for key, n in counts.items() if key.startswith(f"{product} ")] == [1]
    assert list(hub.wizard.set_per_content.values()) == [1]  # its prices, once too
    assert stored.pushed_hash == line_content_hash(line, load_plm_rules(settings.mappings))


def test_workers_read_marketplaces_and_prices_as_the_cli_does(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    sample = json.loads(SAMPLE_CATALOG.read_text(encoding="utf-8"))
    server = start_sandbox(SandboxCatalog.from_data(sample))
    try:
        cli_settings = settings_for(f"sqlite:///{tmp_path / 'cli.db'}", server.url)
        run_sync(cli_settings, SyncRequest(full=True))
        expected = catalog(cli_settings)
        assert any(line["prices"] for line in expected["product_lines"])
        settings = settings_for(postgres_url, server.url, broker_url)
        with worker(settings, "prices"):
            run = wait_for(settings, enqueue(settings, "sync", "--full"))
            assert run["status"] == "succeeded", run
            assert catalog(settings) == expected
            again = wait_for(settings, enqueue(settings, "sync", "--full"))
            assert again["status"] == "succeeded"
            codes = {event["code"] for event in run_report(settings, again["id"])["events"]}
            assert not {code for code in codes if code.startswith("price_")}
    finally:
        server.stop()


def test_workers_plan_approve_drift_and_promote_as_the_cli_does(
    postgres_url: str, broker_url: str, tmp_path: Path
) -> None:
    """Plan, approve, drift and promotion on the workers: one task per line, as the CLI."""
    import requests  # noqa: PLC0415

    from plm_sync.delivery.push import PushRequest, push_lines  # noqa: PLC0415
    from plm_sync.sandbox.commerce.server import (  # noqa: PLC0415
        CommerceSandbox,
        CommerceSandboxOptions,
    )
    from tests.integration.test_ppr_roundtrip import MONTHLY  # noqa: PLC0415
    from tests.integration.test_push_proof import LINE, max_units, rates_edited  # noqa: PLC0415

    server = start_sandbox(SandboxCatalog.load(SAMPLE_CATALOG))
    hub = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.2)).start()
    staging = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.2)).start()
    commerce = hub_settings(hub)
    settings = settings_for(postgres_url, server.url, broker_url).with_overrides(
        commerce_url=hub.url,
        commerce_oauth_key=hub.options.oauth_key,
        commerce_oauth_secret=hub.options.oauth_secret,
        commerce_app_id=hub.options.app_id,
        commerce_poll_seconds=0.05,
    )

    def queued(*args: str) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "plm_sync", "enqueue", *args],
            env=environment(settings, **commerce),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        return int(done.stdout.split()[2])

    try:
        run_sync(settings, SyncRequest(full=True))
        assert push_lines(settings, PushRequest((LINE,))).exit_code == 0
        rates_edited(settings, tmp_path, 300)
        with worker(settings, unique("deliverer"), **commerce):
            plan = wait_for(settings, queued("push", LINE, "--plan"))
            assert plan["status"] == "planned", run_report(settings, plan["id"])["events"]
            assert max_units(hub) != 300
            pushed = wait_for(settings, queued("approve", str(plan["id"])))
            assert pushed["status"] == "succeeded", run_report(settings, pushed["id"])["events"]
            assert max_units(hub) == 300
            assert run_report(settings, plan["id"])["status"] == "succeeded"

            clean = wait_for(settings, queued("drift", "--all"))
            assert (clean["trigger"], clean["status"]) == ("drift", "succeeded")
            edited = requests.post(
                f"{hub.control_url}/edit",
                json={"product": LINE, "plan": MONTHLY, "description": "by hand"},
                timeout=5,
            )
            assert edited.ok
            drifted = wait_for(settings, queued("drift", LINE))
            assert drifted["status"] == "succeeded_with_errors"
            codes = [event["code"] for event in run_report(settings, drifted["id"])["events"]]
            assert "drift_plan_changed" in codes

            promoted = wait_for(
                settings, queued("push", "--changed", "--promote-from", staging.url)
            )
            events = run_report(settings, promoted["id"])["events"]
            held = [e for e in events if e["code"] == "commerce_promotion_held"]
            assert held, events  # staging received nothing: nothing is promoted
            assert all("never received it" in event["message"] for event in held)
    finally:
        staging.stop()
        hub.stop()
        server.stop()
