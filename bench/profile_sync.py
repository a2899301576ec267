"""Where a full sync's time goes: cProfile of one in-process `sync --full` of a generated catalog.

    .venv/bin/python bench/profile_sync.py --items 20000 --per-product 50 --database postgresql

The catalog is served by `plm-sync sandbox` in its own process (its CPU is not in the
profile, but it shares the machine); the sync runs in this process under cProfile and the
functions with the most cumulative and own time are printed, with the wall time and the
number of batches written. Nothing here runs in the tests.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sync_bench import database, environment, generate, sandbox

from plm_sync.config import load_settings
from plm_sync.sync.request import SyncRequest
from plm_sync.sync.run import run_sync


def main() -> None:
    """Generate, serve, sync under cProfile, print the top of the profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--per-product", type=int, default=50)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        catalog = generate(args.items, Path(folder), per_product=args.per_product)
        with sandbox(catalog) as url, database(args.database, Path(folder)) as db:
            settings = load_settings(environment(db, url))
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            outcome = run_sync(settings, SyncRequest(full=True))
            profile.disable()
            wall = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    print(f"wall {wall:.2f} s, run {outcome.run_id} {outcome.status}, counts {outcome.counts}")


if __name__ == "__main__":
    main()
