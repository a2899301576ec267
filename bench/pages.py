"""Time what `plm-sync serve` does per request: a catalog line page, the catalog list, /metrics.

Generates a catalog of few large products (`--items` per product), syncs it into SQLite and
PostgreSQL, then times, best of five, reading and rendering the largest line's page, the first
catalog page, a search, and one Prometheus scrape. Prints a table; nothing here runs in the
test suite.

Run: `.venv/bin/python bench/pages.py --products 20 --items 1000`
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sync_bench import database  # bench/ is on the path when a script of it runs

from plm_sync.config import Settings
from plm_sync.infra.logging import configure_logging
from plm_sync.ops.metrics import metrics_text
from plm_sync.ops.reports import browse_lines, catalog, line_page
from plm_sync.ops.views.html import render_catalog, render_line
from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.sandbox.connect.server import SandboxOptions, SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync

ROOT = Path(__file__).resolve().parent.parent
KEY = "SU-BENCH-000:pages"


def best(action: Callable[[], object], rounds: int = 5) -> float:
    """The fastest of `rounds` runs of `action`, in milliseconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def measure(settings: Settings) -> dict[str, float]:
    """The pages of one synced database, in milliseconds."""
    lines = catalog(settings)["product_lines"]
    largest = max(lines, key=lambda line: len(line["service_plans"]))
    pid = largest["connect_product_id"]
    periods = sum(len(plan["periods"]) for plan in largest["service_plans"])

    def line() -> str:
        page = line_page(settings, pid)
        assert page is not None  # noqa: S101 - the line was just synced
        return render_line(page)

    return {
        f"line {len(largest['service_plans'])} plans/{periods} items": best(line),
        "catalog page (100 lines)": best(lambda: render_catalog(browse_lines(settings))),
        "catalog search by MPN": best(lambda: render_catalog(browse_lines(settings, "cfq7ttc0"))),
        "/metrics scrape": best(lambda: metrics_text(settings)),
    }


def main() -> None:
    """Sync a generated catalog, then time the pages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    configure_logging("console", "warning")
    data = generate_catalog(args.products, args.items, seed=3, offers=True, prices=True)
    server = SandboxServer(
        SandboxCatalog.from_data(data), SandboxOptions(api_key=KEY, max_limit=1000)
    ).start()
    print(f"{'db':>10} {'what':<34} {'ms':>8}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            for kind in args.databases:
                with database(kind, Path(folder)) as url:
                    figures = sync_and_measure(url, server.url)
                for what, ms in figures.items():
                    print(f"{kind:>10} {what:<34} {ms:8.1f}")
    finally:
        server.stop()


def sync_and_measure(url: str, connect_url: str) -> dict[str, float]:
    """A full sync into `url`, then the pages' times."""
    settings = Settings(
        database_url=url,
        connect_url=connect_url,
        connect_api_key=KEY,
        mappings=ROOT / "mappings",
        page_size=1000,
    )
    run_sync(settings, SyncRequest(full=True))
    return measure(settings)


if __name__ == "__main__":
    main()
