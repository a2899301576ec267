"""`plm-sync doctor`: check settings, rules files, database, Connect and workers; record nothing.

Each check reads only: no run is recorded, no database is created or migrated. Checks that
need Celery (the broker, the workers) come from the `plm_sync.ops.doctor` entry points the worker
package registers, so plm_sync itself never imports Celery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from plm_sync.commerce.client import (
    ADAPTER_TYPE,
    COMMERCE_RETRY,
    PLM_TYPE,
    CommerceClient,
)
from plm_sync.commerce.hubs import missing_settings
from plm_sync.commerce.wizard import PriceWizard
from plm_sync.config import Settings
from plm_sync.connect.client import ConnectClient
from plm_sync.domain.text import redact_url
from plm_sync.errors import ConnectNotFoundError, PlmSyncError
from plm_sync.infra.notify import probe, targets
from plm_sync.infra.retrying import RetryPolicy
from plm_sync.mappings import load_plm_rules, load_sharing_rules
from plm_sync.mappings.addons import load_addon_rules
from plm_sync.mappings.pricing import load_pricing_rules
from plm_sync.mappings.switches import load_switch_rules
from plm_sync.store.database import make_engine, open_database, safe_url, schema_state, unit_of_work
from plm_sync.store.prices import PriceRepository

PROBE_TIMEOUT = (5.0, 20.0)  # connect, read: a doctor answers quickly or says why


class Outcome(StrEnum):
    """A check passed, needs a look (does not fail the doctor), or failed."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One line of the doctor's table."""

    name: str
    outcome: Outcome
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self) | {"outcome": str(self.outcome)}


# an entry point of group `plm_sync.ops.doctor` is one of these
ExtraChecks = Callable[[Settings], list[Check]]


def diagnose(settings: Settings | None, settings_error: PlmSyncError | None) -> list[Check]:
    """Every check, in the order an operator fixes things."""
    if settings is None:
        return [Check("settings", Outcome.FAIL, str(settings_error))]
    checks = [_settings(settings)]
    checks += _rules(settings)
    checks.append(_database(settings))
    checks += _connect(settings)
    checks += _commerce(settings)
    checks += _notify(settings)
    for entry in entry_points(group="plm_sync.doctor"):
        extra: ExtraChecks = entry.load()
        try:
            checks += extra(settings)
        except Exception as error:  # noqa: BLE001 - a broken plug-in is a failed check
            checks.append(Check(entry.name, Outcome.FAIL, f"{type(error).__name__}: {error}"))
    return checks


def _settings(settings: Settings) -> Check:
    where = "packaged with plm-sync" if settings.mappings_packaged else str(settings.mappings)
    return Check(
        "settings",
        Outcome.OK,
        f"database {safe_url(settings.database_url)}; "
        f"Connect {redact_url(settings.connect_url or '-')}; "
        f"rules {where}; deactivation limit {settings.deactivation_limit}",
    )


def _rules(settings: Settings) -> Iterator[Check]:
    folder = settings.mappings
    try:
        rules = load_plm_rules(folder)
    except PlmSyncError as error:
        yield Check("rules: plm.yaml", Outcome.FAIL, str(error))
    else:
        words = ", ".join(word.word for word in rules.vocabulary.words)
        yield Check("rules: plm.yaml", Outcome.OK, f"{folder / 'plm.yaml'}; billing words {words}")
    counters: tuple[tuple[str, Callable[[Path], int]], ...] = (
        ("sharing.yaml", lambda where: len(load_sharing_rules(where).rules)),
        ("switches.yaml", lambda where: len(load_switch_rules(where).switches)),
        ("addons.yaml", lambda where: len(load_addon_rules(where).rules)),
        ("pricing.yaml", lambda where: len(load_pricing_rules(where).resellers)),
    )
    for name, count in counters:
        path = folder / name
        try:
            found = count(folder)
        except PlmSyncError as error:
            yield Check(f"rules: {name}", Outcome.FAIL, str(error))
            continue
        detail = f"{path}: {found} rule(s)" if path.exists() else "no file (none)"
        yield Check(f"rules: {name}", Outcome.OK, detail)


def _database(settings: Settings) -> Check:
    try:
        engine = make_engine(settings.database_url)
    except PlmSyncError as error:
        return Check("database", Outcome.FAIL, str(error))
    where = safe_url(settings.database_url)
    try:
        current, head = schema_state(engine)
    except PlmSyncError as error:
        return Check("database", Outcome.FAIL, str(error))
    finally:
        engine.dispose()
    if current is None:
        return Check(
            "database",
            Outcome.FAIL,
            f"no plm-sync database at {where}; run `plm-sync migrate` (or a sync) to create it",
        )
    if current != head:
        return Check(
            "database",
            Outcome.FAIL,
            f"{where} has schema {current}, this plm-sync needs {head}: run `plm-sync migrate`",
        )
    return Check("database", Outcome.OK, f"{where}, schema {current} (newest)")


