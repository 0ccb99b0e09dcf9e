"""Fixtures shared by every test: an app on a fresh database with the plan imported."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from backend import create_app, i18n, rate_limits
from backend.config import DEFAULT_SCHOOL
from backend.database import normalise_database_url
from backend.extensions import db
from backend.services import plan as plan_service
from backend.services.alerts.sender import stop_sender
from backend.services.mail import stop_outbox

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content" / DEFAULT_SCHOOL
# The one module allowed to skip: it needs ../shared/plan/ beside the repository (CI always has it).
MAY_SKIP = "test_content_fidelity.py"

# Set (by .ci/run or by hand) to run the suite against PostgreSQL: a URL whose role may create databases.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEMPLATE_DATABASE = "rusplan_template"


def on_postgres() -> bool:
    """Whether this run uses PostgreSQL (the second pass of `make test`)."""
    return bool(TEST_DATABASE_URL)


class _Postgres:
    """One migrated, empty template database per session; each app gets a copy, dropped after its test.

    CREATE DATABASE ... TEMPLATE copies files, which takes a few milliseconds, where migrating takes
    a second: the suite stays about as fast as on SQLite, and every app still starts from nothing.
    """

    def __init__(self, url: str):
        self.url = sa.make_url(normalise_database_url(url))
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.template_ready = False
        # Apps made on the same tmp_path share a database, as they share the SQLite file there.
        self.by_path: dict[str, str] = {}

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql)

    def _build_template(self) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DATABASE} WITH (FORCE)")
        self._execute(f"CREATE DATABASE {TEMPLATE_DATABASE}")
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "template",
                "SQLALCHEMY_DATABASE_URI": self.url_for(TEMPLATE_DATABASE),
            }
        )
        with app.app_context():
            upgrade()
            db.engine.dispose()
        self.template_ready = True

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def database_for(self, path: Path) -> str:
        """Return the database of this path: a fresh copy of the template the first time."""
        if str(path) not in self.by_path:
            if not self.template_ready:
                self._build_template()
            name = f"test_{uuid.uuid4().hex}"
            self._execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DATABASE}")
            self.by_path[str(path)] = name
        return self.by_path[str(path)]

    def drop(self, app) -> None:
        """Drop the app's database (close_connections has closed the app's connections to it)."""
        name = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
        self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.by_path = {path: known for path, known in self.by_path.items() if known != name}

    def finish(self) -> None:
        if self.template_ready:
            self._execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DATABASE} WITH (FORCE)")
        self.admin.dispose()


POSTGRES = _Postgres(TEST_DATABASE_URL) if on_postgres() else None


def test_database_uri(tmp_path: Path, name: str = "test.sqlite3") -> str:
    """A database URL for one app: an SQLite file under tmp_path, or a fresh PostgreSQL database."""
    if POSTGRES is None:
        return f"sqlite:///{tmp_path / name}"
    return POSTGRES.url_for(POSTGRES.database_for(tmp_path / name))


class _Apps:
    """Every app make_app builds, closed when its test ends (apps of module and session fixtures when
    the session ends): its push sender stopped, then, on PostgreSQL, its database dropped.

    A sender left running after its test keeps polling a database that is gone and logs the failure;
    on Python 3.11 formatting that traceback (ast.parse for the ^^^ marks) in one thread while another
    compiles URL rules (also ast.parse) can raise «SystemError: AST constructor recursion depth mismatch».
    """

    def __init__(self) -> None:
        self.in_test: list | None = None
        self.outside_tests: list = []

    def add(self, app) -> None:
        (self.in_test if self.in_test is not None else self.outside_tests).append(app)

    @staticmethod
    def close(apps: list) -> None:
        while apps:
            app = apps.pop()
            stop_sender(app)  # before the drop: a sender polling a dropped database fails in a loop
            stop_outbox(app)  # a mail still queued is sent (or fails) before the test ends
            close_connections(app)
            rate_limits.dispose(app)
            if POSTGRES is not None and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
                POSTGRES.drop(app)


def close_connections(app, timeout: float = 10.0) -> None:
    """Close the app's database connections once none is in use any more.

    engine.dispose() closes only the connections in the pool. One still checked out by a thread (a
    request, a sender) goes back to the old, closed pool afterwards and is never closed: psycopg warns
    when the garbage collector finds it, and under filterwarnings=error that fails a later, unrelated
    test. So wait for every connection to come back first, and fail here, naming the cause, if one does
    not.
    """
    with app.app_context():
        in_use = getattr(db.engine.pool, "checkedout", lambda: 0)  # QueuePool, used for files and servers
        deadline = time.monotonic() + timeout
        while in_use() > 0:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{in_use()} database connection(s) still in use {timeout:.0f} s after the "
                    "test: a thread or an app context of the test was left running"
                )
            time.sleep(0.01)
        db.engine.dispose()


APPS = _Apps()


@pytest.fixture(autouse=True)
def _close_test_apps():
    """Close the apps made during a test when it ends."""
    APPS.in_test = []
    yield
    made, APPS.in_test = APPS.in_test, None
    APPS.close(made)


def pytest_sessionstart(session):
    """Compile the translation catalogues that changed, as `make test` does, so a bare pytest agrees."""
    i18n.compile_catalogues()


def pytest_collection_modifyitems(config, items):
    """Leave out the tests about the other database (deselected, never skipped): on PostgreSQL the
    ones about SQLite itself, on SQLite the ones about PostgreSQL (they run in the second pass)."""
    other = "sqlite_only" if POSTGRES is not None else "postgres_only"
    keep = [item for item in items if item.get_closest_marker(other) is None]
    dropped = [item for item in items if item.get_closest_marker(other) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_sessionfinish(session):
    APPS.close(APPS.outside_tests)
    if POSTGRES is not None:
        POSTGRES.finish()


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


def make_app(tmp_path: Path, school: str = DEFAULT_SCHOOL, **extra):
    """Build an app on its own database (SQLite file or PostgreSQL copy), migrated, with the content.

    school names the folder in content/ whose plan is imported (and the app's SCHOOL).
    """
    uri = extra.pop("SQLALCHEMY_DATABASE_URI", None) or test_database_uri(tmp_path)
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": uri,
        "RATELIMIT_ENABLED": False,
        # Cheap argon2 parameters keep the account tests fast; the rehash test raises them.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8,
        "ARGON2_PARALLELISM": 1,
        # The last known plan goes beside the test database, never into the repository's instance/.
        "PLAN_SNAPSHOT": str(tmp_path / "last-plan.json"),
        # Tests publish and read at once, also from other connections: look for new revisions every time.
        "REVISION_CHECK_INTERVAL": 0,
        "SCHOOL": school,
        **extra,
    }
    app = create_app(config)
    APPS.add(app)  # closed (sender stopped, PostgreSQL database dropped) when its test ends
    with app.app_context():
        upgrade()
        plan_service.revision_cache.clear()
        plan_service.import_folder(ROOT / "content" / school)
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
    from tests.browser.conftest import BROWSER_SCHOOLS

    for folder in BROWSER_SCHOOLS:
        count = sum(
            1
            for report in passed
            if report.when == "call" and "tests/browser/" in report.nodeid and f"[{folder}" in report.nodeid
        )
        terminalreporter.write_line(f"  of them for {folder}: {count}")
    terminalreporter.write_line(f"Database: {'PostgreSQL' if on_postgres() else 'SQLite'}")
