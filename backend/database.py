"""The database: engine setup for SQLite and PostgreSQL, and safe concurrent writes on both.

Setup (configure, before Flask-SQLAlchemy builds the engine): the URL, pool and timeouts. SQLite (one
school, one server): WAL so readers never wait for a writer, a busy timeout so a writer waits a
bounded time for another, and foreign keys enforced. PostgreSQL (a county, several app servers):
psycopg 3, a pre-ping so a connection the server dropped is replaced, and a pool, connect and
statement timeout, so a request that needs a missing database fails within a known time.

Writes (init_app, write_transaction, begin_write): SQLAlchemy's documented recipe for pysqlite
("Serializable isolation / Savepoints / Transactional DDL"): pysqlite's own BEGIN handling is switched
off on connect and the "begin" event emits the BEGIN itself. A transaction that reads and then writes
asks for BEGIN IMMEDIATE (see write_transaction), so it holds the write lock from its first read: a
second writer waits for the busy timeout instead of working from a stale read, and no edit is lost.

On PostgreSQL the same transactions take a transaction-level advisory lock first
(pg_advisory_xact_lock): writers take turns as on SQLite, and a read-then-write (a draft edit,
a publish) can never work from a read another writer has since changed. The lock is released at
COMMIT or ROLLBACK, also when a connection dies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from backend.extensions import db

IMMEDIATE = "sqlite_begin_immediate"
# Any fixed 64-bit key: the one advisory lock all of Rusplan's writers take on PostgreSQL.
WRITE_LOCK_KEY = 0x5275_7370_6C61_6E  # "Rusplan"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
POSTGRES_SCHEMES = ("postgres://", "postgresql://")


# ---------------------------------------------------------------- setup


def normalise_database_url(url: str) -> str:
    """Return the URL with the psycopg 3 driver named; Heroku-style postgres:// URLs are accepted."""
    for scheme in POSTGRES_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def is_sqlite(url: str) -> bool:
    """Whether the URL points at an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """Return create_engine options for the configured database, merged over any set explicitly."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    # SQL parameters never reach a log line or an error message: they may hold names or emails.
    options: dict[str, Any] = {"hide_parameters": True}
    if is_sqlite(url):
        # sqlite3's own timeout is the busy timeout, in seconds; the PRAGMA below says the same.
        options["connect_args"] = {"timeout": float(config["DB_BUSY_TIMEOUT"])}
    else:
        statement_ms = int(float(config["DB_STATEMENT_TIMEOUT"]) * 1000)
        options.update(
            pool_pre_ping=True,
            pool_size=int(config["DB_POOL_SIZE"]),
            max_overflow=int(config["DB_MAX_OVERFLOW"]),
            pool_timeout=float(config["DB_POOL_TIMEOUT"]),
            pool_recycle=int(config["DB_POOL_RECYCLE"]),
            connect_args={
                "connect_timeout": max(1, round(float(config["DB_CONNECT_TIMEOUT"]))),
                "options": f"-c statement_timeout={statement_ms}",
                "application_name": "rusplan",
            },
        )
    return {**options, **config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}


def configure(app: Flask) -> None:
    """Fill in the URL and engine options before Flask-SQLAlchemy builds the engine."""
    url = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)


# ---------------------------------------------------------------- writes


def init_app(app: Flask) -> None:
    """Install the pragmas and the BEGIN recipe on the app's SQLite engine."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        install_postgres(engine)
    elif engine.dialect.name == "sqlite":
        install(engine, int(float(app.config["DB_BUSY_TIMEOUT"]) * 1000))
    else:
        return

    @app.before_request
    def _writes_take_the_lock_first() -> None:
        """Start every unsafe request (POST, ...) with BEGIN IMMEDIATE.

        In WAL mode a deferred transaction that has read cannot start writing once another
        connection (another request, the push sender) has committed: SQLite answers "database is
        locked" at once, whatever the busy timeout. A request that may write therefore takes the
        write lock before its first read and waits its turn instead. GET requests only read.
        """
        if request.method not in SAFE_METHODS:
            db.session.connection(execution_options={IMMEDIATE: True})


def install(engine: Engine, busy_ms: int) -> None:
    """Attach the connect and begin listeners to an SQLite engine."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Stop pysqlite from emitting BEGIN itself (and COMMIT before DDL); we emit it below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms:d}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if connection.get_execution_options().get(IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def install_postgres(engine: Engine) -> None:
    """Make a write transaction on PostgreSQL start by taking Rusplan's advisory write lock."""

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if connection.get_execution_options().get(IMMEDIATE):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY:d})")


def begin_write() -> None:
    """Start the session's next transaction with BEGIN IMMEDIATE (after committing what is open).

    For code that commits itself, such as the push sender's claim and result batches: its reads and
    the writes that follow them happen under the write lock, never on a stale WAL snapshot.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={IMMEDIATE: True})


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run a block that reads and then writes in one BEGIN IMMEDIATE transaction, and commit it.

    Whatever the session did before is committed first, so the block starts with fresh reads.
    On an exception everything in the block is rolled back.
    """
    session = db.session()  # the scoped session's current Session
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={IMMEDIATE: True})
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
