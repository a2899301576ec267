"""`sync`, `import` and `explain`: runs in this process, and one item's rules."""

from __future__ import annotations

import sys
from dataclasses import replace

import click

from plm_sync.cli.app import (
    ALLOW_DEACTIVATIONS,
    ALLOW_PRICE_CHANGES,
    KEY_HELP,
    _console,
    _Context,
    _print_json,
    _SafeTable,
    cli,
    pass_context,
)
from plm_sync.cli.output import (
    _run_and_report,
)
from plm_sync.runs.scope import check_product_id
from plm_sync.sync.request import SyncRequest


@cli.command()
@click.option(
    "--mpn", required=True, help="The flat Connect MPN, e.g. CFQ7TTC0HDK0:0001_P1M:Monthly"
)
@click.option("--name", help="The Connect item name, e.g. 'Cloud Service (NCE COM BAS 1YR ANN)'.")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def explain(context: _Context, mpn: str, name: str | None, output: str) -> None:
    """Show how one item would be transformed, and why."""
    from plm_sync.domain.explain import explain_mpn  # noqa: PLC0415 - the rules on use
    from plm_sync.mappings import load_plm_rules  # noqa: PLC0415

    rules = load_plm_rules(context.settings.mappings)
    result = explain_mpn(mpn, name, rules)
    if output == "json":
        _print_json(result)
        return
    table = _SafeTable(show_header=False, box=None)
    for key, value in result.items():
        if isinstance(value, dict):
            value = f"{value['duration']} {value['unit']}"  # noqa: PLW2901 - display only
        table.add_row(key, "" if value is None else str(value))
    _console().print(table)


@cli.command(epilog=KEY_HELP)
@click.option("--full", is_flag=True, help="Reconcile every product (finds deletions).")
@click.option("--product", "products", multiple=True, help="Only this Connect product (repeat).")
@click.option("--dry-run", is_flag=True, help="Compute and report the changes, write none.")
@ALLOW_DEACTIVATIONS
@ALLOW_PRICE_CHANGES
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    help="Processes to sync the product lines in (default PLM_SYNC_JOBS, else up to one per "
    "core, at most 4, when a third of the products changed; else, and for a run of up to "
    "PLM_SYNC_TASK_PRODUCTS products, this one).",
)
@pass_context
def sync(
    context: _Context,
    full: bool,
    products: tuple[str, ...],
    dry_run: bool,
    allow_deactivations: bool,
    allow_price_changes: bool,
    output: str,
    jobs: int | None,
) -> None:
    """One sync run driven from here (incremental by default; its lines in --jobs processes).

    A run that would deactivate more service plans than PLM_SYNC_DEACTIVATION_LIMIT (default
    10% of the active plans, at least 20) writes none of the lines that deactivate, and exits 3.
    """
    for product_id in products:
        check_product_id(product_id)
    request = SyncRequest(
        trigger="cli",
        full=full,
        product_ids=products,
        dry_run=dry_run,
        allow_deactivations=allow_deactivations,
        allow_price_changes=allow_price_changes,
    )
    settings = context.settings if jobs is None else replace(context.settings, jobs=jobs)
    sys.exit(_run_and_report(settings, request, output))


@cli.command("import", epilog=KEY_HELP)
@click.argument("product_id")
@click.option("--dry-run", is_flag=True)
@ALLOW_DEACTIVATIONS
@ALLOW_PRICE_CHANGES
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def import_product(
    context: _Context,
    product_id: str,
    dry_run: bool,
    allow_deactivations: bool,
    allow_price_changes: bool,
    output: str,
) -> None:
    """Import one Connect product now (a full run for that product)."""
    request = SyncRequest(
        trigger="cli",
        full=True,
        product_ids=(check_product_id(product_id),),
        dry_run=dry_run,
        allow_deactivations=allow_deactivations,
        allow_price_changes=allow_price_changes,
    )
    sys.exit(_run_and_report(context.settings, request, output))
