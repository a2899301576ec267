"""Every command's `--help`, pinned: the CLI's commands, flags and help texts stay as they are.

Regenerate the pin after an intended change with `python tests/unit/cli/test_help_texts.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from plm_sync.cli import _load_plugins, cli

PIN = Path(__file__).with_name("help_texts.json")


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def help_texts() -> dict[str, str]:
    _load_plugins()
    runner = CliRunner()
    texts = {}
    for path in command_paths(cli):
        result = runner.invoke(cli, [*path, "--help"], terminal_width=100, env={"COLUMNS": "100"})
        assert result.exit_code == 0, (path, result.output)
        texts[" ".join(path) or "(plm-sync)"] = result.output
    return texts


def test_every_command_keeps_its_help() -> None:
    assert help_texts() == json.loads(PIN.read_text(encoding="utf-8"))


if __name__ == "__main__":
    PIN.write_text(json.dumps(help_texts(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
