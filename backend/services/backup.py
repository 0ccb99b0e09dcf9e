"""Backups of an SQLite database with SQLite's online backup API, and restoring one.

The backup API copies a consistent snapshot while the app keeps writing (WAL lets writers go on while the
copy reads). A restore is checked (PRAGMA integrity_check, the plan's table present) before anything is
touched, keeps a copy of the database it replaces, and copies in through the same API, so the live file
is replaced under SQLite's own locks and the running app sees the restored content.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from backend.file_modes import private_file

REQUIRED_TABLES = ("plan_revision", "alembic_version")


class BackupError(Exception):
    """A backup could not be made, or a file is not a usable backup; the message is for the user."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds."""

    path: Path
    size: int
    revisions: int
    newest_revision: int | None


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    return connection


def integrity(connection: sqlite3.Connection) -> str:
    """Return "ok", or what PRAGMA integrity_check found."""
    rows = connection.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(row[0]) for row in rows[:5])


def inspect(path: Path) -> BackupInfo:
    """Check that a file is a sound Rusplan database; raise BackupError saying why not."""
    if not path.is_file():
        raise BackupError(f"{path} finnes ikke.")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} er ikke en SQLite-database.")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = integrity(connection)
            if found != "ok":
                raise BackupError(f"{path} er skadet (integrity_check: {found}).")
            tables = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            missing = [t for t in REQUIRED_TABLES if t not in tables]
            if missing:
                raise BackupError(f"{path} er ikke en Rusplan-database (mangler {', '.join(missing)}).")
            count, newest = connection.execute("SELECT count(*), max(id) FROM plan_revision").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} er skadet eller ikke en gyldig database ({error}).") from error
    return BackupInfo(path, path.stat().st_size, count, newest)


def backup(source: Path, target: Path, *, busy_timeout: float = 5.0) -> BackupInfo:
    """Copy the live database to target as one self-contained file; checked before it is put in place."""
    if not source.is_file():
        raise BackupError(f"Databasen {source} finnes ikke.")
    target = target.resolve()
    if target == source.resolve():
        raise BackupError("Sikkerhetskopien kan ikke skrives over selve databasen.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.unlink(missing_ok=True)
    private_file(partial)  # a backup holds password hashes and TOTP secrets: 0600 from the start
    live = _connect(source, busy_timeout)
    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        live.backup(copy)  # every page in one step: one consistent snapshot
        copy.execute("PRAGMA journal_mode = DELETE")  # a single file, no -wal beside it
        found = integrity(copy)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Sikkerhetskopien feilet: {error}") from error
    finally:
        copy.close()
        live.close()
    if found != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"Kopien besto ikke integrity_check: {found}")
    os.replace(partial, target)
    return inspect(target)


def restore(source: Path, live: Path, *, busy_timeout: float = 5.0) -> Path | None:
    """Replace the live database's content with a checked backup; return where the old one was kept."""
    inspect(source)
    kept = None
    if live.is_file():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = backup(live, live.with_name(f"{live.stem}.før-gjenoppretting-{stamp}{live.suffix}"))
    live.parent.mkdir(parents=True, exist_ok=True)
    private_file(live)
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = _connect(live, busy_timeout)
    try:
        backup_file.backup(target)
        target.execute("PRAGMA journal_mode = WAL")
        found = integrity(target)
    except sqlite3.Error as error:
        raise BackupError(
            f"Gjenopprettingen feilet: {error}. Den gamle databasen ligger i {kept}."
        ) from error
    finally:
        target.close()
        backup_file.close()
    if found != "ok":
        raise BackupError(f"Databasen besto ikke integrity_check etter gjenoppretting: {found}")
    return kept.path if kept else None
