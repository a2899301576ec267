"""A catalog built from real Connect payloads (tests/fixtures, CloudBlue's public fixtures) is
served by the sandbox and synced: real rows lack `version`, `events.updated` or any `events`,
carry fields the sandbox's own catalogs did not, and use MPNs that are not NCE-shaped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.server import SandboxServer
from tests.integration.conftest import start_sandbox
from tests.integration.test_operator_safety import lines_by_id, settings_for, sync

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def real_catalog() -> dict[str, Any]:
    product = load("connect-cli__product_response.json")  # only events.created, no version
    (listed,) = load("connect-reports__catalog.json")  # version 8, extensions, stats …
    return {
        "products": [product, listed],
        "items": {product["id"]: load("connect-cli__items_response.json"), listed["id"]: []},
    }


@pytest.fixture
def real_sandbox() -> SandboxServer:
    server = start_sandbox(SandboxCatalog.from_data(real_catalog()))
    yield server  # type: ignore[misc]
    server.stop()


def test_real_payloads_sync_and_an_incremental_rerun_changes_nothing(
    real_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, real_sandbox.url)
    report = sync(settings, real_sandbox.url, full=True)
    assert report["status"] in {"succeeded", "succeeded_with_errors"}
    assert report["counts"]["items"] == 20
    line = lines_by_id(settings)["PRD-276-377-545"]
    assert line["name"] == "My Product"
    assert line["vendor"] == "Adrian Inc Oct 12"
    mpns = {resource["mpn"] for resource in line["resources"]}
    assert "MPN-R-001" in mpns  # not NCE-shaped: taken as is
    assert all(resource["as_is"] for resource in line["resources"])
    codes = {event["code"] for event in report["events"]}
    assert "mpn_no_suffix" in codes
    again = sync(settings, real_sandbox.url)  # incremental: the rows carry no events.updated
    counts = again["counts"]
    assert (counts["products"], counts["created"], counts["updated"]) == (0, 0, 0)
    assert "synced 0 of 2 published products" in again["message"]
