"""Opens the inventory database from a URL and brings its schema to the latest migration."""

from __future__ import annotations

import atexit
import json
import re
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from cspm_ai.errors import InventoryError
from cspm_ai.files import create_private_file, private_directory
from cspm_ai.inventory.schema import Base

if TYPE_CHECKING:
    from alembic.config import Config

URL_HINT = "Use e.g. sqlite:///path/inventory.db or postgresql+psycopg://user@host/db"
SERVER_HINT = "Check that the database server is running and that the URL's host, port, user and database are right."
SQLITE_HINT = "Check that the directory exists and that the file is a writable SQLite database."
SQLITE_FULL_HINT = "Free some space on the disk that holds the database file, or pass --db with another database."
SERVER_FULL_HINT = "Free some space on the database server's disk (or raise its quota), then run the command again."

# How long a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 60_000
POSTGRES_CONNECT_TIMEOUT_S = 10
SQLITE_PAGE_SIZE = 16_384
# Serialises concurrent first-time migrations of one PostgreSQL database.
_MIGRATION_LOCK_ID = 0x637370_6D6169  # "cspmai"
# Execution option read by the SQLite "begin" hook; see `for_writing`.
_SQLITE_BEGIN = "cspm_sqlite_begin"
# Alembic keeps the running migration in module globals: one command per process at a time.
_ALEMBIC_LOCK = threading.Lock()
# PostgreSQL's SQLSTATE for disk_full ("could not extend file ...: No space left on device").
_PG_DISK_FULL = "53100"
# Every engine this process opened, closed at exit even when the interpreter's teardown is skipped
# (`cspm_ai.cli.run`): a SQLite database then folds its write-ahead log back in and leaves no -wal or -shm
# file beside it, and a PostgreSQL server sees its connections closed rather than dropped.
_OPEN_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


@atexit.register
def _close_open_engines() -> None:
    for engine in list(_OPEN_ENGINES):
        engine.dispose()


def default_database_url() -> str:
    """The SQLite file `inventory.db` in the user's data directory (created 0700 if missing)."""
    import platformdirs

    directory = private_directory(Path(platformdirs.user_data_dir("cspm-ai")))
    return f"sqlite:///{(directory / 'inventory.db').as_posix()}"


def open_database(url: str | None = None) -> Engine:
    """Validate `url`, connect, and bring the schema to the latest migration in place; `None` means the default file."""
    raw = url if url is not None else default_database_url()
    parsed = _parse_url(raw)
    shown = parsed.render_as_string(hide_password=True)
    try:
        engine = _create_engine(parsed)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise InventoryError(
            f"Invalid database URL '{shown}': {_one_line(exc, parsed.password)}", hint=URL_HINT
        ) from exc
    try:
        upgrade_database(engine)
    except DBAPIError as exc:
        engine.dispose()
        sqlite = parsed.get_backend_name() == "sqlite"
        if is_disk_full(exc):
            hint = SQLITE_FULL_HINT if sqlite else SERVER_FULL_HINT
        else:
            hint = SQLITE_HINT if sqlite else SERVER_HINT
        reason = _one_line(exc.orig if exc.orig is not None else exc, parsed.password)
        raise InventoryError(f"Cannot open database {shown}: {reason}", hint=hint) from exc
    except (SQLAlchemyError, MigrationRefused) as exc:
        engine.dispose()
        raise InventoryError(
            f"Cannot migrate database {shown}: {_one_line(exc, parsed.password)}",
            hint="The database may have been written by a newer cspm-ai; upgrade cspm-ai or use another --db.",
        ) from exc
    except BaseException:
        engine.dispose()
        raise
    _OPEN_ENGINES.add(engine)
    return engine


