"""`demo` and the sandboxes: the local Connect and Commerce doubles and their catalogs."""

from __future__ import annotations

import json
import secrets
import sys
from collections import Counter
from pathlib import Path

import click

from plm_sync.cli.app import (
    _Context,
    cli,
    pass_context,
)
from plm_sync.cli.catalog import _print_prices
from plm_sync.cli.output import (
    _print_report,
    _run_and_report,
)
from plm_sync.config import Settings
from plm_sync.errors import UsageError
from plm_sync.sync.request import SyncRequest

SANDBOX_DEFAULT_KEY = "SU-000-000-000:sandbox"
DEMO_DATABASE = Path("plm_sync_demo.db")
DEMO_CATALOG_JSON = Path("plm_sync_demo_catalog.json")
DEMO_WORKBOOK = Path("plm_sync_demo_PPR.xlsx")
DEMO_PRODUCT = "PRD-276-377-545"
DEMO_MARKETPLACE = "MP-91111"  # its prices come from a pricing batch
DEMO_PRICE_LIST = Path("plm_sync_demo_Price-list.xlsx")
DEMO_OFFER_PRODUCT = "PRD-900-100-200"
DEMO_OFFER_WORKBOOK = Path("plm_sync_demo_offer_PPR.xlsx")
DEMO_ADDON_PRODUCT = "PRD-300-000-600"
DEMO_ADDON_WORKBOOK = Path("plm_sync_demo_addons_PPR.xlsx")


