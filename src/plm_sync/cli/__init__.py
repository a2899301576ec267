"""The `plm-sync` command line, in rooms: one module per group of commands.

`app` holds the group, settings and shared helpers; importing the rooms registers their
commands on it.
"""

from plm_sync.cli import (  # noqa: F401 - imported for the commands they register
    catalog,
    operations,
    pushing,
    runs,
    sandboxes,
    syncing,
    workbook,
)
from plm_sync.cli.app import _load_plugins, cli, main

__all__ = ["_load_plugins", "cli", "main"]
