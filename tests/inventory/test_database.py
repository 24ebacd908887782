"""Opening the inventory: URL validation, connection errors, defaults, SQLite settings, file modes, concurrency,
and a full disk."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from cspm_ai.errors import InventoryError
from cspm_ai.inventory import Inventory, default_database_url
from cspm_ai.inventory.database import (
    SERVER_HINT,
    SQLITE_FULL_HINT,
    SQLITE_HINT,
    SQLITE_PAGE_SIZE,
    URL_HINT,
    _json_default,
    is_disk_full,
    json_text,
    open_database,
)
from cspm_ai.model import CollectionResult

from .conftest import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    make_finding,
    make_resource,
    make_result,
)


def _assert_one_line_without_password(error: InventoryError) -> None:
    assert "\n" not in error.message and "\n" not in error.hint
    assert "hunter2" not in error.message and "hunter2" not in error.hint
    assert "hunter2" not in str(error)


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "",
        "postgresql://auditor:hunter2@db.example:notaport/inventory",
        "mysql://auditor:hunter2@db.example/inventory",
        "postgresql+nosuchdriver://auditor:hunter2@db.example/inventory",
    ],
)
def test_invalid_urls(url: str) -> None:
    with pytest.raises(InventoryError) as caught:
        open_database(url)
    assert caught.value.message.startswith("Invalid database URL '")
    assert caught.value.hint == URL_HINT
    _assert_one_line_without_password(caught.value)


def test_unreachable_server() -> None:
    with pytest.raises(InventoryError) as caught:
        open_database("postgresql://auditor:hunter2@127.0.0.1:1/inventory")
    message = caught.value.message
    assert message.startswith("Cannot open database postgresql+psycopg://auditor:***@127.0.0.1:1/inventory: ")
    assert "refused" in message.lower()
    assert caught.value.hint == SERVER_HINT
    _assert_one_line_without_password(caught.value)


@pytest.mark.postgres
def test_unknown_postgres_database(postgres_database: str) -> None:
    missing = f"cspm_missing_{secrets.token_hex(4)}"
    with pytest.raises(InventoryError) as caught:
        open_database(f"postgresql://{PG_USER}:hunter2@{PG_HOST}:{PG_PORT}/{missing}")
    assert f'database "{missing}" does not exist' in caught.value.message
    assert caught.value.hint == SERVER_HINT
    _assert_one_line_without_password(caught.value)


def test_unopenable_sqlite_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError) as caught:
        open_database(f"sqlite:///{(tmp_path / 'missing-dir' / 'inventory.db').as_posix()}")
    assert caught.value.message.startswith("Cannot open database sqlite:///")
    assert caught.value.hint == SQLITE_HINT
    _assert_one_line_without_password(caught.value)


@pytest.mark.postgres
def test_plain_postgresql_scheme_uses_psycopg_3(postgres_database: str) -> None:
    engine = open_database(f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{postgres_database}")
    try:
        assert engine.url.drivername == "postgresql+psycopg"
    finally:
        engine.dispose()


def test_default_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    data_dir = tmp_path / "data" / "cspm-ai"
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda appname: str(data_dir))
    url = default_database_url()
    assert url == f"sqlite:///{(data_dir / 'inventory.db').as_posix()}"
    assert data_dir.is_dir()
    with Inventory.open(None) as inventory:
        assert inventory.list_scans() == []
    assert (data_dir / "inventory.db").is_file()


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}")
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert connection.scalar(text("PRAGMA busy_timeout")) >= 10_000
            assert connection.scalar(text("PRAGMA page_size")) == SQLITE_PAGE_SIZE
    finally:
        engine.dispose()


def test_an_existing_sqlite_inventory_keeps_its_page_size(tmp_path: Path) -> None:
    path = tmp_path / "inventory.db"
    with sqlite3.connect(path) as made_elsewhere:
        made_elsewhere.execute("CREATE TABLE kept (x)")
    engine = open_database(f"sqlite:///{path.as_posix()}")
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("PRAGMA page_size")) == 4096  # SQLite's default, as it was made
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "value",
    [
        {"Name": "résumé-研究", "Tags": [{"Key": "k", "Value": None}], "n": 1.5, "ok": True},
        {"When": datetime(2026, 12, 4, 15, 0, tzinfo=UTC), "Day": datetime(2026, 12, 4).date()},
        {1: "int key", "nested": [[], {}, ["a\u2028b", "\x00"]]},
        [],
        "text",
    ],
)
def test_json_text_writes_what_json_dumps_writes(value: Any) -> None:
    assert json_text(value) == json.dumps(value, ensure_ascii=False, default=_json_default)


def test_deleting_a_scan_cascades(inventory: Inventory) -> None:
    scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0")
    inventory.finish_scan(scan.id, make_result(), [make_finding()], status="complete")
    with inventory.engine.begin() as connection:
        connection.execute(text("DELETE FROM scans WHERE id = :id"), {"id": scan.id})
        for table in ("resources", "relations", "findings", "collection_errors"):
            assert connection.scalar(text(f"SELECT count(*) FROM {table}")) == 0


def test_concurrent_writers_both_complete(database_url: str) -> None:
    """Two scans opening (and migrating) one fresh database and writing at the same time."""
    writers = 2
    barrier = threading.Barrier(writers)
    failures: list[BaseException] = []
    scan_ids: list[str] = []

    def scan(worker: int) -> None:
        try:
            barrier.wait(timeout=30)
            with Inventory.open(database_url) as inventory:
                started = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=worker)
                record = inventory.begin_scan(providers=["aws"], tool_version="0.1.0", started_at=started)
                shared = [make_resource(f"arn:aws:s3:::shared-{i}", "aws.s3.bucket") for i in range(1500)]
                own = [make_resource(f"arn:aws:s3:::worker{worker}-{i}", "aws.s3.bucket") for i in range(1500)]
                result = CollectionResult(resources=shared + own)
                inventory.finish_scan(record.id, result, [make_finding()], status="complete")
                scan_ids.append(record.id)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=scan, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert len(scan_ids) == writers

    with Inventory.open(database_url) as inventory:
        for scan_id in scan_ids:
            assert inventory.get_scan(scan_id).status == "complete"
            assert len(inventory.snapshot(scan_id).resources) == 3000
            assert len(inventory.findings(scan_id)) == 1


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_sqlite_inventory_and_its_wal_and_shm_are_private(tmp_path: Path, umask_022: None) -> None:
    with Inventory.open(f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}") as inventory:
        scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0")
        inventory.finish_scan(scan.id, make_result(), [make_finding()], status="complete")
        files = {p.name: _mode(p) for p in tmp_path.iterdir()}
    assert files == {"inventory.db": 0o600, "inventory.db-wal": 0o600, "inventory.db-shm": 0o600}


def test_the_default_data_directory_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    import platformdirs

    data_dir = tmp_path / "share" / "cspm-ai"
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda appname: str(data_dir))
    with Inventory.open(None) as inventory:
        inventory.begin_scan(providers=["aws"], tool_version="0.1.0")
    assert _mode(data_dir) == _mode(data_dir.parent) == 0o700
    assert _mode(data_dir / "inventory.db") == 0o600


def test_an_existing_inventory_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    url = f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}"
    open_database(url).dispose()
    (tmp_path / "inventory.db").chmod(0o640)  # the owner's choice, e.g. for a reporting group
    open_database(url).dispose()
    assert _mode(tmp_path / "inventory.db") == 0o640


def _fill_up_after(inventory: Inventory) -> None:
    """From now on every connection of `inventory` may not grow the database: SQLite's "database or disk is
    full" (SQLITE_FULL), as a full disk gives it, on the first write that needs a new page."""

    def cap(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
        finally:
            cursor.close()

    event.listen(inventory.engine, "checkout", cap)


def test_a_full_disk_when_storing_a_scan_is_an_inventory_error_and_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}"
    with Inventory.open(url) as inventory:
        earlier = inventory.begin_scan(providers=["aws"], tool_version="0.1.0")
        inventory.finish_scan(earlier.id, make_result(), [make_finding()], status="complete")
        scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0")
        _fill_up_after(inventory)
        big = CollectionResult(
            resources=[make_resource(f"arn:aws:s3:::bucket-{i}", "aws.s3.bucket") for i in range(500)]
        )
        with pytest.raises(InventoryError) as caught:
            inventory.finish_scan(scan.id, big, [make_finding()], status="complete")
    assert caught.value.message == f"Cannot write to the inventory {url}: database or disk is full"
    assert (
        caught.value.hint
        == f"{SQLITE_FULL_HINT} Scan {scan.id} stays marked incomplete; scan again once there is room."
    )
    assert caught.value.exit_code == 2
    with Inventory.open(url) as inventory:
        assert inventory.get_scan(scan.id).status == "incomplete"
        assert inventory.snapshot(scan.id).resources == []
        assert inventory.get_scan(earlier.id).status == "complete"
        assert len(inventory.snapshot(earlier.id).resources) == 2
        assert len(inventory.findings(earlier.id)) == 1


