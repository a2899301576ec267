"""Promotion from staging: only what the staging hub holds as applied and verified goes on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from plm_sync.config import Settings
from plm_sync.delivery.push import PushRequest, push_lines
from plm_sync.ops.reports import run_report
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.integration.conftest import settings_of, with_hub
from tests.integration.test_ppr_roundtrip import MONTHLY
from tests.integration.test_push_proof import LINE, rates_edited

pytestmark = pytest.mark.integration


@pytest.fixture
def staging() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.1)).start()
    yield server
    server.stop()


@pytest.fixture
def production() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=0.1)).start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer, staging: CommerceSandbox) -> Settings:
    settings = with_hub(settings_of(database_url, sandbox.url), staging)
    run_sync(settings, SyncRequest(full=True))
    pushed = push_lines(settings, PushRequest((LINE,)))
    assert pushed.exit_code == 0, run_report(settings, pushed.run_id)["events"]
    return settings


def promoted(
    settings: Settings, production: CommerceSandbox, staging: CommerceSandbox
) -> dict[str, Any]:
    to_production = with_hub(settings, production)
    outcome = push_lines(to_production, PushRequest(changed=True, promote_from=staging.url))
    return run_report(to_production, outcome.run_id)


def held(report: dict[str, Any]) -> dict[str, str]:
    return {
        event["connect_product_id"]: event["message"]
        for event in report["events"]
        if event["code"] == "commerce_promotion_held"
    }


def test_only_what_staging_verified_is_promoted(
    settings: Settings, staging: CommerceSandbox, production: CommerceSandbox, tmp_path: Path
) -> None:
    report = promoted(settings, production, staging)
    assert f"--promote-from {staging.url}" in report["scope"]
    assert LINE not in held(report)
    assert production.plm.download(LINE, "8") is not None
    assert [name for name in production.plm.state()["live_plans"] if "Cloud Service" in name]
    others = held(report)
    assert others  # every other line never reached staging
    assert all("never received it" in why for why in others.values())

    rates_edited(settings, tmp_path, 300)  # a new content, not on staging yet
    again = promoted(settings, production, staging)
    assert "holds another content" in held(again)[LINE]

    push_lines(settings, PushRequest((LINE,)))  # staging gets it, verified
    answer = requests.post(
        f"{staging.control_url}/edit",
        json={"product": LINE, "plan": MONTHLY, "description": "edited on staging"},
        timeout=5,
    )
    assert answer.ok
    edited = promoted(settings, production, staging)
    assert "no longer reads back as pushed" in held(edited)[LINE]


def test_promoting_from_the_hub_itself_is_refused(
    settings: Settings, staging: CommerceSandbox
) -> None:
    from plm_sync.errors import UsageError  # noqa: PLC0415

    with pytest.raises(UsageError, match="promote from a staging hub"):
        push_lines(settings, PushRequest(changed=True, promote_from=staging.url))


def test_a_line_whose_push_failed_on_staging_is_held_back(
    settings: Settings, staging: CommerceSandbox, production: CommerceSandbox, tmp_path: Path
) -> None:
    rates_edited(settings, tmp_path, 300)
    requests.post(f"{staging.control_url}/fail-task", json={"fail": True}, timeout=5)
    failed = push_lines(settings, PushRequest((LINE,)))
    assert failed.exit_code == 3
    report = promoted(settings, production, staging)
    assert "holds another content" in held(report)[LINE]
    assert production.plm.download(LINE, "8") == {
        "resources": [],
        "serviceTemplates": [],
        "servicePlans": [],
        "termsConditionsDetails": {},
        "subscriptionNotificationTemplates": [],
        "resourceDependencies": [],
        "opUnitResourceCategories": {},
    }  # nothing of the line reached production
