"""Benchmark: export of a large product line to the PLM workbook (time and peak memory).

Builds a product line of about PLANS plans (NCE-shaped: MTH/ANN/TRI plans per SKU) by syncing
a generated catalog from the sandbox into a SQLite file, then times `plm-sync ppr export` in a
child process and reports its peak RSS. Run: `.venv/bin/python bench/ppr_export.py [PLANS]`.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plm_sync.config import Settings
from plm_sync.ops.reports import catalog
from plm_sync.sandbox.connect.catalog import SandboxCatalog
from plm_sync.sandbox.connect.generate import generate_catalog
from plm_sync.sandbox.connect.server import SandboxOptions, SandboxServer
from plm_sync.sync.run import SyncRequest, run_sync

ROOT = Path(__file__).resolve().parent.parent
KEY = "SU-BENCH:bench"


def main() -> None:
    """Print the figures as a table and as JSON."""
    plans_wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    items = plans_wanted * 5 // 3 + 50
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{folder}/bench.db"
        data = generate_catalog(1, items, seed=7)
        server = SandboxServer(SandboxCatalog.from_data(data), SandboxOptions(api_key=KEY)).start()
        try:
            settings = Settings(
                database_url=database,
                connect_url=server.url,
                connect_api_key=KEY,
                mappings=ROOT / "mappings",
            )
            started = time.perf_counter()
            run_sync(settings, SyncRequest(full=True))
            sync_seconds = time.perf_counter() - started
        finally:
            server.stop()
        (line,) = catalog(settings)["product_lines"]
        plans = len(line["service_plans"])
        output = Path(folder) / "ppr.xlsx"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "plm_sync",
                "--database-url",
                database,
                "--mappings",
                str(ROOT / "mappings"),
                "ppr",
                "export",
                line["connect_product_id"],
                "-o",
                str(output),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        export_seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size_kb = output.stat().st_size / 1024
    figures = {
        "plans": plans,
        "items": items,
        "sync_s": round(sync_seconds, 2),
        "export_s": round(export_seconds, 2),
        "export_peak_rss_mb": round(peak_mb, 1),
        "workbook_kb": round(size_kb, 1),
    }
    print(
        f"{'plans':>8} {'items':>8} {'sync s':>8} {'export s':>9} {'peak RSS MB':>12} "
        f"{'xlsx KB':>8}"
    )
    print(
        f"{plans:>8} {items:>8} {sync_seconds:>8.2f} {export_seconds:>9.2f} {peak_mb:>12.1f} "
        f"{size_kb:>8.1f}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
