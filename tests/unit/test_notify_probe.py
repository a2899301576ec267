"""`doctor`'s check of PLM_SYNC_NOTIFY: each target parses, a webhook's host answers."""

from __future__ import annotations

import socket

from plm_sync.config import Settings
from plm_sync.infra.notify import probe
from plm_sync.ops.doctor import diagnose


def test_a_webhook_that_answers_and_one_that_does_not() -> None:
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    try:
        assert probe(f"json://127.0.0.1:{port}/hook") == (
            True,
            f"json://127.0.0.1:{port}: answers",
        )
    finally:
        listening.close()
    ok, detail = probe(f"json://127.0.0.1:{port}/hook", timeout=1)
    assert not ok
    assert detail.startswith(f"json://127.0.0.1:{port}: does not answer")


def test_a_url_apprise_cannot_send_to_and_a_service_only_parsed() -> None:
    assert probe("nonsense://x/secret-token") == (
        False,
        "nonsense://…: not a URL Apprise can send to; check its spelling",
    )
    ok, detail = probe("slack://T1234/B5678/SECRETTOKEN")
    assert ok
    assert "SECRET" not in detail


def test_doctor_names_each_target_without_its_secrets() -> None:
    checks = diagnose(Settings(notify="nonsense://x/s3cr3t json://127.0.0.1:1/hook"), None)
    found = {check.name: check for check in checks if check.name.startswith("notify")}
    assert sorted(found) == ["notify: target 1", "notify: target 2"]
    assert all(check.outcome == "fail" for check in found.values())
    assert all("s3cr3t" not in check.detail for check in found.values())
    quiet = [c for c in diagnose(Settings(), None) if c.name == "notify"]
    assert quiet[0].detail.startswith("not configured")