def test_a_full_disk_on_any_other_write_is_an_inventory_error(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}"
    with Inventory.open(url) as inventory:
        scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0")
        inventory.finish_scan(scan.id, make_result(), [make_finding()], status="complete")
        _fill_up_after(inventory)
        many = [make_finding(f"arn:aws:s3:::bucket-{i}", message="x" * 2000) for i in range(200)]
        with pytest.raises(InventoryError) as replacing:
            inventory.replace_findings(scan.id, many)
        with pytest.raises(InventoryError) as beginning:
            for _ in range(200):
                inventory.begin_scan(providers=["aws"], tool_version="0.1.0", options={"pad": "x" * 4000})
    assert replacing.value.hint.endswith(f"Scan {scan.id} keeps the findings it had.")
    assert beginning.value.hint.endswith("Nothing was stored.")
    with Inventory.open(url) as inventory:
        assert len(inventory.findings(scan.id)) == 1


def test_other_database_errors_are_not_taken_for_a_full_disk(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}"
    with Inventory.open(url) as inventory:
        with inventory.engine.begin() as connection:
            connection.execute(text("DROP TABLE findings"))
        scan = inventory.begin_scan(providers=["aws"], tool_version="0.1.0")
        with pytest.raises(OperationalError) as caught:
            inventory.finish_scan(scan.id, make_result(), [make_finding()], status="complete")
    assert not is_disk_full(caught.value)


@pytest.mark.parametrize(
    ("orig", "full"),
    [
        (type("DiskFull", (Exception,), {"sqlstate": "53100"})("could not extend file: No space left on device"), True),
        (type("TooManyConnections", (Exception,), {"sqlstate": "53300"})("too many clients"), False),
        (sqlite3.OperationalError("database is locked"), False),
    ],
)
def test_which_database_errors_mean_a_full_disk(orig: Exception, full: bool) -> None:
    assert is_disk_full(OperationalError("INSERT ...", {}, orig)) is full
