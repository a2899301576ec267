"""Start-up time of the commands monitoring polls: `--help`, `status`, `runs`.

    .venv/bin/python bench/startup.py --rounds 5

Each command runs as its own process against a migrated SQLite file and a PostgreSQL schema
(no runs in them); the median wall time of `--rounds` runs is printed per command and
database. Nothing here runs in the tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_bench import database

COMMANDS = (("--help",), ("status",), ("runs",))


def timed(env: dict[str, str], args: tuple[str, ...]) -> float:
    """Wall seconds of `plm-sync ARGS` (exit 1 of `status` without runs is fine)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "plm_sync", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - started


def main() -> None:
    """Migrate each database, then time each command `--rounds` times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("PLM_SYNC_")}
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("sqlite", "postgresql"):
            with database(kind, Path(folder)) as url:
                env = base | {"PLM_SYNC_DATABASE_URL": url}
                subprocess.run(
                    [sys.executable, "-m", "plm_sync", "migrate"],
                    env=env,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                for command in COMMANDS:
                    seconds = statistics.median(timed(env, command) for _ in range(args.rounds))
                    print(f"{kind:10} {' '.join(command):8} {seconds:.3f} s")


if __name__ == "__main__":
    main()
