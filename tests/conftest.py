"""Shared test set-up: the repository root and the shipped mappings folder."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shipped_mappings() -> Path:
    return ROOT / "mappings"
