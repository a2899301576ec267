"""`ppr export` and `ppr import`: the PLM workbook."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from plm_sync.cli.app import (
    _Context,
    cli,
    pass_context,
)
from plm_sync.cli.output import (
    _show_run,
)
from plm_sync.errors import UsageError


@cli.group()
def ppr() -> None:
    """The PLM plan workbook: export a product line, import an operator's edits."""


@ppr.command("export")
@click.argument("product_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Default: PPR_<product>_v<n>_<timestamp>.xlsx here.",
)
@pass_context
def ppr_export(context: _Context, product_id: str, output: Path | None) -> None:
    """Write the stored product line as a PLM workbook."""
    from plm_sync.delivery.workbooks import export_ppr  # noqa: PLC0415 - openpyxl on use

    folder = output.parent if output is not None else None
    created = (
        f" (created the folder {folder})" if folder is not None and not folder.exists() else ""
    )  # the export creates it once the line is found, as make_folder does for the others
    try:
        path = export_ppr(context.settings, product_id, output)
    except OSError as error:
        raise UsageError(f"{output}: cannot write: {error.strerror}") from None
    click.echo(f"wrote {path}{created}")


@ppr.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate and report, change nothing.")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_context
def ppr_import(context: _Context, file: Path, dry_run: bool, output: str) -> None:
    """Validate an edited workbook and keep its edits as operator overrides."""
    from plm_sync.delivery.workbooks import import_ppr  # noqa: PLC0415 - openpyxl on use

    outcome = import_ppr(context.settings, file, dry_run=dry_run)
    _show_run(context.settings, outcome.run_id, output)
    sys.exit(outcome.exit_code)
