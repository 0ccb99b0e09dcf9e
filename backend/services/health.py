"""The database check behind /healthz: cheap, and bounded by the busy or connect timeout."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy.engine import make_url

from backend.extensions import db
from backend.services.db_errors import DATABASE_UNAVAILABLE, describe

# SQLite: fewer free pages than this before max_page_count, or less free disk than this, is "full".
MIN_FREE_PAGES = 8
MIN_FREE_BYTES = 4 * 1024 * 1024


def database_problem() -> str | None:
    """Return None when the database answers and can take a write, else locked/full/unreachable/..."""
    engine = db.engine
    # raw_connection() raises the driver's own errors (not wrapped by SQLAlchemy).
    failures = (*DATABASE_UNAVAILABLE, engine.dialect.loaded_dbapi.Error)
    try:
        # A raw pooled connection: no ORM transaction is begun around the probe, whatever BEGIN
        # handling the engine has, so the probe's own BEGIN IMMEDIATE is the only one.
        raw = engine.raw_connection()
    except failures as error:
        return describe(error)
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchone()
        cursor.close()
        if engine.dialect.name == "sqlite":
            return _sqlite_problem(raw.driver_connection)
        return None
    except engine.dialect.loaded_dbapi.Error as error:
        raw.invalidate()
        return describe(error)
    finally:
        raw.close()


def _sqlite_problem(raw) -> str | None:
    """Take the write lock and let it go (waits at most the busy timeout), then look for free space."""
    import sqlite3

    if raw.in_transaction:
        raw.rollback()
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("ROLLBACK")
        page_count = raw.execute("PRAGMA page_count").fetchone()[0]
        max_page_count = raw.execute("PRAGMA max_page_count").fetchone()[0]
        freelist = raw.execute("PRAGMA freelist_count").fetchone()[0]
    except sqlite3.OperationalError as error:
        return describe(error)
    if max_page_count - page_count + freelist < MIN_FREE_PAGES:
        return "full"
    database = make_url(str(db.engine.url)).database
    if database and database != ":memory:":
        free = shutil.disk_usage(Path(database).resolve().parent).free
        if free < MIN_FREE_BYTES:
            return "full"
    return None
