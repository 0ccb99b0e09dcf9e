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
# The one module allowed to skip: it needs ../shared/plan/ beside the repository (CI always has it).
MAY_SKIP = "test_content_fidelity.py"


def _forbid_skip(report, path: Path) -> None:
    if report.skipped and not hasattr(report, "wasxfail") and path.name != MAY_SKIP:
        report.outcome = "failed"
        report.longrepr = f"No test may be skipped (only {MAY_SKIP} without ../shared): {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Turn a skipped test into a failure: a skipped browser test must never look like a pass."""
    outcome = yield
    _forbid_skip(outcome.get_result(), Path(item.path))


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """Turn a module skipped at import into a failure, except the content fidelity test."""
    outcome = yield
    _forbid_skip(outcome.get_result(), Path(collector.path))


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
        # The last known plan goes beside the test database, never into the repository's instance/.
        "PLAN_SNAPSHOT": str(tmp_path / "last-plan.json"),
        # Tests publish and read at once, also from other connections: look for new revisions every time.
        "REVISION_CHECK_INTERVAL": 0,
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


def pytest_terminal_summary(terminalreporter):
    """Say how many browser tests ran, so a run without Chromium can never pass unnoticed."""
    passed = terminalreporter.stats.get("passed", [])
    browser = sum(1 for report in passed if report.when == "call" and "tests/browser/" in report.nodeid)
    terminalreporter.write_line(f"Browser tests passed (Chromium, phone viewport): {browser}")
