"""Integration fixtures: the real sandbox over loopback; real services fail (not skip) under CI."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from plm_sync.connect.client import ConnectClient, RetryPolicy
from plm_sync.connect.sandbox.catalog import SAMPLE_CATALOG, SandboxCatalog
from plm_sync.connect.sandbox.faults import FaultSpec
from plm_sync.connect.sandbox.server import SandboxOptions, SandboxServer

API_KEY = "SU-TEST-000-000:integration-secret"


def unavailable(service: str, reason: str) -> None:
    """Skip with a printed reason on a laptop; fail under CI, where every service must run."""
    message = f"{service} is not reachable: {reason}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


def start_sandbox(
    catalog: SandboxCatalog, faults: str | None = None, seed: int | None = None, **options: float
) -> SandboxServer:
    return SandboxServer(
        catalog,
        SandboxOptions(
            api_key=API_KEY,
            faults=FaultSpec.parse(faults),
            seed=seed,
            retry_after=options.pop("retry_after", 0),
            **options,  # type: ignore[arg-type]
        ),
    ).start()


def fast_client(url: str, **kwargs: object) -> ConnectClient:
    """A client whose backoff is short, so fault-heavy tests finish quickly."""
    defaults: dict[str, object] = {
        "page_size": 100,
        "retry": RetryPolicy(
            max_attempts=8, max_total_wait=60, initial_backoff=0.01, max_backoff=0.05
        ),
        "timeout": (2.0, 5.0),
    }
    defaults.update(kwargs)
    return ConnectClient(url, API_KEY, **defaults)  # type: ignore[arg-type]


@pytest.fixture
def sample_sandbox() -> Iterator[SandboxServer]:
    server = start_sandbox(SandboxCatalog.load(SAMPLE_CATALOG))
    yield server
    server.stop()
