"""A push killed at any step is finished by the next push: PLM applies the line once, and
the wizard sets its prices once.

The crash matrix of delivery: the pushing process is killed with SIGKILL while the Commerce
sandbox holds one step of the push (its request arrived, its answer not sent yet):
- `parse`: the intent is written, nothing was sent to PLM that changes it;
- `apply`: `applyConfig` was taken by PLM (its task runs), its answer never arrives;
- `poll`: the task is known and running, the push polls it;
- `poll-success`: the task succeeded, the push dies before it records the outcome;
- `prepare-proposals`: the line is in PLM, its prices uploaded and prepared, not set;
- `set-prices`: the wizard took `set-prices`, its answer never arrives.
The next push (a new process) must end with PLM holding the line's content exactly once
(the sandbox counts applies per content), the line recorded as pushed to this hub, and
both runs in a final state.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from plm_sync.commerce.hubs import hub_key
from plm_sync.config import Settings
from plm_sync.delivery.push import line_content_hash
from plm_sync.mappings import load_plm_rules
from plm_sync.ops.reports import catalog, list_runs, run_report
from plm_sync.sandbox.commerce.server import CommerceSandbox, CommerceSandboxOptions
from plm_sync.sandbox.connect.server import SandboxServer
from plm_sync.store.database import open_database, unit_of_work
from plm_sync.store.pushes import PushRepository
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import API_KEY, hub_settings, settings_of

pytestmark = pytest.mark.integration
LINE = "PRD-276-377-545"
STEPS = ["parse", "apply", "poll", "poll-success"]
PRICE_STEPS = ["prepare-proposals", "set-prices"]


@pytest.fixture
def hub() -> Iterator[CommerceSandbox]:
    server = CommerceSandbox(CommerceSandboxOptions(task_seconds=1.0)).start()
    yield server
    server.stop()


def control(hub: CommerceSandbox, method: str, path: str, body: Any = None) -> Any:
    answer = requests.request(method, f"{hub.control_url}/{path}", json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()


def environment(settings: Settings, hub: CommerceSandbox) -> dict[str, str]:
    return {
        "database_url": settings.database_url,
        "connect_url": settings.connect_url or "",
        "connect_api_key": API_KEY,
        "mappings": str(ROOT / "mappings"),
    } | hub_settings(hub)


def killed_at(step: str, settings: Settings, hub: CommerceSandbox) -> None:
    """Start `plm-sync push LINE`, kill it while the sandbox holds `step`."""
    control(hub, "POST", "hold", {"step": step, "seconds": 60})
    env = {name: value for name, value in os.environ.items() if not name.startswith("PLM_SYNC_")}
    env |= {f"PLM_SYNC_{name.upper()}": value for name, value in environment(settings, hub).items()}
    with subprocess.Popen(
        [sys.executable, "-m", "plm_sync", "push", LINE],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as process:
        deadline = time.monotonic() + 60
        while step not in control(hub, "GET", "waiting")["waiting"]:
            assert process.poll() is None, f"the push ended before it reached {step}"
            assert time.monotonic() < deadline, f"the push never reached {step}"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    control(hub, "POST", "release")


def killed_then_pushed(
    step: str, database_url: str, sandbox: SandboxServer, hub: CommerceSandbox
) -> tuple[Settings, dict[str, Any]]:
    """A synced line, a push killed at `step`, then a push that succeeds: the hub's state."""
    settings = settings_of(database_url, sandbox.url)
    run_sync(settings, SyncRequest(full=True))
    killed_at(step, settings, hub)
    again = plm_sync_cli("push", LINE, settings=environment(settings, hub))
    assert again.returncode == 0, again.stderr
    return settings, control(hub, "GET", "state")


@pytest.mark.parametrize("step", STEPS)
def test_a_push_killed_at_each_step_is_finished_by_the_next_applying_once(
    step: str, database_url: str, sandbox: SandboxServer, hub: CommerceSandbox
) -> None:
    settings, state = killed_then_pushed(step, database_url, sandbox, hub)
    applied = [key for key in state["applied_per_content"] if key.startswith(f"{LINE} ")]
    assert [state["applied_per_content"][key] for key in applied] == [1]  # once, whatever died

    (line,) = catalog(settings, (LINE,))["product_lines"]
    with open_database(settings.database_url) as factory, unit_of_work(factory) as session:
        (stored,) = PushRepository(session).lines(hub_key(hub.url, hub.options.app_id), (LINE,))
    assert stored.pushed_hash == line_content_hash(line, load_plm_rules(settings.mappings))

    first, second = sorted(list_runs(settings, limit=3)[:2], key=lambda run: run["id"])
    assert first["status"] == "failed"  # swept: its process is gone
    assert second["status"] == "succeeded"
    codes = [event["code"] for event in run_report(settings, second["id"])["events"]]
    # PLM held the content already (the apply was taken): nothing sent again, and said so
    expected = "commerce_applied" if step == "parse" else "commerce_converged"
    assert expected in codes, codes

    # a third push finds the line as the hub holds it
    third = plm_sync_cli("push", LINE, "--format", "json", settings=environment(settings, hub))
    assert third.returncode == 0, third.stderr
    assert control(hub, "GET", "state")["applied_per_content"] == state["applied_per_content"]


@pytest.mark.parametrize("step", PRICE_STEPS)
def test_a_push_killed_between_the_price_steps_sets_the_prices_once(
    step: str, database_url: str, sandbox: SandboxServer, hub: CommerceSandbox
) -> None:
    settings, state = killed_then_pushed(step, database_url, sandbox, hub)
    assert list(state["prices_set_per_content"].values()) == [1]  # once, whatever died
    assert list(state["applied_per_content"].values()) == [1]
    second = max(run["id"] for run in list_runs(settings, limit=3))
    codes = [event["code"] for event in run_report(settings, second)["events"]]
    expected = "commerce_prices_converged" if step == "set-prices" else "commerce_prices_applied"
    assert expected in codes, codes
    third = plm_sync_cli("push", LINE, settings=environment(settings, hub))
    assert third.returncode == 0, third.stderr
    assert control(hub, "GET", "state")["prices_set_per_content"] == state["prices_set_per_content"]
