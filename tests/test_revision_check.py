"""Page views are served from memory; the database is asked for a newer revision at most once a second."""

from __future__ import annotations

import copy
import sqlite3
import time

import pytest

from backend.content.loader import plan_from_data
from backend.extensions import db
from backend.services import plan as plan_service
from tests.conftest import make_app


@pytest.mark.sqlite_only
def test_a_revision_from_another_process_shows_within_the_interval(tmp_path):
    """Another worker's publish is seen after REVISION_CHECK_INTERVAL, not on every page view before it."""
    app = make_app(tmp_path, REVISION_CHECK_INTERVAL=0.5)
    client = app.test_client()
    assert 'data-content-version="1"' in client.get("/").get_data(as_text=True)
    # Another process writes a revision straight into the database file.
    other = sqlite3.connect(tmp_path / "test.sqlite3")
    other.execute(
        "INSERT INTO plan_revision (created_at, author, note, content_hash, data) "
        "SELECT created_at, author, 'annen prosess', 'x', data FROM plan_revision WHERE id = 1"
    )
    other.commit()
    other.close()
    assert 'data-content-version="1"' in client.get("/").get_data(as_text=True)
    time.sleep(0.6)
    assert 'data-content-version="2"' in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_a_revision_published_by_this_process_shows_at_once(tmp_path):
    """An editor who publishes sees the new plan on the next page, without waiting."""
    app = make_app(tmp_path, REVISION_CHECK_INTERVAL=60)
    client = app.test_client()
    client.get("/")
    with app.app_context():
        data = copy.deepcopy(plan_service.revision_cache.current().plan.model_dump(mode="json"))
        data["checklist_list"]["checklists"][0]["title"] = "Sjekkliste, ny utgave"
        plan_service.publish(plan_from_data(data), author=None, note="test")
        db.session.commit()
    assert 'data-content-version="2"' in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.sqlite_only
def test_a_backup_restored_by_another_process_replaces_cached_pages_even_with_the_same_id(tmp_path):
    """Revision 2 restored from a backup is other content than the cached revision 2: the pages follow."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    other_app = make_app(tmp_path / "b")  # its revision 2 gets another checklist title
    with other_app.app_context():
        data = copy.deepcopy(plan_service.latest_revision().data)
        data["checklist_list"]["checklists"][0]["title"] = "Sjekkliste fra sikkerhetskopien"
        plan_service.publish(plan_from_data(data), author=None, note="b")
        db.session.commit()
        db.engine.dispose()
    app = make_app(tmp_path / "a", REVISION_CHECK_INTERVAL=0)
    with app.app_context():
        data = copy.deepcopy(plan_service.latest_revision().data)
        data["checklist_list"]["checklists"][0]["title"] = "Sjekkliste i drift"
        plan_service.publish(plan_from_data(data), author=None, note="a")
        db.session.commit()
    client = app.test_client()
    assert "Sjekkliste i drift" in client.get("/sjekkliste").get_data(as_text=True)
    # Another process restores b's database into a's file (SQLite's backup API, as `flask restore` does).
    source = sqlite3.connect(tmp_path / "b" / "test.sqlite3")
    target = sqlite3.connect(tmp_path / "a" / "test.sqlite3")
    source.backup(target)
    source.close()
    target.close()
    page = client.get("/sjekkliste").get_data(as_text=True)
    assert "Sjekkliste fra sikkerhetskopien" in page
    assert 'data-content-version="2"' in page
    with app.app_context():
        db.engine.dispose()
