"""Settings: flags, then `PLM_SYNC_*` environment, then defaults; frozen, secret masked."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from plm_sync.errors import UsageError

DEFAULT_DATABASE_URL = "sqlite:///plm_sync.db"
DEFAULT_BROKER_URL = "redis://localhost:6379/0"
DEFAULT_MAPPINGS = "mappings/"
ENV_PREFIX = "PLM_SYNC_"


def _mask(value: str | None) -> str | None:
    if not value:
        return value
    return "***"


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know about its surroundings.

    The API key never appears in `repr`, logs or reports.
    """

    database_url: str = DEFAULT_DATABASE_URL
    connect_url: str | None = None
    connect_api_key: str | None = field(default=None, repr=False)
    broker_url: str = DEFAULT_BROKER_URL
    mappings: Path = Path(DEFAULT_MAPPINGS)
    page_size: int = 500
    connect_timeout: float = 15.0
    read_timeout: float = 180.0
    max_attempts: int = 6
    max_retry_wait: float = 300.0
    stale_run_seconds: float = 900.0
    result_backend: str | None = None
    incremental_minutes: float = 15.0
    full_sync_cron: str = "30 2 * * *"
    task_time_limit: int = 3600
    visibility_timeout: int | None = None
    redelivery_check_seconds: int = 60
    offers: bool = True  # read Connect Offers (plans, switches); false for accounts without

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{item.name}={getattr(self, item.name)!r}" for item in fields(self) if item.repr
        )
        return f"Settings({shown}, connect_api_key={_mask(self.connect_api_key)!r})"

    def with_overrides(self, **overrides: Any) -> Settings:  # noqa: ANN401 - typed per field
        """A copy with the given (non-None) values replaced, e.g. from command-line flags."""
        return replace(
            self, **{key: value for key, value in overrides.items() if value is not None}
        )


_CONVERTERS: dict[str, type] = {
    "page_size": int,
    "connect_timeout": float,
    "read_timeout": float,
    "max_attempts": int,
    "max_retry_wait": float,
    "stale_run_seconds": float,
    "incremental_minutes": float,
    "task_time_limit": int,
    "visibility_timeout": int,
    "redelivery_check_seconds": int,
}


def load_settings(environ: Mapping[str, str] | None = None, **flags: Any) -> Settings:  # noqa: ANN401
    """Build settings from flags (highest), then `PLM_SYNC_*` variables, then defaults."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for item in fields(Settings):
        raw = env.get(ENV_PREFIX + item.name.upper())
        if raw is None or raw == "":
            continue
        values[item.name] = _convert(item.name, raw)
    settings = Settings(**values).with_overrides(**flags)
    if isinstance(settings.mappings, str):
        settings = replace(settings, mappings=Path(settings.mappings))
    if settings.page_size < 1:
        raise UsageError("page size must be at least 1 (PLM_SYNC_PAGE_SIZE)")
    return settings


_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _convert(name: str, raw: str) -> Any:  # noqa: ANN401 - depends on the field
    if name == "mappings":
        return Path(raw)
    if name == "offers":
        if raw.strip().casefold() not in _BOOLEANS:
            env_name = ENV_PREFIX + name.upper()
            raise UsageError(f"{env_name}={raw!r} must be true or false")
        return _BOOLEANS[raw.strip().casefold()]
    converter = _CONVERTERS.get(name)
    if converter is None:
        return raw
    try:
        return converter(raw)
    except ValueError:
        env_name = ENV_PREFIX + name.upper()
        raise UsageError(f"{env_name}={raw!r} is not a {converter.__name__}") from None
