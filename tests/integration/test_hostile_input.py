"""Hostile input, as a demanding user would serve it: every case ends as the README promises.

A Connect-style server of the tests' own serves over-long and control-laden values, listings
that move while they are read and answers that are not what the spec says; operator files and
settings are broken on purpose. Each case: the promised exit code, no traceback, a coded event
or one line naming the item, file or setting, every other product line written, nothing stored
lost, and SQLite and PostgreSQL ending with the same catalog.
"""

from __future__ import annotations

import gzip
import json
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT, plm_sync_cli
from tests.integration.conftest import postgres_schema
from tests.integration.hostile_connect import API_KEY, HostileConnect, item, product

pytestmark = pytest.mark.integration


@pytest.fixture
def connect() -> Iterator[HostileConnect]:
    server = HostileConnect().start()
    yield server
    server.stop()


def run(
    database_url: str, connect_url: str, *args: str, mappings: Path | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    settings = {
        "connect_url": connect_url,
        "connect_api_key": API_KEY,
        "database_url": database_url,
        "mappings": str(mappings or ROOT / "mappings"),
        "max_retry_wait": "20",
        "worker_ping_seconds": "0.2",
    }
    return plm_sync_cli(*args, settings=settings | extra, timeout=180)


def one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The command failed as promised: its exit code, one line, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("plm-sync: error:")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def report_of(result: subprocess.CompletedProcess[str], code: int) -> dict[str, Any]:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def events(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [event for event in report["events"] if event["code"] == code]


def catalog_of(database_url: str, connect_url: str) -> dict[str, Any]:
    result = run(database_url, connect_url, "catalog", "--format", "json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def good(product_id: str, skus: int = 2) -> list[dict[str, Any]]:
    return [
        item(f"{product_id}-{n:04d}", f"{product_id[-3:]}SKU{n}:0001_P1M:Monthly")
        for n in range(1, skus + 1)
    ]


ESCAPED_NAME = "Esc\x1b[31mRed\x1b]0;title\x07 Name\r\nnext\x00end\x9b (NCE COM)"


def hostile_catalog(connect: HostileConnect) -> None:
    connect.products = [product("PRD-100"), product("PRD-200"), product("PRD-300")]
    connect.items = {
        "PRD-100": good("PRD-100"),
        "PRD-200": [
            item("PRD-200-0001", "OK0001:0001_P1M:Monthly"),
            item("PRD-200-0002", "L" * 300 + ":0001_P1M:Monthly"),
            item("PRD-200-0003", "NAME0003:0001_P1M:Monthly", "N" * 1200),
            item("PRD-200-0004", "PERIOD04:0001_P1M:Monthly", period="p" * 40),
            item("I" * 70, "LONGID05:0001_P1M:Monthly"),
            item("PRD-200-0006", "NUL\x00006:0001_P1M:Monthly"),
            item("PRD-200-0007", "ESC0007:0001_P1M:Monthly", ESCAPED_NAME),
            item("PRD-200-0008", "SURR0008:0001_P1M:Monthly", "Sur\ud800rogate"),
            item("PRD-200-0009", "BIG0009:0001_P1Y:Monthly", commitment={"count": 10**12}),
            item("PRD-200-0010", "ESCID\x1b[2J:0001_P1M:Monthly"),
        ],
        "PRD-300": good("PRD-300"),
    }


def test_values_that_fit_no_column_are_item_errors_alike_on_both_databases(
    connect: HostileConnect, tmp_path: Path
) -> None:
    hostile_catalog(connect)
    catalogs = []
    with postgres_schema() as postgres:
        for database in (f"sqlite:///{tmp_path / 'plm.db'}", postgres):
            report = report_of(run(database, connect.url, "sync", "--full", "--format", "json"), 3)
            assert report["status"] == "succeeded_with_errors"
            invalid = {
                event["connect_item_id"]: event["message"]
                for event in events(report, "item_invalid")
            }
            assert "limit is 255" in invalid["PRD-200-0002"]
            assert "'name'" in invalid["PRD-200-0003"]
            assert "limit is 1000" in invalid["PRD-200-0003"]
            assert "'period'" in invalid["PRD-200-0004"]
            assert "limit is 32" in invalid["PRD-200-0004"]
            assert any("limit is 64" in message for message in invalid.values())
            assert "control character" in invalid["PRD-200-0006"]
            assert "commitment.count" in invalid["PRD-200-0009"]
            assert "control character" in invalid["PRD-200-0010"]
            cleaned = events(report, "text_cleaned")
            assert {event["connect_item_id"] for event in cleaned} == {
                "PRD-200-0007",
                "PRD-200-0008",
            }
            assert all(event["level"] == "info" for event in cleaned)
            stored = catalog_of(database, connect.url)
            lines = {line["connect_product_id"]: line for line in stored["product_lines"]}
            assert set(lines) == {"PRD-100", "PRD-200", "PRD-300"}
            names = {resource["name"] for resource in lines["PRD-200"]["resources"]}
            assert "Esc[31mRed]0;title Name nextend" in names
            assert "Surrogate" in names
            catalogs.append(stored)
            # a second run stores nothing new and loses nothing
            again = report_of(run(database, connect.url, "sync", "--full", "--format", "json"), 3)
            assert again["counts"]["created"] == again["counts"]["deactivated"] == 0
            assert catalog_of(database, connect.url) == stored
    assert catalogs[0] == catalogs[1]


def test_a_line_the_database_cannot_hold_fails_alone(
    connect: HostileConnect, tmp_path: Path
) -> None:
    # the item's name fits its column, the plan name built from it does not
    connect.products = [product("PRD-100"), product("PRD-400"), product("PRD-300")]
    connect.items = {
        "PRD-100": good("PRD-100"),
        "PRD-400": [item("PRD-400-0001", "WIDE0001:0001_P1M:Monthly", "X" * 995)],
        "PRD-300": good("PRD-300"),
    }
    with postgres_schema() as postgres:
        for database in (f"sqlite:///{tmp_path / 'plm.db'}", postgres):
            report = report_of(run(database, connect.url, "sync", "--full", "--format", "json"), 3)
            (failed,) = events(report, "line_write_failed")
            assert failed["connect_product_id"] == "PRD-400"
            assert "service_plans.name" in failed["message"]
            assert "limit is 1000" in failed["message"]
            assert "INSERT" not in report["message"] if report["message"] else True
            lines = {
                line["connect_product_id"]
                for line in catalog_of(database, connect.url)["product_lines"]
            }
            assert lines == {"PRD-100", "PRD-300"}


def test_control_characters_stored_before_never_break_a_workbook_or_report(
    connect: HostileConnect, tmp_path: Path
) -> None:
    hostile_catalog(connect)
    database = f"sqlite:///{tmp_path / 'plm.db'}"
    report_of(run(database, connect.url, "sync", "--full", "--format", "json"), 3)
    # names an older plm-sync stored as Connect sent them
    with sqlite3.connect(tmp_path / "plm.db") as raw:
        raw.execute("UPDATE service_plans SET name = name || ?", ("\x1b[2J\x00\x01\r",))
        raw.execute("UPDATE resources SET name = ?", ("=cmd|' /C calc'!A0\x1b\x0b",))
        raw.execute("UPDATE run_events SET message = message || ?", ("\x00\x1b\x07",))
    workbook = tmp_path / "out" / "PRD-200.xlsx"
    exported = run(database, connect.url, "ppr", "export", "PRD-200", "-o", str(workbook))
    assert exported.returncode == 0, exported.stderr
    for output in ("xlsx", "html"):
        written = tmp_path / "reports" / f"run.{output}"
        result = run(
            database, connect.url, "report", "latest", "--format", output, "-o", str(written)
        )
        assert result.returncode == 0, result.stderr
        assert written.stat().st_size > 0
    shown = run(database, connect.url, "catalog", "--product", "PRD-200")
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout
    assert "\\x1b" in shown.stdout  # shown, inert
    for command in (
        ("report", "latest"),
        ("runs",),
        ("explain", "--mpn", "A:1_P1M:Monthly", "--name", "N\x1b]0;x\x07"),
    ):
        printed = run(database, connect.url, *command)
        assert printed.returncode in {0, 3}, printed.stderr
        assert "\x1b" not in printed.stdout


def test_duplicate_yaml_keys_are_refused_naming_file_key_and_lines(
    connect: HostileConnect, tmp_path: Path
) -> None:
    hostile_catalog(connect)
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for source in (ROOT / "mappings").glob("*.yaml"):
        (mappings / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    plm = mappings / "plm.yaml"
    plm.write_text(
        plm.read_text(encoding="utf-8") + "\nbilling:\n  yearly: year\n", encoding="utf-8"
    )
    database = f"sqlite:///{tmp_path / 'plm.db'}"
    line = one_line_error(
        run(database, connect.url, "sync", "--full", mappings=mappings), 2, "plm.yaml", "billing"
    )
    assert "given twice (first on line" in line
    doctor = run(database, connect.url, "doctor", mappings=mappings)
    assert doctor.returncode == 2
    assert "Traceback" not in doctor.stderr
    assert not (tmp_path / "plm.db").exists() or "runs" not in doctor.stdout


def moving_catalog(connect: HostileConnect) -> None:
    connect.products = [product("PRD-500"), product("PRD-100")]
    connect.items = {
        "PRD-500": [item(f"PRD-500-{n:04d}", f"MOVE{n}:0001_P1M:Monthly") for n in range(1, 7)],
        "PRD-100": good("PRD-100"),
    }


def active_plans(database: str, connect_url: str, product_id: str) -> dict[str, bool]:
    for line in catalog_of(database, connect_url)["product_lines"]:
        if line["connect_product_id"] == product_id:
            return {plan["resource_mpn"]: plan["active"] for plan in line["service_plans"]}
    return {}


def test_a_listing_that_shrinks_while_read_deactivates_only_what_is_gone(
    connect: HostileConnect, database_url: str
) -> None:
    moving_catalog(connect)
    report_of(
        run(database_url, connect.url, "sync", "--full", "--format", "json", page_size="2"), 0
    )
    assert all(active_plans(database_url, connect.url, "PRD-500").values())
    items_path = "/public/v1/products/PRD-500/items"
    connect.pages_served.clear()

    def drop_first(server: HostileConnect, path: str, served: int) -> None:
        if path == items_path and served == 1:  # after the first page, MOVE1 goes
            with server.lock:
                server.items["PRD-500"].pop(0)

    connect.after_page = drop_first
    report = report_of(
        run(database_url, connect.url, "sync", "--full", "--format", "json", page_size="2"), 0
    )
    plans = active_plans(database_url, connect.url, "PRD-500")
    assert plans == {f"MOVE{n}:0001": n != 1 for n in range(1, 7)}  # MOVE3 shifted, kept
    assert report["retries"] >= 1


def test_a_listing_that_never_holds_still_leaves_the_line_as_it_was(
    connect: HostileConnect, database_url: str
) -> None:
    moving_catalog(connect)
    report_of(
        run(database_url, connect.url, "sync", "--full", "--format", "json", page_size="2"), 0
    )
    before = catalog_of(database_url, connect.url)
    items_path = "/public/v1/products/PRD-500/items"

    def grow(server: HostileConnect, path: str, served: int) -> None:
        if path == items_path:  # an item comes and one goes after every page
            with server.lock:
                rows = server.items["PRD-500"]
                rows.append(
                    item(f"PRD-500-{served + 100:04d}", f"MOVE{served + 100}:0001_P1M:Monthly")
                )

    connect.after_page = grow
    report = report_of(
        run(
            database_url,
            connect.url,
            "sync",
            "--full",
            "--format",
            "json",
            page_size="2",
            max_attempts="3",
        ),
        3,
    )
    (failed,) = events(report, "product_fetch_failed")
    assert failed["connect_product_id"] == "PRD-500"
    assert "changed while it was read" in failed["message"]
    assert catalog_of(database_url, connect.url) == before


def test_an_item_id_served_twice_is_a_warning_and_taken_once(
    connect: HostileConnect, database_url: str
) -> None:
    connect.products = [product("PRD-600")]
    rows = good("PRD-600", 3)
    connect.items = {"PRD-600": [rows[0], rows[1], rows[1], rows[2]]}
    report = report_of(run(database_url, connect.url, "sync", "--full", "--format", "json"), 0)
    (twice,) = events(report, "listing_duplicate")
    assert twice["connect_item_id"] == "PRD-600-0002"
    assert len(active_plans(database_url, connect.url, "PRD-600")) == 3


def test_a_gzip_bomb_is_refused_not_unpacked(connect: HostileConnect, tmp_path: Path) -> None:
    connect.products = [product("PRD-100"), product("PRD-700")]
    connect.items = {"PRD-100": good("PRD-100"), "PRD-700": good("PRD-700")}
    bomb = gzip.compress(b"[" + b" " * (80 * 1024 * 1024) + b"]", compresslevel=9)
    assert len(bomb) < 200_000
    connect.raw["/public/v1/products/PRD-700/items"] = (
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        bomb,
    )
    database = f"sqlite:///{tmp_path / 'plm.db'}"
    report = report_of(run(database, connect.url, "sync", "--full", "--format", "json"), 3)
    (failed,) = events(report, "product_fetch_failed")
    assert failed["connect_product_id"] == "PRD-700"
    assert "MiB" in failed["message"]
    assert active_plans(database, connect.url, "PRD-100")


def test_expected_errors_are_one_line_with_exit_2(connect: HostileConnect, tmp_path: Path) -> None:
    hostile_catalog(connect)
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    database = f"sqlite:///{tmp_path / 'plm.db'}"
    (mappings / "plm.yaml").write_bytes(b"billing:\n  monthly: \xff\xfe month\n")
    one_line_error(run(database, connect.url, "sync", mappings=mappings), 2, "plm.yaml", "UTF-8")
    (mappings / "plm.yaml").write_text("a: " + "[" * 20000 + "]" * 20000 + "\n", encoding="utf-8")
    one_line_error(run(database, connect.url, "sync", mappings=mappings), 2, "plm.yaml", "nest")
    (mappings / "plm.yaml").unlink()
    (mappings / "addons.yaml").write_text("addons:\n  - addon: 7\n", encoding="utf-8")
    doctor = run(database, connect.url, "doctor", "--format", "json", mappings=mappings)
    assert doctor.returncode == 2, doctor.stderr
    checks = {check["name"]: check for check in json.loads(doctor.stdout)["checks"]}
    assert checks["rules: addons.yaml"]["outcome"] == "fail"

    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("these are my notes, not a database\n" * 200, encoding="utf-8")
    for command in (("sync", "--full"), ("runs",), ("catalog",)):
        one_line_error(
            run(f"sqlite:///{not_sqlite}", connect.url, *command), 2, "notes.db", "not a SQLite"
        )
    doctor = run(f"sqlite:///{not_sqlite}", connect.url, "doctor")
    assert doctor.returncode == 2
    assert "Traceback" not in doctor.stderr
    assert "not a SQLite database" in doctor.stdout

    one_line_error(
        run(f"sqlite:///{tmp_path / 'missing' / 'plm.db'}", connect.url, "sync", "--full"),
        2,
        "missing",
        "does not exist",
    )
    report_of(run(database, connect.url, "sync", "--full", "--format", "json"), 3)
    read_only = f"sqlite:///file:{tmp_path / 'plm.db'}?mode=ro&uri=true"
    one_line_error(run(read_only, connect.url, "sync", "--full"), 2, "read-only")

    for value in ("0", "-5", "nan"):
        one_line_error(
            run(database, connect.url, "sync", read_timeout=value), 2, "PLM_SYNC_READ_TIMEOUT"
        )
        doctor = run(database, connect.url, "doctor", read_timeout=value)
        assert doctor.returncode == 2
        assert "PLM_SYNC_READ_TIMEOUT" in doctor.stdout


def test_doctor_never_prints_a_password_in_the_connect_url(tmp_path: Path) -> None:
    url = "http://operator:hunter2-secret@127.0.0.1:9/public/v1"
    doctor = run(f"sqlite:///{tmp_path / 'plm.db'}", url, "doctor", "--format", "json")
    assert doctor.returncode == 2
    assert "hunter2-secret" not in doctor.stdout + doctor.stderr
    assert "operator:***@" in doctor.stdout


def test_a_slow_connect_names_the_read_timeout(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:  # accepts and never answers
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/public/v1"
        result = run(
            f"sqlite:///{tmp_path / 'plm.db'}",
            url,
            "sync",
            "--full",
            read_timeout="0.5",
            max_attempts="1",
        )
        line = one_line_error(result, 1, "PLM_SYNC_READ_TIMEOUT")
        assert "did not answer" in line
    finally:
        listener.close()
        for connection in held:
            connection.close()


def test_a_workbook_of_many_bad_rows_gives_a_short_error(
    connect: HostileConnect, tmp_path: Path
) -> None:
    connect.products = [product("PRD-100")]
    connect.items = {"PRD-100": good("PRD-100")}
    database = f"sqlite:///{tmp_path / 'plm.db'}"
    report_of(run(database, connect.url, "sync", "--full", "--format", "json"), 0)
    workbook = tmp_path / "PRD-100.xlsx"
    assert (
        run(database, connect.url, "ppr", "export", "PRD-100", "-o", str(workbook)).returncode == 0
    )
    book = load_workbook(workbook)
    sheet = book["ResourceRates"]
    template = [cell.value for cell in sheet[2]]
    header = [cell.value for cell in sheet[1]]
    low = header.index("MinUnits")
    for number in range(50_000):
        row = list(template)
        row[low] = f"many {number}"
        sheet.append(row)
    book.save(workbook)
    result = run(database, connect.url, "ppr", "import", str(workbook), "--dry-run")
    line = one_line_error(result, 2, "more problem(s)")
    assert len(line) < 10_000