@cli.command()
@pass_context
def demo(context: _Context) -> None:
    """Serve the bundled sample catalog on loopback, sync it into plm_sync_demo.db, push it.

    Connect -> plm-sync -> Commerce in one command: the sample catalog served by the Connect
    sandbox, a full sync, the PLM workbooks, and a push of every product line into the
    Commerce sandbox (which parses, applies and reports each one as PLM would).
    """
    from plm_sync.delivery.push import PushRequest, push_lines  # noqa: PLC0415
    from plm_sync.delivery.workbooks import export_ppr  # noqa: PLC0415 - openpyxl on use
    from plm_sync.ops.reports import catalog, read_report  # noqa: PLC0415 - the store on use
    from plm_sync.sandbox.commerce.server import (  # noqa: PLC0415 - on use
        CommerceSandbox,
        CommerceSandboxOptions,
    )
    from plm_sync.sandbox.connect.catalog import SAMPLE_CATALOG, SandboxCatalog  # noqa: PLC0415
    from plm_sync.sandbox.connect.server import SandboxOptions, SandboxServer  # noqa: PLC0415

    key = f"SU-DEMO-{secrets.token_hex(4)}:{secrets.token_hex(16)}"
    server = SandboxServer(
        SandboxCatalog.load(SAMPLE_CATALOG), SandboxOptions(api_key=key), port=0
    ).start()
    commerce_options = CommerceSandboxOptions(
        oauth_key=f"demo-{secrets.token_hex(4)}",
        oauth_secret=secrets.token_hex(16),
        task_seconds=0.3,
    )
    hub = CommerceSandbox(commerce_options, port=0).start()
    try:
        settings = context.settings.with_overrides(
            database_url=f"sqlite:///{DEMO_DATABASE}",
            connect_url=server.url,
            connect_api_key=key,
            commerce_url=hub.url,
            commerce_oauth_key=commerce_options.oauth_key,
            commerce_oauth_secret=commerce_options.oauth_secret,
            commerce_app_id=commerce_options.app_id,
            commerce_poll_seconds=0.1,
            push_after_sync=False,
        )
        click.echo(f"sandbox with the bundled sample catalog on {server.url}")
        code = _run_and_report(settings, SyncRequest(trigger="cli", full=True), "table")
        DEMO_CATALOG_JSON.write_text(
            json.dumps(catalog(settings), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        workbook = export_ppr(settings, DEMO_PRODUCT, DEMO_WORKBOOK)
        offer_workbook = export_ppr(settings, DEMO_OFFER_PRODUCT, DEMO_OFFER_WORKBOOK)
        addon_workbook = export_ppr(settings, DEMO_ADDON_PRODUCT, DEMO_ADDON_WORKBOOK)
        price_list = _demo_prices(settings)
        click.echo(f"Commerce sandbox (PLM) on {hub.url}: pushing every product line")
        lines = tuple(line["connect_product_id"] for line in catalog(settings)["product_lines"])
        pushed = push_lines(settings, PushRequest(lines, changed=True))
        _print_report(read_report(settings, pushed.run_id))
        applied = hub.plm.state()["applied"]
        priced = Counter(key[0] for key in hub.wizard.prices)
    finally:
        hub.stop()
        server.stop()
    for item in applied:
        click.echo(
            f"PLM applied {len(item['plans'])} service plans of {item['product_id']} "
            f"(request {item['tracking_id']})"
        )
    for account, count in sorted(priced.items()):
        click.echo(f"the price-import wizard set {count} prices as reseller {account}")
    click.echo(
        f"catalog stored in {DEMO_DATABASE.resolve()} "
        f"(`plm-sync --database-url sqlite:///{DEMO_DATABASE} catalog`)"
    )
    click.echo(f"catalog JSON written to {DEMO_CATALOG_JSON.resolve()}")
    click.echo(f"PLM workbook of {DEMO_PRODUCT} written to {workbook.resolve()}")
    click.echo(
        f"PLM workbook of {DEMO_OFFER_PRODUCT} (plans from its Connect offer, with switch "
        f"paths) written to {offer_workbook.resolve()}"
    )
    click.echo(
        f"PLM workbook of {DEMO_ADDON_PRODUCT} (an add-on as optional rates of its base plans, "
        f"ResourceDependencies, end-of-sale replacement switches) written to "
        f"{addon_workbook.resolve()}"
    )
    click.echo(
        f"prices of {DEMO_PRODUCT} in {DEMO_MARKETPLACE}, as Commerce's price-import wizard "
        f"takes them, written to {price_list.resolve()}"
    )
    sys.exit(max(code, pushed.exit_code))


def _demo_prices(settings: Settings) -> Path:
    """Show the demo lines' prices (one from a pricing batch, one from a price list)."""
    from plm_sync.delivery.price_list import write_price_list  # noqa: PLC0415 - openpyxl on use
    from plm_sync.ops.reports import catalog  # noqa: PLC0415 - the store on use

    lines = catalog(settings, (DEMO_PRODUCT, DEMO_OFFER_PRODUCT))["product_lines"]
    for line in lines:
        _print_prices(line, line["prices"])
    demo = next(line for line in lines if line["connect_product_id"] == DEMO_PRODUCT)
    return write_price_list(demo, DEMO_MARKETPLACE, DEMO_PRICE_LIST)


@cli.group(invoke_without_command=True)
@click.option(
    "--catalog",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Catalog JSON file (default: the bundled sample catalog).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="0 picks a free port.",
)
@click.option(
    "--api-key",
    help=f"Key clients must send (default: PLM_SYNC_CONNECT_API_KEY, else {SANDBOX_DEFAULT_KEY}).",
)
@click.option(
    "--faults", help="Fault rates, e.g. '429:0.05,500:0.05,reset:0.02,slow:0.02,truncate:0.01'."
)
@click.option("--seed", type=int, help="Seed that makes the faults repeatable.")
@click.option(
    "--retry-after",
    type=float,
    default=1.0,
    show_default=True,
    help="Retry-After seconds sent with injected 429/5xx.",
)
@click.option(
    "--slow-seconds", type=float, default=5.0, show_default=True, help="Delay of a 'slow' fault."
)
@click.option(
    "--max-limit",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Larger page sizes are cut to this, as Connect does.",
)
@click.option("--allow-remote", is_flag=True, help="Allow listening beyond loopback.")
@click.pass_context
def sandbox(
    ctx: click.Context,
    catalog: Path | None,
    host: str,
    port: int,
    api_key: str | None,
    faults: str | None,
    seed: int | None,
    retry_after: float,
    slow_seconds: float,
    max_limit: int,
    allow_remote: bool,
) -> None:
    """Serve a Connect-style API on loopback (products, items, paging, RQL, faults)."""
    from plm_sync.sandbox.binding import SandboxBindError  # noqa: PLC0415
    from plm_sync.sandbox.connect.catalog import (  # noqa: PLC0415 - the sandbox on use
        SAMPLE_CATALOG,
        CatalogError,
        SandboxCatalog,
    )
    from plm_sync.sandbox.connect.faults import FaultSpec  # noqa: PLC0415
    from plm_sync.sandbox.connect.server import SandboxOptions, SandboxServer  # noqa: PLC0415

    if ctx.invoked_subcommand is not None:
        return

    settings: Settings = ctx.find_object(_Context).settings  # type: ignore[union-attr]
    key = api_key or settings.connect_api_key or SANDBOX_DEFAULT_KEY
    try:
        spec = FaultSpec.parse(faults)
        data = SandboxCatalog.load(catalog or SAMPLE_CATALOG)
        options = SandboxOptions(
            api_key=key.removeprefix("ApiKey "),
            max_limit=max_limit,
            faults=spec,
            seed=seed,
            retry_after=retry_after,
            slow_seconds=slow_seconds,
        )
        server = SandboxServer(data, options, host=host, port=port, allow_remote=allow_remote)
    except (ValueError, CatalogError, SandboxBindError) as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    shown_key = key if key == SANDBOX_DEFAULT_KEY else "(the key you gave)"
    click.echo(f"Connect sandbox: {server.url}  items={data.item_count()}  api key: {shown_key}")
    click.echo(f"test mutations: {server.control_url}  faults: {faults or 'none'}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")


@sandbox.command("generate")
@click.option("--products", type=click.IntRange(0), default=3, show_default=True)
@click.option("--items-per-product", type=click.IntRange(0), default=50, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--offers", is_flag=True, help="Give every product a listed Connect offer.")
@click.option("--prices", is_flag=True, help="Add two marketplaces, listings and price sources.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
def sandbox_generate(
    products: int, items_per_product: int, seed: int, offers: bool, prices: bool, output: Path
) -> None:
    """Write a realistic NCE-shaped catalog file for the sandbox."""
    from plm_sync.sandbox.connect.generate import generate_catalog  # noqa: PLC0415 - on use

    data = generate_catalog(products, items_per_product, seed, offers=offers, prices=prices)
    try:
        output.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{output}: cannot write: {error.strerror}") from None
    count = sum(len(rows) for rows in data["items"].values())
    published = sum(1 for row in data["products"] if row["status"] == "published")
    others = len(data["products"]) - published
    click.echo(
        f"wrote {output}: {published} published products"
        + (f" (+{others} in other statuses)" if others else "")
        + f", {count} items (seed {seed})"
    )


@sandbox.command("commerce")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8766, show_default=True, help="0: any free."
)
@click.option("--fail-task", is_flag=True, help="Every PLM task fails, with an actionOutput.")
@click.option(
    "--task-seconds",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="How long a PLM task takes (n, then r, then s or f).",
)
@click.option(
    "--not-installed", multiple=True, help="A product PLM knows but has not installed (repeat)."
)
@click.option("--unknown", multiple=True, help="A product PLM does not know at all (repeat).")
@click.option("--update-available", multiple=True, help="A product PLM has an update of (repeat).")
@click.option("--faults", help="Fault rates, as the Connect sandbox's (e.g. '503:0.1,reset:0.05').")
@click.option("--seed", type=int, help="Seed that makes the faults repeatable.")
@click.option("--allow-remote", is_flag=True, help="Allow listening beyond loopback.")
def sandbox_commerce(
    host: str,
    port: int,
    fail_task: bool,
    task_seconds: float,
    not_installed: tuple[str, ...],
    unknown: tuple[str, ...],
    update_available: tuple[str, ...],
    faults: str | None,
    seed: int | None,
    allow_remote: bool,
) -> None:
    """Serve a Commerce PLM double on loopback (OAuth 1.0a, parseConfig, applyConfig, tasks).

    The OAuth key, secret and app id it accepts are printed; point PLM_SYNC_COMMERCE_* at it.
    """
    from plm_sync.sandbox.binding import SandboxBindError  # noqa: PLC0415
    from plm_sync.sandbox.commerce.plm import SandboxPlm  # noqa: PLC0415 - on use
    from plm_sync.sandbox.commerce.server import (  # noqa: PLC0415
        CommerceSandbox,
        CommerceSandboxOptions,
    )
    from plm_sync.sandbox.connect.faults import FaultSpec  # noqa: PLC0415 - the sandbox on use

    try:
        options = CommerceSandboxOptions(
            task_seconds=task_seconds,
            fail_task=fail_task,
            faults=FaultSpec.parse(faults),
            seed=seed,
        )
        plm = SandboxPlm(
            not_installed=set(not_installed),
            unknown=set(unknown),
            update_available=set(update_available),
        )
        server = CommerceSandbox(options, plm, host=host, port=port, allow_remote=allow_remote)
    except (ValueError, SandboxBindError) as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    click.echo(f"Commerce sandbox: PLM_SYNC_COMMERCE_URL={server.url}")
    click.echo(
        f"PLM_SYNC_COMMERCE_OAUTH_KEY={options.oauth_key} "
        f"PLM_SYNC_COMMERCE_OAUTH_SECRET={options.oauth_secret} "
        f"PLM_SYNC_COMMERCE_APP_ID={options.app_id}  (sandbox test credentials)"
    )
    click.echo(f"state: {server.control_url}/state  tasks fail: {'yes' if fail_task else 'no'}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
