"""Rate-limit counters shared by every gunicorn worker, with no extra service to run.

Flask-Limiter's memory:// storage counts in each worker process, so with `make run`'s two workers a
documented «10 per minute» was 20. By default (RATELIMIT_STORAGE_URI empty) the counters live in a
table, `rate_limit`, through SQLAlchemy:

- PostgreSQL: in the app's own database, on its engine (a pooled connection of its own, never the
  request's transaction, so the advisory write lock is not involved). Every app server shares them.
- SQLite: in a file of its own beside the database (`<database>-rate-limits.sqlite3`, 0600). A
  counter is written while the request's own transaction may hold the database's write lock
  (POSTs start with BEGIN IMMEDIATE), so counting in the same file would wait for itself.

Each hit is one atomic UPSERT (… ON CONFLICT DO UPDATE … RETURNING), the same fixed-window rules as
memory://. Keys are an HMAC of Flask-Limiter's key under SECRET_KEY: the client's address never
reaches the disk. Set RATELIMIT_STORAGE_URI (memory://, redis://…) to use another storage.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import db
from backend.file_modes import private_file, sqlite_path
from backend.models import RateLimitCounter

SCHEME = "rusplan-db"
TABLE = RateLimitCounter.__table__
# Expired counters are deleted now and then (on about one hit in this many), not on every hit.
CLEANUP_EVERY = 200
ENGINES = "rusplan.rate_limit_engines"  # app.extensions: the side-file engines, to close them


class DatabaseStorage(Storage):
    """A limits storage on an SQLAlchemy engine (PostgreSQL or SQLite): fixed windows, atomic counts."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        *,
        engine: Callable[[], Engine],
        secret: str,
        create_table: bool = False,
        **options,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._engine_factory = engine
        self._engine: Engine | None = None
        self._secret = secret.encode("utf-8")
        self._create_table = create_table
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _bind(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = self._engine_factory()
                    if self._create_table:
                        TABLE.create(engine, checkfirst=True)
                    self._engine = engine
        return self._engine

    def _key(self, key: str) -> str:
        return hmac.new(self._secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count `amount` hits in the key's window (a new window when the last one has ended)."""
        engine = self._bind()
        now = time.time()
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        ended = TABLE.c.expires_at <= now
        statement = (
            dialect.insert(TABLE)
            .values(key=self._key(key), hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[TABLE.c.key],
                set_={
                    "hits": sa.case((ended, amount), else_=TABLE.c.hits + amount),
                    "expires_at": sa.case((ended, now + expiry), else_=TABLE.c.expires_at),
                },
            )
            .returning(TABLE.c.hits)
        )
        with engine.begin() as connection:
            hits = connection.execute(statement).scalar_one()
            if random.randrange(CLEANUP_EVERY) == 0:  # timing, not security
                connection.execute(sa.delete(TABLE).where(TABLE.c.expires_at < now - 60))
        return int(hits)

    def _row(self, key: str):
        with self._bind().connect() as connection:
            return connection.execute(
                sa.select(TABLE.c.hits, TABLE.c.expires_at).where(
                    TABLE.c.key == self._key(key), TABLE.c.expires_at > time.time()
                )
            ).first()

    def get(self, key: str) -> int:
        """Return the hits in the key's current window (0 when it has none)."""
        row = self._row(key)
        return int(row.hits) if row is not None else 0

    def get_expiry(self, key: str) -> float:
        """Return when the key's window ends (now when it has none)."""
        row = self._row(key)
        return float(row.expires_at) if row is not None else time.time()

    def check(self) -> bool:
        """Tell whether the counters can be reached."""
        try:
            with self._bind().connect() as connection:
                connection.execute(sa.select(sa.literal(1)))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter."""
        with self._bind().begin() as connection:
            return connection.execute(sa.delete(TABLE)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        with self._bind().begin() as connection:
            connection.execute(sa.delete(TABLE).where(TABLE.c.key == self._key(key)))


def side_file(database: Path) -> Path:
    """Return the SQLite file that holds the counters of an SQLite database."""
    return database.with_name(f"{database.stem}-rate-limits.sqlite3")


def _sqlite_engine(path: Path, busy_timeout: float, made: list[Engine]) -> Callable[[], Engine]:
    def build() -> Engine:
        private_file(path)  # counters are keyed by address: private like the database
        engine = sa.create_engine(
            f"sqlite:///{path}", connect_args={"timeout": busy_timeout}, hide_parameters=True
        )
        made.append(engine)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000):d}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        return engine

    return build


def configure(app: Flask) -> None:
    """Point Flask-Limiter at the shared counters unless RATELIMIT_STORAGE_URI names a storage."""
    if app.config.get("RATELIMIT_STORAGE_URI"):
        return
    path = sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    secret = str(app.config["SECRET_KEY"])
    if path is not None:
        made = app.extensions.setdefault(ENGINES, [])
        options = {
            "engine": _sqlite_engine(side_file(path), float(app.config["DB_BUSY_TIMEOUT"]), made),
            "create_table": True,
        }
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["RATELIMIT_STORAGE_URI"] = "memory://"  # an in-memory database: one process anyway
        return
    else:

        def app_engine() -> Engine:
            with app.app_context():
                return db.engine

        options = {"engine": app_engine}
    app.config["RATELIMIT_STORAGE_URI"] = f"{SCHEME}://"
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {**options, "secret": secret}


def dispose(app: Flask) -> None:
    """Close the connections of the app's own counter engines (the SQLite side file)."""
    for engine in app.extensions.get(ENGINES, []):
        engine.dispose()
