"""`push`: product lines into Commerce PLM."""

from __future__ import annotations

import sys

import click

from plm_sync.cli.app import (
    COMMERCE_HELP,
    _Context,
    cli,
    pass_context,
)
from plm_sync.cli.output import (
    _show_run,
)
from plm_sync.errors import UsageError
from plm_sync.runs.scope import check_product_id


@cli.command(epilog=COMMERCE_HELP)
@click.argument("product_ids", nargs=-1)
@click.option(
    "--changed", is_flag=True, help="Push every line whose catalog differs from its last push."
)
@click.option(
    "--dry-run", is_flag=True, help="Parse in PLM and show what would change; apply nothing."
)
@click.option(
    "--upgrade-product",
    is_flag=True,
    help="Upgrade a product PLM has an update of before pushing its line.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Send lines even when this hub holds them as they are (the event says so).",
)
@click.option(
    "--prices-only",
    is_flag=True,
    help="Send the lines' prices only (their plans are in PLM already).",
)
@click.option("--no-prices", is_flag=True, help="Send the lines' plans, not their prices.")
@click.option(
    "--promote-from",
    "promote_from",
    metavar="STAGING_URL",
    help="Send only what this staging hub holds as applied and verified (same credentials).",
)
@click.option(
    "--plan",
    "plan",
    is_flag=True,
    help="Record what would change as a plan (status planned) for `approve`; send nothing.",
)
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def push(
    context: _Context,
    product_ids: tuple[str, ...],
    changed: bool,
    dry_run: bool,
    upgrade_product: bool,
    force: bool,
    prices_only: bool,
    no_prices: bool,
    promote_from: str | None,
    plan: bool,
    output: str,
) -> None:
    """Deliver product lines into Commerce PLM (parseConfig, applyConfig, the PLM task).

    One run (trigger `push`); a line whose catalog is as this hub last received it sends
    nothing (each hub, by URL and app id, is remembered apart); a line the last sync left in
    error or held is not pushed. A push cut off (a crash, a lost answer) is finished by the
    next: it reads PLM's plans before it sends anything again. Exit 0, 3 (some lines
    failed), 1 (the run failed) or 2 (settings, credentials). After a line's plans, its
    prices per marketplace go through Commerce's price-import wizard as the marketplace's
    reseller (`--prices-only`, `--no-prices`). `--plan` reads the hub back and records what
    would change per line (plans and fields, prices old -> new) as a run with status
    `planned`: `plm-sync approve RUN` applies exactly it, `plm-sync reject RUN` discards it.
    `--promote-from STAGING_URL` sends a line only when that hub received this very content,
    verified, and still reads back equal to it; else the line is held back, saying why.
    """
    from plm_sync.delivery.push import PushRequest, push_lines  # noqa: PLC0415 - Commerce code on use

    if prices_only and no_prices:
        raise UsageError(
            "--prices-only and --no-prices contradict each other: give one (or neither: plans "
            "and prices)"
        )
    for product_id in product_ids:
        check_product_id(product_id)
    if promote_from is not None:
        from plm_sync.config import check_url  # noqa: PLC0415

        check_url(promote_from, "--promote-from", "the staging hub's controller URL")
    prices = "only" if prices_only else "none" if no_prices else "with"
    request = PushRequest(
        product_ids,
        changed=changed,
        dry_run=dry_run,
        upgrade_product=upgrade_product,
        force=force,
        prices=prices,
        plan=plan,
        promote_from=promote_from,
    )
    outcome = push_lines(context.settings, request)
    _show_run(context.settings, outcome.run_id, output)
    sys.exit(outcome.exit_code)


@cli.command(epilog=COMMERCE_HELP)
@click.argument("product_ids", nargs=-1)
@click.option("--all", "all_lines", is_flag=True, help="Every line this hub received.")
@click.option(
    "--hub",
    "hub_url",
    metavar="URL",
    help="Read this hub's controller URL instead of PLM_SYNC_COMMERCE_URL (same credentials).",
)
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def drift(
    context: _Context,
    product_ids: tuple[str, ...],
    all_lines: bool,
    hub_url: str | None,
    output: str,
) -> None:
    """Read lines back from Commerce and report what differs from the catalog.

    Per line: PLM's export of its plans (settings, periods, rates, sharing) against PLM's
    parse of the line's workbook, and each marketplace's prices as its reseller sees them.
    One run (trigger `drift`); each difference is an error event naming the fields (hub ->
    catalog). Nothing is changed in Commerce: `plm-sync push PRD-… --force` repairs a line.
    Exit 0 (the hub holds the catalog), 3 (drift, or a line could not be read), 1 (the run
    failed) or 2 (settings, credentials).
    """
    from plm_sync.delivery.drift import DriftRequest, drift_lines  # noqa: PLC0415 - Commerce code on use

    for product_id in product_ids:
        check_product_id(product_id)
    if hub_url is not None:
        from plm_sync.config import check_url  # noqa: PLC0415

        check_url(hub_url, "--hub", "the hub's controller URL")
    outcome = drift_lines(
        context.settings, DriftRequest(product_ids, all_lines=all_lines, hub_url=hub_url)
    )
    _show_run(context.settings, outcome.run_id, output)
    sys.exit(outcome.exit_code)


@cli.command(epilog=COMMERCE_HELP)
@click.argument("run_id")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def approve(context: _Context, run_id: str, output: str) -> None:
    """Apply a change plan (a run with status planned) exactly as it was shown.

    Its lines are pushed to the hub the plan was made for, each only if its catalog is as the
    plan saw it (else `commerce_plan_stale`: not sent), its prices only in the marketplaces
    the plan showed. The plan's run then names the push run that carried it out. Exit as the
    push (0, 3, 1) or 2 (not a plan waiting, another hub).
    """
    from plm_sync.delivery.approval import approve_plan  # noqa: PLC0415 - Commerce code on use

    decision = approve_plan(context.settings, run_id)
    assert decision.push is not None  # noqa: S101 - an approval pushes
    _show_run(context.settings, decision.push.run_id, output)
    sys.exit(decision.exit_code)


@cli.command()
@click.argument("run_id")
@pass_context
def reject(context: _Context, run_id: str) -> None:
    """Discard a change plan: nothing of it is sent; its run is marked rejected (cancelled)."""
    from plm_sync.delivery.approval import reject_plan  # noqa: PLC0415

    decision = reject_plan(context.settings, run_id)
    click.echo(f"plan {decision.plan_id} rejected: nothing of it was sent")
