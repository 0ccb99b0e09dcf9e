"""Files only the service may read: the database, its -wal/-shm, backups and recovery codes.

The tests run under umask 022 (what a shell usually has, and what gave 0644 files before), so the
modes come from the app, not from a careful umask.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from backend.extensions import db
from backend.models import RecoveryCode
from backend.services import accounts
from tests.conftest import ROOT, make_app
from tests.support import make_user


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.sqlite_only
def test_database_wal_shm_and_instance_are_private(loose_umask, tmp_path):
    """A new SQLite database, its -wal and -shm are 0600; instance/ is 0700; an old 0644 file is narrowed."""
    app = make_app(tmp_path)
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        assert {p.name for p in tmp_path.glob("test.sqlite3*")} >= {"test.sqlite3", "test.sqlite3-wal"}
        for path in tmp_path.glob("test.sqlite3*"):
            assert mode(path) == 0o600, (path.name, oct(mode(path)))
        db.session.rollback()
    assert mode(Path(app.instance_path)) == 0o700

    with app.app_context():
        db.engine.dispose()
    for path in tmp_path.glob("test.sqlite3*"):
        path.chmod(0o644)
    make_app(tmp_path)  # the next start narrows what an older version left readable
    for path in tmp_path.glob("test.sqlite3*"):
        assert mode(path) == 0o600, (path.name, oct(mode(path)))


@pytest.mark.sqlite_only
def test_backup_and_the_copy_kept_before_a_restore_are_private(loose_umask, app, runner, tmp_path):
    """`flask backup` writes 0600, and restore keeps the replaced database as 0600 too."""
    target = tmp_path / "kopier" / "rusplan.sqlite3"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    assert mode(target) == 0o600
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    kept = list(tmp_path.glob("test.før-gjenoppretting-*.sqlite3"))
    assert len(kept) == 1 and mode(kept[0]) == 0o600, [(p, oct(mode(p))) for p in kept]


def test_the_service_runs_with_umask_0077():
    """The systemd unit makes every file the service creates private to its user."""
    unit = (ROOT / "deploy" / "rusplan.service").read_text(encoding="utf-8")
    assert "\nUMask=0077\n" in unit


def test_recovery_codes_are_stored_salted_and_slow(app):
    """Each code is argon2id with its own salt: equal codes give different hashes; a code works once."""
    _user_id, codes = make_user(app)
    with app.app_context():
        user = accounts.get_by_email("admin@skole.no")
        hashes = [row.code_hash for row in user.recovery_codes]
        assert all(value.startswith("$argon2id$") for value in hashes), hashes
        assert accounts._recovery_hash(codes[0]) != accounts._recovery_hash(codes[0])
        assert accounts.use_recovery_code(user, codes[0].upper().replace("-", " "), ip=None)
        assert not accounts.use_recovery_code(user, codes[0], ip=None)
        assert accounts.recovery_codes_left(user) == 9


def test_codes_stored_before_argon2_keep_working_after_the_migration(app):
    """A code kept as bare SHA-256 by the old version is wrapped in argon2id and still works."""
    user_id, _codes = make_user(app)
    with app.app_context():
        downgrade(revision="d7e2a9c4b1f0")  # the schema before: code_hash is the bare SHA-256
        old = accounts._recovery_digest("abcde-fghjk")
        db.session.execute(
            text("INSERT INTO recovery_code (user_id, code_hash) VALUES (:user, :hash)"),
            {"user": user_id, "hash": old},
        )
        db.session.commit()
        upgrade()
        user = accounts.get_user(user_id)
        stored = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
        assert stored and all(value.startswith("$argon2id$") for value in stored), stored
        assert old not in stored
        assert accounts.use_recovery_code(user, "ABCDE FGHJK", ip=None)
