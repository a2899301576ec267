"""Settings: flags, then `PLM_SYNC_*` environment, then defaults; frozen, secret masked."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from plm_sync.domain.runs import DEFAULT_DEACTIVATION_LIMIT, DeactivationLimit
from plm_sync.domain.text import redact_url
from plm_sync.errors import UsageError

DEFAULT_DATABASE_URL = "sqlite:///plm_sync.db"
DEFAULT_BROKER_URL = "redis://localhost:6379/0"
DEFAULT_MAPPINGS = "mappings/"
# The rules files shipped inside the package: used when no mappings folder is named and
# there is no ./mappings/ folder.
PACKAGED_MAPPINGS = Path(__file__).with_name("mappings") / "shipped"
ENV_PREFIX = "PLM_SYNC_"
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str, what: str) -> float:
    """Seconds from `3600`, `90s`, `15m`, `1h`, `90d` or `2w`; UsageError names `what`."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise UsageError(f"{what}={text!r} is not a duration such as 3600, 15m, 1h or 90d")
    number, unit = match.groups()
    return float(number) * _DURATION_UNITS[unit]


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
    mappings_packaged: bool = False  # no folder named and no ./mappings/: the shipped files
    page_size: int = 500
    # products whose items are fetched ahead while a line is written (1: one at a time)
    fetch_concurrency: int = 4
    # product lines written together in one transaction: at most this many lines, or lines
    # holding this many catalog rows, whichever comes first
    batch_lines: int = 200
    batch_rows: int = 5000
    # products one worker task (or one --jobs process) syncs: the broker round trip and the
    # task's set-up are paid per chunk, not per product
    task_products: int = 20
    # processes a CLI sync runs its product lines in (`sync --jobs`; 1: this process alone;
    # 0: from the machine's cores, at most 4)
    jobs: int = 0
    # the broker queue the workers read: one per deployment (or test) sharing a broker
    queue: str = "plm_sync"
    connect_timeout: float = 15.0
    read_timeout: float = 180.0
    max_attempts: int = 6
    max_retry_wait: float = 300.0
    stale_run_seconds: float = 900.0
    result_backend: str | None = None
    incremental_minutes: float = 15.0
    full_sync_cron: str = "30 2 * * *"
    task_time_limit: int = 3600
    # Redis: a held task's lease, renewed by its live worker every quarter of it; the tasks of
    # a dead worker go back to the queue once it ran out
    visibility_timeout: int = 30
    worker_ping_seconds: float = 2.0  # how long doctor and enqueue wait for workers to answer
    redelivery_check_seconds: int = 10
    offers: bool = True  # read Connect Offers (plans, switches); false for accounts without
    deactivation_limit: str = DEFAULT_DEACTIVATION_LIMIT  # `N` plans or `N%` (brake)
    price_change_limit: str = "25%"  # a cost or price moving more than this is held (brake)
    queued_run_timeout: float = 3600.0  # a queued run no worker took by then is failed
    retention_days: float | None = None  # beat prunes runs older than this; None: never
    # CloudBlue Commerce (push): the hub's controller URL, OAuth 1.0a consumer key and secret,
    # the APS resource id of the Connect extension's app instance
    commerce_url: str | None = None
    commerce_oauth_key: str | None = field(default=None, repr=False)
    commerce_oauth_secret: str | None = field(default=None, repr=False)
    commerce_app_id: str | None = None
    commerce_poll_seconds: float = 10.0  # between polls of a PLM task
    commerce_task_timeout: float = 1800.0  # a PLM task not done by then fails its line
    commerce_verify_tls: bool = True
    push_after_sync: bool = False  # push the lines a successful sync changed
    # `required`: that push stops at a change plan an operator approves (`none`: it applies)
    push_approval: str = "none"
    # beat reads every line the hub received back and reports drift (cron, UTC; `off`: never)
    drift_schedule: str = "45 4 * * *"
    # `serve`: the token its pages ask for (bearer, or HTTP Basic password); required beyond
    # loopback
    serve_token: str | None = field(default=None, repr=False)
    # alerts: Apprise URLs (space separated), told when a run needs a person; the scheduled
    # sync counts as stale after `stale_after` seconds without a success; links use public_url
    notify: str | None = field(default=None, repr=False)
    stale_after: float = 7200.0
    public_url: str | None = None

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{item.name}={getattr(self, item.name)!r}" for item in fields(self) if item.repr
        )
        secrets = ", ".join(
            f"{name}={_mask(getattr(self, name))!r}"
            for name in (
                "connect_api_key",
                "commerce_oauth_key",
                "commerce_oauth_secret",
                "serve_token",
                "notify",
            )
        )
        return f"Settings({shown}, {secrets})"

    @property
    def commerce_configured(self) -> bool:
        """Whether any Commerce setting is given (then all of them must be)."""
        return any(
            (
                self.commerce_url,
                self.commerce_oauth_key,
                self.commerce_oauth_secret,
                self.commerce_app_id,
            )
        )

    @property
    def price_brake(self) -> Decimal:
        """The price-change brake as a ratio (`25%` -> 0.25)."""
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", self.price_change_limit)
        if match is None:
            raise ValueError(f"{self.price_change_limit!r} is not a percentage, e.g. 25%")
        return Decimal(match.group(1)) / 100

    @property
    def processes(self) -> int:
        """The processes a CLI sync may use: `jobs`, or the cores it may run on (at most 4).

        The cores this process may run on (its CPU affinity, as containers set it), else the
        machine's. With `jobs` 0 a run then takes them only when its work is worth it
        (`fanout._processes_worth`).
        """
        if self.jobs:
            return self.jobs
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        return min(cores, MAX_AUTO_JOBS)

    @property
    def brake(self) -> DeactivationLimit:
        """The deactivation brake's limit (validated when the settings were loaded)."""
        return DeactivationLimit.parse(self.deactivation_limit)

    def with_overrides(self, **overrides: Any) -> Settings:  # noqa: ANN401 - typed per field
        """A copy with the given (non-None) values replaced, e.g. from command-line flags."""
        return replace(
            self, **{key: value for key, value in overrides.items() if value is not None}
        )


