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
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            if connection.dialect.name == "sqlite":
                return _sqlite_problem(connection.connection.driver_connection)
    except DATABASE_UNAVAILABLE as error:
        return describe(error)
    return None


def _sqlite_problem(raw) -> str | None:
    """Take the write lock and let it go (waits at most the busy timeout), then look for free space."""
    import sqlite3

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
