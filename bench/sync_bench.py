"""Benchmark of whole runs: raw fetch, full sync, no-change re-sync, incremental, worker, peer.

For each catalog size it generates an NCE-shaped catalog (`plm-sync sandbox generate`),
serves it with `plm-sync sandbox` in its own process, and times each mode as its own
process (peak RSS from wait4), on SQLite and PostgreSQL:

  raw          the Connect client streaming every product and item, nothing else (the floor)
  full         `plm-sync sync --full` into an empty database
  nochange     `plm-sync sync --full` again (must write no catalog row)
  incremental  `plm-sync sync` after 1 % of the items changed (in 1 % of the products: Connect
               marks changes per product, so that is what an incremental run fetches again)
  worker       the same full sync through Celery with 2 workers (Redis)
  dlt          dlt's rest_api_source loading the products and items raw (merge on id) into
               the same PostgreSQL (needs `pip install -e '.[bench]'`)
  prices-on|off-full / -nochange, prices-nochange-ratio (--only-prices)
               no-change runs of the same catalog without and with marketplaces, listings and
               price sources, in turns; the ratio of their medians
  offers-full / offers-nochange (with --offers or --only-offers)
               the same full sync of a catalog where every product has a listed Connect
               offer: a plan per full SKU, features, an upgrade switch between neighbours

Run: `.venv/bin/python bench/sync_bench.py --sizes 10000 100000` (`BENCH_JOBS=1`: every sync
mode in one process; `--jobs 2`: a full sync in two processes as well). Prints a table and writes
JSON to bench/results/. `--shape many` (2,000 products x 50 items at 100k), `few` (100 x
1,000) or `both` (the default). After each full sync the latest run's report is written in
each format (`report-json|html|xlsx`: wall time, peak RSS, size). Nothing here runs in the
test suite; `bench/compare.py` times two versions side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
KEY = "SU-BENCH-000:bench-secret"
POSTGRES = os.environ.get(
    "PLM_SYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("PLM_SYNC_TEST_REDIS_URL", "redis://127.0.0.1:6379")
ITEMS_PER_PRODUCT = 1000
# catalog shapes: items per product (100k items: 2,000 x 50 and 100 x 1,000)
SHAPES = {"many": 50, "few": 1000}
PAGE_SIZE = 1000


@dataclass
class Figure:
    """One measured mode."""

    size: int
    database: str
    mode: str
    seconds: float
    items: int
    peak_rss_mb: float
    note: str = ""
    shape: str = "few"


def peak_rss_mb(pid: int) -> float:
    """The process's own high-water RSS (VmHWM).

    Not ru_maxrss: on Linux a child inherits the forking parent's high-water mark, and this
    script holds the whole catalog.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakWatcher:
    """Samples the peak RSS of some processes until stopped (they may exit any time)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max([self.peak, *(peak_rss_mb(pid) for pid in self.pids)])
            time.sleep(0.02)

    def stop(self) -> float:
        """Stop sampling; the highest value seen."""
        self._stop.set()
        self._thread.join()
        return self.peak


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child; its wall time, its own peak RSS (MB) and its standard output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        with subprocess.Popen(command, env=env, stdout=out, stderr=err, cwd=ROOT) as process:
            watcher = PeakWatcher([process.pid])
            process.wait()
            peak = watcher.stop()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    if process.returncode not in {0, 3}:  # 3: the generated catalog has malformed rows
        msg = f"{command} failed ({process.returncode}): {errors[-2000:]}"
        raise RuntimeError(msg)
    return seconds, peak, output


def environment(database: str, url: str, **extra: str) -> dict[str, str]:
    """The child processes' settings: this database, this sandbox, no inherited PLM_SYNC_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLM_SYNC_")}
    env |= {
        "PLM_SYNC_DATABASE_URL": database,
        "PLM_SYNC_CONNECT_URL": url,
        "PLM_SYNC_CONNECT_API_KEY": KEY,
        "PLM_SYNC_MAPPINGS": str(ROOT / "mappings"),
        "PLM_SYNC_PAGE_SIZE": str(PAGE_SIZE),
        "PLM_SYNC_LOG_LEVEL": "warning",
    }
    if "BENCH_JOBS" in os.environ:  # the processes of every sync mode (default: the cores)
        env["PLM_SYNC_JOBS"] = os.environ["BENCH_JOBS"]
    return env | {f"PLM_SYNC_{k.upper()}": v for k, v in extra.items()}