MAX_AUTO_JOBS = 4  # beyond this, Connect and the database are what a sync waits for

_CONVERTERS: dict[str, type] = {
    "page_size": int,
    "fetch_concurrency": int,
    "batch_lines": int,
    "batch_rows": int,
    "task_products": int,
    "jobs": int,
    "connect_timeout": float,
    "read_timeout": float,
    "max_attempts": int,
    "max_retry_wait": float,
    "stale_run_seconds": float,
    "incremental_minutes": float,
    "task_time_limit": int,
    "visibility_timeout": int,
    "redelivery_check_seconds": int,
    "retention_days": float,
    "commerce_poll_seconds": float,
    "worker_ping_seconds": float,
}
# settings that may be read from a file named by another variable (Docker/Kubernetes secrets)
SECRET_FILES = {
    "connect_api_key": "PLM_SYNC_CONNECT_API_KEY_FILE",
    "commerce_oauth_key": "PLM_SYNC_COMMERCE_OAUTH_KEY_FILE",
    "commerce_oauth_secret": "PLM_SYNC_COMMERCE_OAUTH_SECRET_FILE",
    "serve_token": "PLM_SYNC_SERVE_TOKEN_FILE",
}
BOOLEAN_SETTINGS = frozenset({"offers", "commerce_verify_tls", "push_after_sync"})


