"""The README's demo command on a clean clone: install, serve the sample, sync, report."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


def tour_commands() -> list[list[str]]:
    """The plm-sync commands of the README's five-minute tour (after `make demo`)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = text.split("## A five-minute tour", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [
        shlex.split(line, comments=True)
        for line in tour.splitlines()
        if line.startswith(".venv/bin/plm-sync ")
    ]
    assert commands, "the README's tour gives no plm-sync command"
    return commands


def readme_command(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^(make {name})\b", text, flags=re.MULTILINE)
    assert match, f"the README gives no `make {name}` command"
    return match.group(1)


@pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("make") is None, reason="needs git and make"
)
def test_make_demo_on_a_clean_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = {
        name: value
        for name, value in os.environ.items()
        # not COVERAGE_*: the clone's own plm-sync is other files; measured, they would count
        # as a second, mostly unrun copy of the package in `make test`'s coverage total
        if not name.startswith(("PLM_SYNC_", "VIRTUAL_ENV", "COVERAGE_"))
    }
    result = subprocess.run(
        readme_command("demo").split(),
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "run 1: succeeded" in result.stdout
    assert (clone / "plm_sync_demo.db").is_file()
    data = json.loads((clone / "plm_sync_demo_catalog.json").read_text(encoding="utf-8"))
    assert len(data["product_lines"]) == 5
    offer_line = next(line for line in data["product_lines"] if line["plan_source"] == "offer")
    assert offer_line["plan_switches"]
    assert (clone / "plm_sync_demo_offer_PPR.xlsx").is_file()
    addons = openpyxl.load_workbook(clone / "plm_sync_demo_addons_PPR.xlsx", read_only=True)
    assert len(list(addons["ResourceDependencies"].iter_rows())) == 2
    addons.close()
    # the last leg: every line pushed into the Commerce sandbox, and what PLM applied
    assert "pushed 5, unchanged 0" in result.stdout
    assert result.stdout.count("PLM applied") == 5
    assert "the price-import wizard set" in result.stdout
    shown = subprocess.run(
        [
            str(clone / ".venv" / "bin" / "plm-sync"),
            "--database-url",
            "sqlite:///plm_sync_demo.db",
            "catalog",
            "--format",
            "json",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(shown.stdout) == data
    for command in tour_commands():  # each command of the README's tour, as a newcomer types it
        toured = subprocess.run(
            command, cwd=clone, env=env, capture_output=True, text=True, check=False
        )
        assert toured.returncode == 0, (command, toured.stdout + toured.stderr)
        assert toured.stdout.strip() or (clone / "report.html").is_file(), command
    again = subprocess.run(
        readme_command("demo").split(),
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert again.returncode == 0
    assert "created 0, updated 0" in again.stdout
    # each demo starts a new, empty Commerce double: another hub, which receives every line
    assert "pushed 5, unchanged 0" in again.stdout
    assert "the price-import wizard set" in again.stdout