def is_disk_full(exc: BaseException) -> bool:
    """True when the database could not write because its disk (or quota, or size limit) is full."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    if getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return True
    return getattr(orig, "sqlstate", None) == _PG_DISK_FULL


@contextmanager
def disk_full_is_an_inventory_error(engine: Engine, after: str = "") -> Iterator[None]:
    """A write that finds the database's disk full becomes an InventoryError with a hint.

    The failed transaction is rolled back, so everything committed before it stays as it was;
    `after` says what that means for the command (a scan left incomplete, say).
    """
    try:
        yield
    except DBAPIError as exc:
        if not is_disk_full(exc):
            raise
        url = engine.url
        reason = _one_line(exc.orig if exc.orig is not None else exc, url.password)
        hint = SQLITE_FULL_HINT if url.get_backend_name() == "sqlite" else SERVER_FULL_HINT
        raise InventoryError(
            f"Cannot write to the inventory {url.render_as_string(hide_password=True)}: {reason}",
            hint=f"{hint} {after}".strip(),
        ) from exc


def for_writing(engine: Engine) -> Engine:
    """The same engine (and pool), but SQLite transactions take the write lock when they begin.

    A transaction that reads and then writes would otherwise fail at once with
    "database is locked" when another connection wrote in between; taking the
    lock up front makes concurrent scans queue on the busy timeout instead.
    """
    return engine.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})


# The latest migration. A database stamped with it is opened without loading Alembic, and an empty database
# is given the declared schema and this stamp at once (tests/inventory/test_migrations.py proves that both
# are what running every migration gives, on SQLite and PostgreSQL).
SCHEMA_HEAD = "0006"

# Alembic's own version table, as `alembic upgrade` creates it.
_VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


class MigrationRefused(Exception):
    """Alembic cannot migrate the database (stamped by a newer cspm-ai, say)."""


def upgrade_database(engine: Engine) -> None:
    """Bring `engine`'s schema to the latest migration in one transaction, keeping existing data.

    A database already at head is only read, so opening it never waits for a running scan. An empty
    database is given the declared schema, stamped at head; any other runs `alembic upgrade head`.
    """
    with engine.connect() as connection:
        if stamped_revisions(connection) == {SCHEMA_HEAD}:
            return
    with _ALEMBIC_LOCK, for_writing(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
        if not inspect(connection).get_table_names():
            Base.metadata.create_all(connection)
            _VERSION_TABLE.create(connection)
            connection.execute(_VERSION_TABLE.insert().values(version_num=SCHEMA_HEAD))
            return
        _alembic_upgrade(connection)


def stamped_revisions(connection: Connection) -> set[str] | None:
    """The revisions the database is stamped with; None when it has no version table."""
    if not inspect(connection).has_table(_VERSION_TABLE.name):
        return None
    return {str(row[0]) for row in connection.execute(select(_VERSION_TABLE.c.version_num))}


def _alembic_upgrade(connection: Connection) -> None:
    from alembic import command
    from alembic.util import CommandError

    with migration_config(connection) as config:
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            raise MigrationRefused(str(exc)) from exc


@contextmanager
def migration_config(connection: Connection | None = None) -> Iterator[Config]:
    """An Alembic `Config` for the migrations shipped in this package; no alembic.ini needed.

    Alembic's env.py runs its migrations on `connection` (within its transaction).
    """
    from alembic.config import Config

    with as_file(files("cspm_ai").joinpath("migrations")) as location:
        config = Config()
        config.set_main_option("script_location", str(location))
        config.set_main_option("path_separator", "os")
        # New revisions get date-prefixed file names, e.g. 2026_11_21_0002_add_x.py.
        config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
        if connection is not None:
            config.attributes["connection"] = connection
        yield config


def _parse_url(raw: str) -> URL:
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise InventoryError(
            f"Invalid database URL '{_mask_password(raw)}': expected dialect+driver://user:password@host/database",
            hint=URL_HINT,
        ) from exc
    except ValueError as exc:  # make_url's only ValueError: a port that is not a number
        raise InventoryError(
            f"Invalid database URL '{_mask_password(raw)}': the port is not a number", hint=URL_HINT
        ) from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres") and parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("sqlite", "postgresql"):
        raise InventoryError(
            f"Invalid database URL '{parsed.render_as_string(hide_password=True)}': "
            f"unsupported database '{backend}' (cspm-ai supports SQLite and PostgreSQL)",
            hint=URL_HINT,
        )
    return parsed


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        _create_sqlite_file(url)
        engine = create_engine(url, json_serializer=json_text)
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if url.get_driver_name() == "psycopg" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, json_serializer=json_text)


def _create_sqlite_file(url: URL) -> None:
    """Create a new database file 0600 before SQLite does (it would make it 0644): its -wal and -shm
    files take the mode of the database file, so all three are private. An existing file is left as is."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or url.query.get("uri"):
        return
    try:
        create_private_file(Path(database))
    except OSError:
        pass  # a missing directory or no permission: SQLite's own error says which, when it connects


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the sqlite3 module, decides when transactions begin
        # (the module's legacy mode would leave DDL and reads outside them).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            # A new database's pages: 16 KiB rather than 4 KiB, a quarter of the reads and writes for a scan's
            # documents (an existing database keeps the size it has).
            cursor.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")
            # Readers never block the writer; an in-memory database stays "memory".
            cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def json_text(value: Any) -> str:
    return _JSON_ENCODER.encode(value)


def _json_default(value: Any) -> str:
    # SDK responses carry timestamps as datetime objects; store them as ISO 8601 text.
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} value {value!r} cannot be stored as JSON")


# What json.dumps(value, ensure_ascii=False, default=_json_default) writes, without building an encoder for
# each of a scan's tens of thousands of JSON values. Unescaped unicode keeps stored documents greppable with
# plain SQL (LIKE '%é%').
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_default)


def _one_line(exc: BaseException, password: str | None) -> str:
    text = " ".join(part.strip() for part in str(exc).splitlines() if part.strip())
    text = re.sub(r"\s+", " ", text) or type(exc).__name__
    if password:
        text = text.replace(password, "***")
    return text


def _mask_password(raw: str) -> str:
    """Hide the password of a URL that could not be parsed (so `hide_password` is unavailable)."""
    return re.sub(r"(://[^:/@]*:).*@", r"\1***@", raw)
