"""Files only the service may read: instance/ 0700, the SQLite database (and its -wal, -shm) 0600.

The database holds password hashes, TOTP secrets and session tokens; a backup holds the same. SQLite
creates a new database file 0644 (less the umask) and gives -wal and -shm the mode of the database
file, so the database is created 0600 here before SQLite opens it, and an existing one is narrowed.
The systemd unit sets UMask=0077 as well (deploy/rusplan.service), for every other file.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> None:
    """Make a folder (and its parents) and let only its owner in."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    with contextlib.suppress(PermissionError):  # someone else's folder: leave it as it is
        path.chmod(PRIVATE_DIR)


def private_file(path: Path) -> None:
    """Create the file empty if it is missing, and let only its owner read or write it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def sqlite_path(url: str) -> Path | None:
    """Return the file of an SQLite URL, or None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def protect_database(url: str) -> None:
    """Create the SQLite file 0600 before SQLite does, and narrow an existing one and its -wal/-shm."""
    path = sqlite_path(url)
    if path is None or not path.parent.is_dir():
        return  # a missing folder is an unreachable database: SQLite says so on the first query
    with contextlib.suppress(OSError):  # read-only or not ours: the first write reports it
        private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            companion.chmod(PRIVATE_FILE)


def init_app(app: Flask) -> None:
    """Keep instance/ and the database private to the service's user."""
    private_dir(Path(app.instance_path))
    protect_database(app.config["SQLALCHEMY_DATABASE_URI"])