@contextmanager
def sandbox(catalog: Path) -> Iterator[str]:
    """`plm-sync sandbox` in its own process; yields its base URL."""
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "plm_sync",
            "sandbox",
            "--catalog",
            str(catalog),
            "--port",
            "0",
            "--api-key",
            KEY,
            "--max-limit",
            str(PAGE_SIZE),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    ) as process:
        try:
            assert process.stdout is not None  # noqa: S101 - we asked for the pipe
            yield process.stdout.readline().split()[2]
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """An empty SQLite file or PostgreSQL schema."""
    if kind == "sqlite":
        path = folder / f"bench-{uuid.uuid4().hex}.db"
        yield f"sqlite:///{path}"
        return
    engine = create_engine(POSTGRES)
    schema = f"plm_bench_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def last_run(env: dict[str, str]) -> dict[str, Any]:
    """The newest run of the database in `env`."""
    out = subprocess.run(
        [sys.executable, "-m", "plm_sync", "runs", "--limit", "1", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)[0]


def change_one_percent(url: str, data: dict[str, Any]) -> int:
    """Rename every item of 1 % of the products (at least one) through the sandbox."""
    control = url.replace("/public/v1", "/_sandbox")
    products = data["products"][: max(1, len(data["products"]) // 100)]
    changed = 0
    with requests.Session() as session:
        session.headers["Authorization"] = f"ApiKey {KEY}"
        for product in products:
            for item in data["items"][product["id"]]:
                response = session.patch(
                    f"{control}/items/{item['id']}",
                    json={"name": item.get("name", "") + " v2"},
                    timeout=30,
                )
                response.raise_for_status()
                changed += 1
    return changed


def raw_fetch(url: str) -> None:
    """Child mode: stream everything with the client, print the item count."""
    from plm_sync.connect.client import ConnectClient  # noqa: PLC0415 - child process only

    client = ConnectClient(url, KEY, page_size=PAGE_SIZE)
    count = 0
    for product in client.products(statuses=()):
        count += sum(1 for _ in client.items(product.id))  # type: ignore[union-attr]
    print(count)


def dlt_credentials(postgres: str) -> str:
    """A URL dlt accepts: it insists on a password, which trust authentication ignores."""
    url = postgres.replace("postgresql+psycopg://", "postgresql://")
    user_host = url.removeprefix("postgresql://")
    user, at, rest = user_host.partition("@")
    if at and ":" not in user:
        url = f"postgresql://{user}:unused@{rest}"
    return url


def dlt_load(url: str, postgres: str) -> None:
    """Child mode: dlt's rest_api_source, raw products and items, merged on id."""
    import dlt  # noqa: PLC0415 - optional, installed by the bench extra
    from dlt.sources.rest_api import rest_api_source  # noqa: PLC0415

    paginator = {
        "type": "offset",
        "limit": PAGE_SIZE,
        "offset_param": "offset",
        "limit_param": "limit",
        "total_path": None,
        "stop_after_empty_page": True,
    }
    source = rest_api_source(
        {
            "client": {
                "base_url": url + "/",
                "headers": {"Authorization": f"ApiKey {KEY}"},
                "paginator": paginator,
            },
            "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
            "resources": [
                {"name": "products", "endpoint": {"path": "products"}},
                {"name": "items", "endpoint": {"path": "products/{resources.products.id}/items"}},
            ],
        }
    )
    dataset = f"dlt_bench_{uuid.uuid4().hex[:8]}"
    pipeline = dlt.pipeline(
        pipeline_name=dataset,
        dataset_name=dataset,
        destination=dlt.destinations.postgres(dlt_credentials(postgres)),
        pipelines_dir=tempfile.mkdtemp(),
    )
    pipeline.run(source)
    engine = create_engine(postgres)
    with engine.begin() as connection:
        query = f'SELECT count(*) FROM "{dataset}".items'  # noqa: S608 - our own schema name
        count = connection.execute(text(query)).scalar()
        connection.execute(text(f'DROP SCHEMA "{dataset}" CASCADE'))
        with suppress(Exception):
            connection.execute(text(f'DROP SCHEMA "{dataset}_staging" CASCADE'))
    engine.dispose()
    print(count)


def worker_sync(env: dict[str, str], broker: str) -> tuple[float, float]:
    """Two Celery workers (concurrency 1 each) run an enqueued full sync; time to finish."""
    env = env | {"PLM_SYNC_BROKER_URL": broker}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tasks.app",
                "worker",
                "--concurrency",
                "1",
                "--pool",
                "solo",
                "--hostname",
                f"bench{n}@%h",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in (1, 2)
    ]
    watcher = PeakWatcher([worker.pid for worker in workers])
    try:
        time.sleep(4)  # let both workers connect before the work arrives
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "plm_sync", "enqueue", "sync", "--full"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        run_id = int(out.stdout.split()[2])
        while True:
            run = next(
                r
                for r in json.loads(
                    subprocess.run(
                        [sys.executable, "-m", "plm_sync", "runs", "--format", "json"],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                        cwd=ROOT,
                    ).stdout
                )
                if r["id"] == run_id
            )
            if run["status"] != "running":
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - started
    finally:
        peak = watcher.stop()
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
    return seconds, peak


def generate(
    size: int,
    folder: Path,
    *,
    offers: bool = False,
    per_product: int | None = None,
    prices: bool = False,
) -> Path:
    """A generated catalog file of `size` items (with a listed offer per product if asked)."""
    per_product = per_product or int(os.environ.get("BENCH_ITEMS_PER_PRODUCT", ITEMS_PER_PRODUCT))
    products = max(1, size // per_product)
    suffix = ("-offers" if offers else "") + ("-prices" if prices else "")
    catalog = folder / f"catalog-{size}-{per_product}{suffix}.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "plm_sync",
            "sandbox",
            "generate",
            "--products",
            str(products),
            "--items-per-product",
            str(per_product),
            "--seed",
            "1",
            *(["--offers"] if offers else []),
            *(["--prices"] if prices else []),
            "-o",
            str(catalog),
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return catalog


def bench_offers(size: int, databases: list[str], folder: Path) -> list[Figure]:
    """Full and no-change syncs of a catalog whose products all have an offer with switches."""
    catalog = generate(size, folder, offers=True)
    data = json.loads(catalog.read_text(encoding="utf-8"))
    items = sum(len(rows) for rows in data["items"].values())
    plans = sum(len(offers[0]["plans"]) for offers in data["offers"].values())
    switches = sum(len(offers[0]["switches"]) for offers in data["offers"].values())
    figures: list[Figure] = []
    for kind in databases:
        with sandbox(catalog) as url, database(kind, folder) as db:
            env = environment(db, url)
            command = [sys.executable, "-m", "plm_sync", "sync", "--full", "--format", "json"]
            seconds, rss, _ = timed(command, env)
            counts = last_run(env)["counts"]
            note = f"{plans} offer plans, {switches} switches, {counts['errors']} errors"
            figures.append(Figure(size, kind, "offers-full", seconds, items, rss, note))
            seconds, rss, _ = timed(command, env)
            counts = last_run(env)["counts"]
            writes = counts["created"] + counts["updated"] + counts["deactivated"]
            figures.append(
                Figure(
                    size, kind, "offers-nochange", seconds, items, rss, f"{writes} catalog writes"
                )
            )
    return figures


def bench_prices(size: int, databases: list[str], folder: Path, rounds: int = 3) -> list[Figure]:
    """No-change full syncs of the same catalog without and with prices, side by side.

    Every product listed in a marketplace with a pricing batch, a third in a second one with a
    price list: a no-change run reads the listings and batches once and must download nothing.
    The two are run in turns (`rounds` each) and compared by their medians.
    """
    figures: list[Figure] = []
    plain = generate(size, folder, per_product=SHAPES["many"])
    priced = generate(size, folder, per_product=SHAPES["many"], prices=True)
    items = sum(
        len(rows) for rows in json.loads(plain.read_text(encoding="utf-8"))["items"].values()
    )
    command = [sys.executable, "-m", "plm_sync", "sync", "--full", "--format", "json"]
    for kind in databases:
        with (
            sandbox(plain) as plain_url,
            sandbox(priced) as priced_url,
            database(kind, folder) as plain_db,
            database(kind, folder) as priced_db,
        ):
            envs = {
                "prices-off": environment(plain_db, plain_url),
                "prices-on": environment(priced_db, priced_url),
            }
            for mode, env in envs.items():
                seconds, rss, _ = timed(command, env)
                figures.append(
                    Figure(size, kind, f"{mode}-full", seconds, items, rss, "", shape="many")
                )
            times: dict[str, list[float]] = {mode: [] for mode in envs}
            for _ in range(rounds):
                for mode, env in envs.items():
                    seconds, rss, _ = timed(command, env)
                    times[mode].append(seconds)
                    counts = last_run(env)["counts"]
            for mode, values in times.items():
                median = sorted(values)[len(values) // 2]
                figures.append(
                    Figure(
                        size,
                        kind,
                        f"{mode}-nochange",
                        median,
                        items,
                        rss,
                        f"{rounds} rounds",
                        shape="many",
                    )
                )
            ratio = (
                sorted(times["prices-on"])[rounds // 2] / sorted(times["prices-off"])[rounds // 2]
            )
            writes = counts["created"] + counts["updated"] + counts["deactivated"]
            figures.append(
                Figure(
                    size,
                    kind,
                    "prices-nochange-ratio",
                    ratio,
                    items,
                    0.0,
                    f"{writes} writes",
                    shape="many",
                )
            )
    return figures


def report_modes(size: int, kind: str, items: int, env: dict[str, str]) -> list[Figure]:
    """Peak RSS (and time) of the latest run's report in each format."""
    figures = []
    with tempfile.TemporaryDirectory() as out:
        for output in ("json", "html", "xlsx"):
            target = Path(out) / f"report.{output}"
            command = [sys.executable, "-m", "plm_sync", "report", "latest", "--format", output]
            if output != "json":
                command += ["-o", str(target)]
            seconds, rss, text = timed(command, env)
            written = target.stat().st_size if target.exists() else len(text.encode())
            figures.append(
                Figure(size, kind, f"report-{output}", seconds, items, rss, f"{written // 1024} kB")
            )
    return figures


def bench_size(
    size: int,
    databases: list[str],
    folder: Path,
    *,
    worker: bool,
    peer: bool,
    shape: str = "few",
    jobs: tuple[int, ...] = (),
) -> list[Figure]:
    """Every mode for one catalog size and shape."""
    figures = _bench_size(size, databases, folder, worker=worker, peer=peer, shape=shape, jobs=jobs)
    for figure in figures:
        figure.shape = shape
    return figures


def _bench_size(
    size: int,
    databases: list[str],
    folder: Path,
    *,
    worker: bool,
    peer: bool,
    shape: str,
    jobs: tuple[int, ...] = (),
) -> list[Figure]:
    catalog = generate(size, folder, per_product=SHAPES[shape])
    data = json.loads(catalog.read_text(encoding="utf-8"))
    items = sum(len(rows) for rows in data["items"].values())
    figures: list[Figure] = []
    with sandbox(catalog) as url:
        seconds, rss, out = timed([sys.executable, __file__, "raw", url], dict(os.environ))
        figures.append(Figure(size, "-", "raw", seconds, int(out.strip()), rss))
    for kind in databases:
        with sandbox(catalog) as url, database(kind, folder) as db:
            env = environment(db, url)
            command = [sys.executable, "-m", "plm_sync", "sync", "--full", "--format", "json"]
            seconds, rss, _ = timed(command, env)
            figures.append(Figure(size, kind, "full", seconds, items, rss))
            figures += report_modes(size, kind, items, env)
            seconds, rss, _ = timed(command, env)
            counts = last_run(env)["counts"]
            writes = counts["created"] + counts["updated"] + counts["deactivated"]
            figures.append(
                Figure(size, kind, "nochange", seconds, items, rss, f"{writes} catalog writes")
            )
            changed = change_one_percent(url, data)
            seconds, rss, _ = timed(
                [sys.executable, "-m", "plm_sync", "sync", "--format", "json"], env
            )
            counts = last_run(env)["counts"]
            figures.append(
                Figure(
                    size,
                    kind,
                    "incremental",
                    seconds,
                    counts["items"],
                    rss,
                    f"{changed} items changed, {counts['updated']} rows updated",
                )
            )
        for count in jobs:  # the same full sync with its lines in `count` processes
            with sandbox(catalog) as url, database(kind, folder) as db:
                command = [sys.executable, "-m", "plm_sync", "sync", "--full", "--jobs", str(count)]
                seconds, rss, _ = timed([*command, "--format", "json"], environment(db, url))
                figures.append(
                    Figure(size, kind, f"full-jobs{count}", seconds, items, rss, "peak of parent")
                )
        if worker:
            with sandbox(catalog) as url, database(kind, folder) as db:
                broker = f"{REDIS}/{1 + uuid.uuid4().int % 15}"
                seconds, rss = worker_sync(environment(db, url), broker)
                figures.append(Figure(size, kind, "worker", seconds, items, rss, "2 workers"))
    if peer and "postgresql" in databases:
        with sandbox(catalog) as url:
            try:
                seconds, rss, out = timed(
                    [sys.executable, __file__, "dlt", url, POSTGRES], dict(os.environ)
                )
                figures.append(
                    Figure(
                        size,
                        "postgresql",
                        "dlt",
                        seconds,
                        int(out.strip()),
                        rss,
                        "raw load, merge on id",
                    )
                )
            except RuntimeError as error:
                print(f"dlt peer skipped: {str(error)[:300]}", file=sys.stderr)
    return figures


def report(figures: list[Figure]) -> None:
    """The table: wall time, items/s, ratio to the raw fetch of that shape, peak RSS."""
    raw = {(f.size, f.shape): f.seconds for f in figures if f.mode == "raw"}
    for f in figures:
        raw.setdefault((f.size, f.shape), f.seconds)  # --only-offers: ratios to the first
    print(
        f"{'items':>7} {'shape':>5} {'db':>10} {'mode':>12} {'wall s':>8} {'items/s':>9} "
        f"{'x raw':>6} {'RSS MB':>7}  note"
    )
    for f in figures:
        rate = f.items / f.seconds if f.seconds else 0
        print(
            f"{f.size:>7} {f.shape:>5} {f.database:>10} {f.mode:>12} {f.seconds:>8.2f} "
            f"{rate:>9.0f} {f.seconds / raw[(f.size, f.shape)]:>6.2f} {f.peak_rss_mb:>7.1f}  "
            f"{f.note}"
        )


def main() -> None:
    """Parse arguments, run the modes, print and save the figures."""
    if len(sys.argv) > 1 and sys.argv[1] == "raw":
        raw_fetch(sys.argv[2])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "dlt":
        dlt_load(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument(
        "--shape",
        choices=["many", "few", "both"],
        default="both",
        help="many small products (50 items each), few large ones (1,000 each), or both",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        nargs="*",
        default=[],
        help="also a full sync with `sync --jobs N` for each N (its lines in N processes)",
    )
    parser.add_argument("--skip-worker", action="store_true")
    parser.add_argument("--skip-dlt", action="store_true")
    parser.add_argument(
        "--offers", action="store_true", help="also sync a catalog where every product has an offer"
    )
    parser.add_argument("--only-offers", action="store_true", help="only the offers modes")
    parser.add_argument(
        "--only-prices",
        action="store_true",
        help="only no-change runs of a catalog without and with prices, side by side",
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=ROOT / "bench" / "results" / "sync.json"
    )
    args = parser.parse_args()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            shapes = ["many", "few"] if args.shape == "both" else [args.shape]
            if args.only_prices:
                figures += bench_prices(size, args.databases, Path(folder))
                report(figures)
                continue
            for shape in [] if args.only_offers else shapes:
                figures += bench_size(
                    size,
                    args.databases,
                    Path(folder),
                    worker=not args.skip_worker,
                    peer=not args.skip_dlt,
                    shape=shape,
                    jobs=tuple(count for count in args.jobs if count > 1),
                )
            if args.offers or args.only_offers:
                figures += bench_offers(size, args.databases, Path(folder))
            report(figures)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(),
                "commit": subprocess.run(
                    ["git", "rev-parse", "--short", "HEAD"],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                    check=False,
                ).stdout.strip(),
                "machine": os.uname().nodename,
                "cores": os.cpu_count(),
                "figures": [asdict(f) for f in figures],
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
