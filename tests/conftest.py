"""Shared test set-up: the repository root and the shipped mappings folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from plm_sync.logging import configure_logging

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shipped_mappings() -> Path:
    return ROOT / "mappings"


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs() -> None:
    """Tests assert on logs with capture_logs; keep the rest of the output readable."""
    configure_logging("console", "warning")
