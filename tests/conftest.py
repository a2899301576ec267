"""Shared test set-up: the repository root and the shipped mappings folder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from plm_sync.infra.logging import configure_logging

ROOT = Path(__file__).resolve().parent.parent


def plm_sync_cli(
    *args: str, settings: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`plm-sync ARGS` as a user runs it: a process of its own, settings as `PLM_SYNC_*`.

    `settings` are named without the prefix (`database_url`, `connect_url`, ...) or with it
    (`PLM_SYNC_DATABASE_URL`); the test process's own `PLM_SYNC_*` variables are not passed
    on. It runs in the checkout (where `tasks` and `mappings/` are).
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("PLM_SYNC_")}
    env |= {
        name if name.startswith("PLM_SYNC_") else f"PLM_SYNC_{name.upper()}": value
        for name, value in settings.items()
    }
    return subprocess.run(
        [sys.executable, "-m", "plm_sync", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture
def shipped_mappings() -> Path:
    return ROOT / "mappings"


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs() -> None:
    """Tests assert on logs with capture_logs; keep the rest of the output readable."""
    configure_logging("console", "warning")
