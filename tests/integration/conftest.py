"""Integration fixtures: the real sandbox over loopback; real services fail (not skip) under CI."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from plm_sync.config import Settings
from plm_sync.connect.client import ConnectClient
from plm_sync.infra.retrying import RetryPolicy
from plm_sync.ops.reports import run_report
from plm_sync.sandbox.commerce.server import CommerceSandbox
from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG, SandboxCatalog
from plm_sync.sandbox.connect.faults import FaultSpec
from plm_sync.sandbox.connect.server import SandboxOptions, SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync
from tests.conftest import ROOT
from tests.integration.catalogs import brake_catalog

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
def sandbox() -> Iterator[SandboxServer]:
    """The bundled sample catalog on loopback, read afresh for each test (tests change it)."""
    server = start_sandbox(SandboxCatalog.load(SAMPLE_CATALOG))
    yield server
    server.stop()


def settings_of(database_url: str, connect_url: str, **extra: Any) -> Settings:
    """The tests' settings: their database, a Connect (sandbox) with its key, the shipped
    mappings, and whatever a test sets beside."""
    return Settings(
        database_url=database_url,
        connect_url=connect_url,
        connect_api_key=API_KEY,
        mappings=ROOT / "mappings",
    ).with_overrides(**extra)


def hub_settings(hub: CommerceSandbox) -> dict[str, str]:
    """The settings that point plm-sync at a Commerce sandbox, as environment values."""
    return {
        "commerce_url": hub.url,
        "commerce_oauth_key": hub.options.oauth_key,
        "commerce_oauth_secret": hub.options.oauth_secret,
        "commerce_app_id": hub.options.app_id,
        "commerce_poll_seconds": "0.05",
    }


def with_hub(settings: Settings, hub: CommerceSandbox, **extra: Any) -> Settings:
    """`settings` pushing to a Commerce sandbox (and whatever a test sets beside)."""
    return settings.with_overrides(
        commerce_url=hub.url,
        commerce_oauth_key=hub.options.oauth_key,
        commerce_oauth_secret=hub.options.oauth_secret,
        commerce_app_id=hub.options.app_id,
        commerce_poll_seconds=0.05,
        **extra,
    )


def sync_report(settings: Settings, **request: Any) -> dict[str, Any]:
    """Run a sync in this process and return its report, with the CLI's exit code."""
    outcome = run_sync(settings, SyncRequest(**request))
    report = run_report(settings, outcome.run_id)
    report["exit_code"] = outcome.exit_code
    return report


POSTGRES_URL = os.environ.get(
    "PLM_SYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema in the machine's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'plm.db'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty schema in the machine's PostgreSQL."""
    with postgres_schema() as url:
        yield url


@contextmanager
def postgres_schema() -> Iterator[str]:
    """Create a schema for one test and drop it afterwards."""
    engine = create_engine(POSTGRES_URL)
    schema = f"plm_test_{uuid.uuid4().hex[:12]}"
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        engine.dispose()
        unavailable("PostgreSQL", str(error.orig))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def brake_sandbox() -> Iterator[SandboxServer]:
    """20 products of 5 monthly SKUs each (100 service plans), served on loopback."""
    server = start_sandbox(SandboxCatalog.from_data(brake_catalog()))
    yield server
    server.stop()
