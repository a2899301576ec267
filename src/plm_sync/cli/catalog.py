"""`catalog` and `prices`: the stored catalog and a line's prices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.text import Text

from plm_sync.cli.app import (
    _console,
    _Context,
    _print_json,
    _SafeTable,
    cli,
    pass_context,
)
from plm_sync.cli.output import (
    _period,
    make_folder,
)
from plm_sync.errors import UsageError
from plm_sync.runs.scope import check_product_id


@cli.command("prices")
@click.argument("product_id")
@click.option("--marketplace", help="Only this Connect marketplace (MP-…).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json", "xlsx"]),
    default="table",
    show_default=True,
    help="xlsx: the file Commerce's price-import wizard takes (sheet Price-list).",
)
@click.option("-o", "output_file", type=click.Path(path_type=Path, dir_okay=False))
@pass_context
def prices_command(
    context: _Context,
    product_id: str,
    marketplace: str | None,
    output: str,
    output_file: Path | None,
) -> None:
    """A product line's prices per marketplace (as stored by the last sync)."""
    check_product_id(product_id)
    from plm_sync.ops.reports import catalog  # noqa: PLC0415 - the store on use

    lines = catalog(context.settings, (product_id,))["product_lines"]
    if not lines:
        raise UsageError(
            f"no stored product line for {product_id}: `plm-sync catalog` lists what is stored, "
            f"`plm-sync import {product_id}` brings it in"
        )
    line = lines[0]
    found: dict[str, Any] = line["prices"]
    if marketplace is not None:
        if marketplace not in line["marketplaces"] and marketplace not in found:
            known = ", ".join(line["marketplaces"]) or "none"
            raise UsageError(
                f"{product_id} is not listed in marketplace {marketplace!r} (listed in: {known})"
            )
        found = {key: value for key, value in found.items() if key == marketplace}
    if output == "json":
        _print_json(
            {
                "connect_product_id": product_id,
                "marketplaces": line["marketplaces"],
                "prices": found,
            }
        )
        return
    if output == "xlsx":
        if len(found) != 1:
            choices = ", ".join(found) or "none with prices"
            raise UsageError(
                f"{product_id} has prices in {len(found)} marketplaces ({choices}): one file per "
                "marketplace, name it with --marketplace MP-…"
                if found
                else f"{product_id} has no stored prices"
                + (f" in {marketplace}" if marketplace else "")
            )
        from plm_sync.delivery.price_list import write_price_list  # noqa: PLC0415 - openpyxl on use

        (chosen,) = found
        path = output_file or Path(f"{product_id}_{chosen}_Price-list.xlsx")
        created = make_folder(path)
        try:
            write_price_list(line, chosen, path)
        except OSError as error:
            raise UsageError(f"{path}: cannot write: {error.strerror}") from None
        click.echo(f"wrote {path}{created}")
        return
    _print_prices(line, found)


def _print_prices(line: dict[str, Any], found: dict[str, Any]) -> None:
    console = _console()
    for marketplace, entry in sorted(found.items()):
        table = _SafeTable(
            title=f"{line['connect_product_id']} in {marketplace} ({entry['currency']}, "
            f"from {entry['source']})"
        )
        for column in ("MPN", "billing", "term", "cost", "price", "MSRP", "effective"):
            table.add_column(column, overflow="fold")
        for row in entry["rows"]:
            table.add_row(
                row["mpn"],
                row["billing_period"] or "trial",
                row["subscription_period"],
                _amount(row["cost"], row["cost_currency"]),
                _amount(row["price"], row["price_currency"]),
                _amount(row["msrp"], row["price_currency"]),
                row["effective_date"] + (" (scheduled)" if row.get("scheduled") else ""),
            )
        console.print(table)
    if not found:
        listed = ", ".join(line["marketplaces"]) or "no marketplace"
        console.print(
            Text(f"no stored prices for {line['connect_product_id']} (listed in: {listed})")
        )


def _amount(value: float | None, currency: str | None) -> str:
    return "" if value is None else f"{value} {currency or ''}".strip()


def _refuse_missing(products: tuple[str, ...], data: dict[str, Any]) -> None:
    """UsageError (exit 2) naming the products asked for that the catalog does not hold."""
    missing = sorted(set(products) - {line["connect_product_id"] for line in data["product_lines"]})
    if missing:
        raise UsageError(
            f"no stored product line for {', '.join(missing)}: `plm-sync catalog` lists what "
            "is stored, `plm-sync import PRD-…` brings one in"
        )


@cli.command("catalog")
@click.option("--product", "products", multiple=True, help="Only this Connect product (repeat).")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def catalog_command(context: _Context, products: tuple[str, ...], output: str) -> None:
    """The stored hierarchical catalog (a --product not stored: exit 2, as `prices` does)."""
    from plm_sync.ops.reports import catalog  # noqa: PLC0415 - the store on use

    for product_id in products:
        check_product_id(product_id)
    data = catalog(context.settings, products)
    _refuse_missing(products, data)
    if output == "json":
        _print_json(data)
        return
    console = _console()
    for line in data["product_lines"]:
        offer = line.get("offer")
        table = _SafeTable(
            title=f"{line['connect_product_id']} {line['name']} ({line['vendor']})"
            + (f", plans from offer {offer['id']}" if offer else "")
            + ("" if line["active"] else " [inactive]")
        )
        for column in ("service plan", "resources", "billing", "periods", "active"):
            table.add_column(column, overflow="fold")
        for plan in line["service_plans"]:
            billing = plan["billing_period"]
            table.add_row(
                plan["name"],
                ", ".join(rate["resource_mpn"] for rate in plan["resource_rates"]),
                "trial" if billing is None else _period(billing),
                ", ".join(_period(p) for p in plan["periods"]),
                "yes" if plan["active"] else "no",
            )
        console.print(table)
        if line["plan_switches"]:
            switches = _SafeTable(title="plan switches (one-way)")
            for column in ("from", "to", "operation", "preset", "origin", "active"):
                switches.add_column(column, overflow="fold")
            for switch in line["plan_switches"]:
                switches.add_row(
                    switch["source_plan"],
                    switch["target_plan"],
                    switch["operation"],
                    switch["preset"],
                    switch["connect_switch_id"] or switch["origin"],
                    "yes" if switch["active"] else "no",
                )
            console.print(switches)
    if not data["product_lines"]:
        console.print("the catalog is empty: run `plm-sync sync --full` first")
