"""Fixtures shared by every test: an app on a fresh database with the plan imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import upgrade

from backend import create_app
from backend.extensions import db
from backend.services import plan as plan_service

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content" / "halden-vgs"


def make_app(tmp_path: Path, **extra):
    """Build an app on its own SQLite file, migrated, with the school's content imported."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "RATELIMIT_ENABLED": False,
        # Cheap argon2 parameters keep the account tests fast; the rehash test raises them.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
        **extra,
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
        plan_service.revision_cache.clear()
        plan_service.import_folder(CONTENT)
    return app


@pytest.fixture
def app(tmp_path):
    """A fresh app for one test."""
    app = make_app(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()
    plan_service.revision_cache.clear()


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()
