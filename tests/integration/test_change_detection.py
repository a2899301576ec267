"""Incremental runs find every changed product, whatever Connect stamped (or did not stamp)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from plm_sync.sandbox.connect.server import SandboxServer
from tests.integration.catalogs import item_row
from tests.integration.conftest import API_KEY
from tests.integration.test_operator_safety import lines_by_id, settings_for, sync

pytestmark = pytest.mark.integration
HEADERS = {"Authorization": f"ApiKey {API_KEY}"}


def control(sandbox: SandboxServer, method: str, path: str, body: Any = None) -> None:
    response = requests.request(
        method, f"{sandbox.control_url}{path}", json=body, headers=HEADERS, timeout=10
    )
    assert response.status_code < 300, response.text


def test_an_incremental_run_finds_new_bumped_and_unpublished_products(
    brake_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, brake_sandbox.url)
    assert sync(settings, brake_sandbox.url, full=True)["exit_code"] == 0
    # a new product whose row carries only `events.created`, its items no `events` at all
    new_id = "PRD-300-000-000"
    items = [item_row(new_id, 1, "CFQ7TTC0LH18"), item_row(new_id, 2, "CFQ7TTC0LDPB")]
    for row in items:
        del row["events"]
    created_only = {"created": {"at": "2026-11-20T09:00:00+00:00"}}
    control(
        brake_sandbox,
        "POST",
        "/products",
        {
            "id": new_id,
            "name": "Created only",
            "status": "published",
            "version": 1,
            "owner": {"id": "VA-000-001", "name": "Microsoft"},
            "events": created_only,
            "items": items,
        },
    )
    # a new version whose item changed, and neither stamped `events.updated`
    control(brake_sandbox, "PATCH", "/products/PRD-101-000-000?stamp=false", {"version": 2})
    control(
        brake_sandbox,
        "PATCH",
        "/items/PRD-101-000-000-0001?stamp=false",
        {"name": "Renamed Service (NCE COM MTH)"},
    )
    # a product that leaves `published`
    control(brake_sandbox, "PATCH", "/products/PRD-102-000-000", {"status": "endofsale"})

    report = sync(settings, brake_sandbox.url)

    assert report["exit_code"] == 0, report["events"]
    assert report["scope"] == "incremental"
    assert report["counts"]["products"] == 2  # the new and the bumped one; 18 were skipped
    assert "synced 2 of 20 published products" in report["message"]
    assert "full run" in report["message"]
    lines = lines_by_id(settings)
    assert {plan["name"] for plan in lines[new_id]["service_plans"]} == {
        "Service CFQ7TTC0LH18 (NCE COM MTH)",
        "Service CFQ7TTC0LDPB (NCE COM MTH)",
    }
    names = {plan["name"] for plan in lines["PRD-101-000-000"]["service_plans"] if plan["active"]}
    assert "Renamed Service (NCE COM MTH)" in names
    assert lines["PRD-102-000-000"]["active"] is False
    assert not any(plan["active"] for plan in lines["PRD-102-000-000"]["service_plans"])
    codes = {event["code"] for event in report["events"]}
    assert {"plan_created", "product_line_deactivated"} <= codes

    again = sync(settings, brake_sandbox.url)
    assert again["exit_code"] == 0
    counts = again["counts"]
    assert (counts["products"], counts["created"], counts["updated"], counts["deactivated"]) == (
        0,
        0,
        0,
        0,
    )


def test_a_product_back_in_published_is_synced_again(
    brake_sandbox: SandboxServer, database_url: str
) -> None:
    settings = settings_for(database_url, brake_sandbox.url)
    sync(settings, brake_sandbox.url, full=True)
    control(brake_sandbox, "PATCH", "/products/PRD-105-000-000?stamp=false", {"status": "draft"})
    sync(settings, brake_sandbox.url)
    assert lines_by_id(settings)["PRD-105-000-000"]["active"] is False
    control(
        brake_sandbox, "PATCH", "/products/PRD-105-000-000?stamp=false", {"status": "published"}
    )
    report = sync(settings, brake_sandbox.url)
    assert report["counts"]["products"] == 1
    assert lines_by_id(settings)["PRD-105-000-000"]["active"] is True
