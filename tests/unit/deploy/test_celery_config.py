"""The Celery app's safety settings and the beat schedule come from plm-sync settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plm_sync.config import Settings, load_settings
from plm_sync.errors import UsageError
from tasks.app import make_app
from tasks.leases import RenewLeases, held_tags
from tasks.schedule import beat_schedule, full_sync_crontab


def test_app_is_json_only_with_late_acks_and_prefetch_one() -> None:
    conf = make_app(Settings(broker_url="redis://example:6379/3", task_time_limit=600)).conf
    assert conf.broker_url == "redis://example:6379/3"
    assert conf.result_backend == "redis://example:6379/3"
    assert (conf.task_serializer, conf.result_serializer) == ("json", "json")
    assert list(conf.accept_content) == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_time_limit, conf.task_soft_time_limit) == (600, 570)
    assert conf.broker_transport_options["visibility_timeout"] == 30  # a lease, renewed
    assert conf.plm_sync_lease_renew_seconds == 7.5
    assert conf.broker_transport_options["unacked_restore_interval"] == 10


def test_settings_come_from_the_environment() -> None:
    settings = load_settings(
        {
            "PLM_SYNC_BROKER_URL": "redis://b/1",
            "PLM_SYNC_INCREMENTAL_MINUTES": "5",
            "PLM_SYNC_FULL_SYNC_CRON": "0 3 * * 1",
        }
    )
    schedule = beat_schedule(settings)
    assert schedule["plm-sync-incremental"]["schedule"] == timedelta(minutes=5)
    assert schedule["plm-sync-incremental"]["kwargs"] == {"full": False}
    assert schedule["plm-sync-full"]["kwargs"] == {"full": True}
    assert schedule["plm-sync-full"]["schedule"] == full_sync_crontab("0 3 * * 1")
    assert schedule["plm-sync-sweep-stale-runs"]["task"] == "plm_sync.sweep_stale_runs"


@pytest.mark.parametrize("expression", ["0 3 * *", "61 3 * * *", "every night"])
def test_bad_cron_names_the_setting(expression: str) -> None:
    with pytest.raises(UsageError, match="PLM_SYNC_FULL_SYNC_CRON"):
        full_sync_crontab(expression)


def test_zero_interval_is_refused() -> None:
    with pytest.raises(UsageError, match="PLM_SYNC_INCREMENTAL_MINUTES"):
        beat_schedule(Settings(incremental_minutes=0))


def test_settings_repr_hides_the_api_key() -> None:
    settings = Settings(connect_api_key="SU-1:very-secret")
    assert "very-secret" not in repr(settings)
    assert "***" in repr(settings)


def test_runs_are_pruned_by_beat_only_when_retention_is_set() -> None:
    assert "plm-sync-prune-runs" not in beat_schedule(Settings())
    schedule = beat_schedule(load_settings({"PLM_SYNC_RETENTION_DAYS": "90"}))
    assert schedule["plm-sync-prune-runs"]["task"] == "plm_sync.prune_runs"


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        pytest.param({"PLM_SYNC_RETENTION_DAYS": "0"}, "PLM_SYNC_RETENTION_DAYS", id="retention"),
        pytest.param({"PLM_SYNC_QUEUED_RUN_TIMEOUT": "soon"}, "QUEUED_RUN_TIMEOUT", id="timeout"),
        pytest.param({"PLM_SYNC_DEACTIVATION_LIMIT": "-3"}, "DEACTIVATION_LIMIT", id="limit"),
        pytest.param({"PLM_SYNC_VISIBILITY_TIMEOUT": "2"}, "VISIBILITY_TIMEOUT", id="lease"),
        pytest.param(
            {"PLM_SYNC_BROKER_URL": "amqp://guest:guest@rabbit//"}, "RESULT_BACKEND", id="rabbit"
        ),
        pytest.param(
            {"PLM_SYNC_CONNECT_URL": "ftp://connect/public/v1"}, "must start with", id="scheme"
        ),
    ],
)
def test_bad_operator_settings_name_the_variable(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        load_settings(environ)


def test_queued_run_timeout_takes_durations() -> None:
    assert load_settings({"PLM_SYNC_QUEUED_RUN_TIMEOUT": "30m"}).queued_run_timeout == 1800
    assert load_settings({"PLM_SYNC_QUEUED_RUN_TIMEOUT": "7200"}).queued_run_timeout == 7200


def test_a_worker_renews_the_leases_of_the_tasks_it_holds() -> None:
    class Message:
        def __init__(self, tag: str | None) -> None:
            self.delivery_tag = tag

    class Request:
        def __init__(self, tag: str | None) -> None:
            self.message = Message(tag)

    held = {"a": Request("tag-1"), "b": Request(None), "c": Request("tag-2")}
    assert held_tags(held) == ["tag-1", "tag-2"]
    assert RenewLeases in make_app(Settings()).steps["consumer"]
