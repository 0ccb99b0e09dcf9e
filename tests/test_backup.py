"""`flask backup PATH` copies the database while revisions are being written; `flask restore PATH` brings it
back after checking it, keeping the database it replaces."""

from __future__ import annotations

import copy
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from backend.content.loader import plan_from_data
from backend.extensions import db
from backend.services import plan as plan_service
from tests.conftest import make_app


class Writer(threading.Thread):
    """Publishes a new revision of the plan again and again, as an editor saving would."""

    def __init__(self, app) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.written = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.app.app_context():
                base = plan_service.latest_revision().data
                while not self.stop.is_set():
                    data = copy.deepcopy(base)
                    checklist = data["checklist_list"]["checklists"][0]
                    checklist["title"] = f"Sjekkliste, utgave {self.written + 2}"
                    plan_service.publish(plan_from_data(data), author=None, note=f"skriving {self.written}")
                    db.session.commit()
                    self.written += 1
                    time.sleep(0.002)
        except BaseException as error:  # reported by the test, never swallowed
            self.error = error

    def wait_for(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.written < count:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, f"the writer managed only {self.written} revisions"
            time.sleep(0.01)


def revisions_in(path: Path) -> list[tuple[int, str]]:
    """Return (id, data) of every revision in a database file, checking its integrity first."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return connection.execute("SELECT id, data FROM plan_revision ORDER BY id").fetchall()
    finally:
        connection.close()


@pytest.fixture
def writing_app(tmp_path):
    (tmp_path / "live").mkdir()
    app = make_app(tmp_path / "live")
    yield app
    with app.app_context():
        db.engine.dispose()
    plan_service.revision_cache.clear()


@pytest.mark.sqlite_only
def test_backup_under_writes_then_restore_into_a_fresh_app(writing_app, tmp_path):
    """A consistent copy while a thread keeps writing; restored, every revision in it reads and validates."""
    import json

    writer = Writer(writing_app)
    writer.start()
    try:
        writer.wait_for(10)
        result = writing_app.test_cli_runner().invoke(
            args=["backup", str(tmp_path / "kopi" / "rusplan.sqlite3")]
        )
        assert result.exit_code == 0, result.output
        assert "integrity_check: ok" in result.output
        written_at_backup = writer.written
        writer.wait_for(written_at_backup + 10)  # the writes went on past the backup
    finally:
        writer.stop.set()
        writer.join(timeout=10)
    assert writer.error is None, writer.error

    backup = tmp_path / "kopi" / "rusplan.sqlite3"
    in_backup = revisions_in(backup)
    ids = [row[0] for row in in_backup]
    assert ids == list(range(1, len(ids) + 1)), "a backup is one snapshot: no revision missing in between"
    assert len(ids) >= 11  # the import and at least ten writes
    with writing_app.app_context():
        live_count = len(revisions_in(Path(db.engine.url.database)))
    assert live_count > len(ids), "the writer kept writing during and after the backup"
    assert not list(backup.parent.glob(".*.part")), "no half-written file left beside the backup"

    (tmp_path / "fresh").mkdir()
    fresh = make_app(tmp_path / "fresh")
    try:
        result = fresh.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
        assert result.exit_code == 0, result.output
        with fresh.app_context():
            restored_path = Path(db.engine.url.database)
        restored = revisions_in(restored_path)
        assert [row[0] for row in restored] == ids
        for _revision_id, data in restored:
            plan_from_data(json.loads(data))  # validates, or raises naming the field
        newest = ids[-1]
        home = fresh.test_client().get("/")
        assert home.status_code == 200
        assert f'data-content-version="{newest}"' in home.get_data(as_text=True)
        kept = list(restored_path.parent.glob("test.før-gjenoppretting-*.sqlite3"))
        assert len(kept) == 1, "the replaced database is kept"
        assert [row[0] for row in revisions_in(kept[0])] == [1]
    finally:
        with fresh.app_context():
            db.engine.dispose()


@pytest.mark.sqlite_only
def test_restore_asks_before_replacing(app, runner, tmp_path):
    """Without --yes it asks; answering no changes nothing."""
    assert runner.invoke(args=["backup", str(tmp_path / "b.sqlite3")]).exit_code == 0
    result = runner.invoke(args=["restore", str(tmp_path / "b.sqlite3")], input="n\n")
    assert result.exit_code == 1
    assert "Erstatte databasen" in result.output
    assert not list(tmp_path.glob("*.før-gjenoppretting-*"))


def corrupt(path: Path) -> None:
    """Overwrite the header of every page after the first, as a failing disk would."""
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 4096):
        data[offset : offset + 12] = b"\xa5" * 12
    path.write_bytes(bytes(data))


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda p: p.write_text("ikke en database"), "ikke en SQLite-database"),
        (lambda p: None, "finnes ikke"),
        (corrupt, "skadet"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE x (id int)").connection.commit(), "mangler"),
    ],
    ids=["not-sqlite", "missing", "corrupt", "foreign-database"],
)
def test_restore_refuses_a_bad_file_and_leaves_the_database(app, runner, tmp_path, make_bad, message):
    """A bad backup is named as such and the live database stays as it was."""
    bad = tmp_path / "bad.sqlite3"
    if message == "skadet":
        assert runner.invoke(args=["backup", str(bad)]).exit_code == 0
    make_bad(bad)
    result = runner.invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert app.test_client().get("/").status_code == 200
    with app.app_context():
        assert [row[0] for row in revisions_in(Path(db.engine.url.database))] == [1]


def test_postgresql_points_to_pg_dump_without_showing_the_password(tmp_path):
    """For PostgreSQL the commands explain pg_dump and pg_restore instead."""
    from backend import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "postgres://rusplan:hemmelig@127.0.0.1:1/rusplan",
            "PLAN_SNAPSHOT": str(tmp_path / "s.json"),
        }
    )
    for args in (["backup", str(tmp_path / "x")], ["restore", str(tmp_path / "x"), "--yes"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1
        assert "pg_dump --format=custom" in result.output and "pg_restore" in result.output
        assert "hemmelig" not in result.output
        assert "postgresql://rusplan:***@127.0.0.1:1/rusplan" in result.output
