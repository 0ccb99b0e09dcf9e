"""Database engine setup: the URL, pool and timeouts for SQLite and PostgreSQL.

SQLite (one school, one server): WAL so readers never wait for a writer, a busy timeout so a writer
waits a bounded time for another, and foreign keys enforced. PostgreSQL (a county, several app
servers): psycopg 3, a pre-ping so a connection the server dropped is replaced, and a pool, connect
and statement timeout, so a request that needs a missing database fails within a known time.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.engine import make_url

POSTGRES_SCHEMES = ("postgres://", "postgresql://")


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