def _connect(settings: Settings) -> Iterator[Check]:
    if not settings.connect_url:
        yield Check("connect", Outcome.FAIL, "no Connect URL: set PLM_SYNC_CONNECT_URL")
        return
    if not settings.connect_api_key:
        yield Check(
            "connect",
            Outcome.FAIL,
            "no Connect API key: set PLM_SYNC_CONNECT_API_KEY or PLM_SYNC_CONNECT_API_KEY_FILE",
        )
        return
    with ConnectClient(
        settings.connect_url,
        settings.connect_api_key,
        timeout=PROBE_TIMEOUT,
        retry=RetryPolicy(max_attempts=2, max_total_wait=10.0),
    ) as client:
        try:
            client.get("/products", "limit=0")
        except ConnectNotFoundError:
            yield Check(
                "connect",
                Outcome.FAIL,
                f"{client.shown_url}/products answered 404: PLM_SYNC_CONNECT_URL must be the "
                "API's base URL ending in /public/v1",
            )
            return
        except PlmSyncError as error:
            yield Check("connect", Outcome.FAIL, str(error))
            return
        yield Check("connect", Outcome.OK, f"{client.shown_url}: reachable, API key accepted")
        if not settings.offers:
            yield Check("connect: offers", Outcome.OK, "not read (PLM_SYNC_OFFERS=false)")
            return
        try:
            client.get("/offers", "limit=0")
        except ConnectNotFoundError:
            yield Check(
                "connect: offers",
                Outcome.OK,
                "no Offers module on this account (HTTP 404): plans follow the MPNs",
            )
        except PlmSyncError as error:
            yield Check("connect: offers", Outcome.FAIL, str(error))
        else:
            yield Check("connect: offers", Outcome.OK, "Offers module present")


def _notify(settings: Settings) -> Iterator[Check]:
    """Each PLM_SYNC_NOTIFY target: parsed by Apprise, a webhook's host answering."""
    urls = targets(settings.notify)
    if not urls:
        yield Check("notify", Outcome.OK, "not configured (PLM_SYNC_NOTIFY: no alerts sent)")
        return
    for number, url in enumerate(urls, start=1):
        ok, detail = probe(url, PROBE_TIMEOUT[0])
        yield Check(f"notify: target {number}", Outcome.OK if ok else Outcome.FAIL, detail)


def _commerce(settings: Settings) -> Iterator[Check]:
    if not settings.commerce_configured:
        if settings.push_after_sync:
            yield Check(
                "commerce",
                Outcome.FAIL,
                "PLM_SYNC_PUSH_AFTER_SYNC is on but no Commerce hub is set: set "
                "PLM_SYNC_COMMERCE_URL, _OAUTH_KEY, _OAUTH_SECRET and _APP_ID",
            )
        else:
            yield Check("commerce", Outcome.OK, "not configured (`plm-sync push` is off)")
        return
    missing = missing_settings(settings)
    if missing:
        yield Check("commerce", Outcome.FAIL, f"incomplete: set {', '.join(missing)}")
        return
    client = CommerceClient.from_settings(
        settings,
        timeout=PROBE_TIMEOUT,
        retry=replace(COMMERCE_RETRY, max_attempts=2, max_total_wait=10.0),
    )
    try:
        client.check_credentials()
        client.service(PLM_TYPE)
        client.service(ADAPTER_TYPE)
        resellers = list(_resellers(settings, client))
    except PlmSyncError as error:
        yield Check("commerce", Outcome.FAIL, str(error))
        return
    finally:
        client.close()
    yield Check(
        "commerce",
        Outcome.OK,
        f"{settings.commerce_url}: credentials accepted; PLM and task-log services found; "
        f"push after sync {'on' if settings.push_after_sync else 'off'}",
    )
    yield from resellers
    if not settings.commerce_verify_tls:
        yield Check(
            "commerce: tls",
            Outcome.WARN,
            "TLS certificates are not verified (PLM_SYNC_COMMERCE_VERIFY_TLS=false): for a "
            "test hub only",
        )


def _resellers(settings: Settings, client: CommerceClient) -> Iterator[Check]:
    """Each marketplace the catalog is listed in has its reseller account on the hub.

    The prices of a marketplace go through the price wizard as its reseller (pricing.yaml,
    else its hub entry's external id); a database not synced yet has none to check.
    """
    try:
        with (
            open_database(settings.database_url, migrate=False) as factory,
            unit_of_work(factory) as session,
        ):
            listed = PriceRepository(session).listed_marketplaces()
    except PlmSyncError:
        return
    rules = load_pricing_rules(settings.mappings)
    for marketplace in listed:
        account = rules.reseller_of(marketplace)
        name = f"commerce: reseller of {marketplace.id}"
        if account is None:
            yield Check(
                name,
                Outcome.WARN,
                "no reseller account known (pricing.yaml resellers, or the marketplace's hub "
                "entry's external id): its prices are not pushed",
            )
            continue
        if PriceWizard(client, account).exists():
            yield Check(name, Outcome.OK, f"reseller account {account} found on the hub")
        else:
            yield Check(
                name,
                Outcome.FAIL,
                f"reseller account {account} is not on the hub: the wizard cannot set this "
                "marketplace's prices; fix its reseller_account in pricing.yaml or its hub "
                "entry in Connect",
            )


def healthy(checks: list[Check]) -> bool:
    """No check failed (warnings do not fail)."""
    return all(check.outcome is not Outcome.FAIL for check in checks)