def load_settings(environ: Mapping[str, str] | None = None, **flags: Any) -> Settings:  # noqa: ANN401
    """Build settings from flags (highest), then `PLM_SYNC_*` variables, then defaults.

    A secret may come from a file named by its `_FILE` variable (the Docker and Kubernetes
    secrets convention). Without a named mappings folder, `./mappings/` is used if it exists,
    else the rules files packaged with plm-sync (`mappings_packaged`).
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for item in fields(Settings):
        raw = env.get(ENV_PREFIX + item.name.upper())
        if raw is None or raw == "" or item.name == "mappings_packaged":
            continue
        values[item.name] = _convert(item.name, raw)
    for name, variable in SECRET_FILES.items():
        values.update(_secret_from_file(name, variable, env, set_directly=name in values))
    settings = Settings(**values).with_overrides(**flags)
    if isinstance(settings.mappings, str):
        settings = replace(settings, mappings=Path(settings.mappings))
    named = "mappings" in values or flags.get("mappings") is not None
    if not named and not Path(DEFAULT_MAPPINGS).is_dir():
        settings = replace(settings, mappings=PACKAGED_MAPPINGS, mappings_packaged=True)
    _validate(settings)
    return settings


def _secret_from_file(
    name: str, variable: str, env: Mapping[str, str], *, set_directly: bool
) -> dict[str, str]:
    path = env.get(variable)
    if not path:
        return {}
    direct = ENV_PREFIX + name.upper()
    if set_directly:
        raise UsageError(f"both {direct} and {variable} are set: keep one of them")
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise UsageError(f"{variable}: cannot read {path}: {error.strerror}") from None
    if not secret:
        raise UsageError(f"{variable}: {path} is empty; put the secret in it")
    return {name: secret}


def check_url(url: str | None, what: str, hint: str) -> None:
    """Refuse a URL that is not http(s) with a host, naming the setting (`what`)."""
    if not url:
        return
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in {"http", "https"} or not rest.strip("/"):
        raise UsageError(
            f"{what} {redact_url(url)!r} must start with https:// (or http:// for a local "
            f"sandbox), {hint}"
        )


def _validate_numbers(settings: Settings) -> None:
    """Numbers that must be finite, timeouts above zero, retries that can happen."""
    for name, kind in _CONVERTERS.items():
        value = getattr(settings, name)
        if kind is float and value is not None and not math.isfinite(value):
            raise UsageError(f"{ENV_PREFIX}{name.upper()} must be a finite number, got {value}")
    for name in ("connect_timeout", "read_timeout", "worker_ping_seconds"):
        if getattr(settings, name) <= 0:
            raise UsageError(
                f"{ENV_PREFIX}{name.upper()} must be above 0 seconds (the longest wait for an "
                "answer)"
            )
    if settings.max_attempts < 1 or settings.max_retry_wait < 0:
        raise UsageError(
            "PLM_SYNC_MAX_ATTEMPTS must be at least 1 and PLM_SYNC_MAX_RETRY_WAIT at least 0"
        )
    if settings.page_size < 1:
        raise UsageError("page size must be at least 1 (PLM_SYNC_PAGE_SIZE)")


def _validate_choices(settings: Settings) -> None:
    """Settings that take one of a few words."""
    if settings.push_approval.strip().casefold() not in {"none", "required"}:
        raise UsageError(
            f"PLM_SYNC_PUSH_APPROVAL={settings.push_approval[:40]!r} must be `none` (a push after "
            "a sync applies) or `required` (it stops at a change plan: `plm-sync approve RUN`)"
        )


def _validate(settings: Settings) -> None:
    """Checks of values whose mistakes would only show deep inside a run."""
    _validate_numbers(settings)
    if not 1 <= settings.fetch_concurrency <= 64:  # noqa: PLR2004 - a sane bound
        raise UsageError("PLM_SYNC_FETCH_CONCURRENCY must be between 1 and 64")
    _validate_choices(settings)
    if not 0 <= settings.jobs <= 64:  # noqa: PLR2004 - a sane bound
        raise UsageError("--jobs (PLM_SYNC_JOBS) must be between 1 and 64 (0: from the cores)")
    if settings.batch_lines < 1 or settings.batch_rows < 1 or settings.task_products < 1:
        raise UsageError(
            "PLM_SYNC_BATCH_LINES, PLM_SYNC_BATCH_ROWS and PLM_SYNC_TASK_PRODUCTS must be at "
            "least 1"
        )
    check_url(
        settings.connect_url,
        "Connect URL",
        "e.g. https://api.connect.cloudblue.com/public/v1 (PLM_SYNC_CONNECT_URL or --connect-url)",
    )
    try:
        settings.brake  # noqa: B018 - parsed for its ValueError
    except ValueError as error:
        raise UsageError(f"PLM_SYNC_DEACTIVATION_LIMIT: {error}") from None
    try:
        settings.price_brake  # noqa: B018 - parsed for its ValueError
    except ValueError as error:
        raise UsageError(f"PLM_SYNC_PRICE_CHANGE_LIMIT: {error}") from None
    if settings.retention_days is not None and settings.retention_days <= 0:
        raise UsageError("PLM_SYNC_RETENTION_DAYS must be above 0 (leave it unset to keep runs)")
    check_url(
        settings.commerce_url, "Commerce URL", "the hub's controller URL (PLM_SYNC_COMMERCE_URL)"
    )
    if settings.broker_url.startswith(("amqp", "pyamqp")) and not settings.result_backend:
        raise UsageError(
            "with a RabbitMQ broker PLM_SYNC_RESULT_BACKEND must name a result backend"
            " (runs wait for their product tasks through it), e.g. redis://localhost:6379/0"
        )
    if settings.visibility_timeout < 4 or settings.redelivery_check_seconds < 1:  # noqa: PLR2004
        raise UsageError(
            "PLM_SYNC_VISIBILITY_TIMEOUT must be at least 4 seconds (a worker renews the lease"
            " of its tasks every quarter of it) and PLM_SYNC_REDELIVERY_CHECK_SECONDS at least 1"
        )
    if settings.commerce_poll_seconds <= 0 or settings.commerce_task_timeout <= 0:
        raise UsageError(
            "PLM_SYNC_COMMERCE_POLL_SECONDS and PLM_SYNC_COMMERCE_TASK_TIMEOUT must be above 0"
        )


_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _convert(name: str, raw: str) -> Any:  # noqa: ANN401 - depends on the field
    if name == "mappings":
        return Path(raw)
    if name in {"queued_run_timeout", "commerce_task_timeout", "stale_after"}:
        return parse_duration(raw, ENV_PREFIX + name.upper())
    if name in BOOLEAN_SETTINGS:
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
