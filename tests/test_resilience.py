"""When the database is locked, full or unreachable, the plan is still served; what needs the database says
503 in Norwegian, with the numbers to call, within the busy/connect timeout plus a second."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from backend import create_app
from backend.database import engine_options, normalise_database_url
from backend.extensions import db
from backend.services import plan as plan_service
from backend.services.db_errors import describe
from backend.services.phones import tel_href
from tests.conftest import CONTENT, make_app, on_postgres

BUSY_TIMEOUT = 1.0
UNAVAILABLE = "Tjenesten er midlertidig utilgjengelig"


def add_write_route(app) -> None:
    """A route that must write to the database, like publishing a plan or sending an alert."""

    def write():
        current = plan_service.revision_cache.current()
        plan_service.publish(current.plan, author=None, note="skrevet av testen")
        db.session.commit()
        return "lagret"

    app.add_url_rule("/test/skriv", "test_write", write, methods=["POST"])


def build(tmp_path: Path, **extra):
    """An app on tmp_path/db/test.sqlite3 with a 1 s busy timeout and a write route."""
    (tmp_path / "db").mkdir()
    app = make_app(
        tmp_path,
        # On PostgreSQL the tests that need the file are deselected (sqlite_only); the rest use the server.
        SQLALCHEMY_DATABASE_URI=None if on_postgres() else f"sqlite:///{tmp_path / 'db' / 'test.sqlite3'}",
        DB_BUSY_TIMEOUT=BUSY_TIMEOUT,
        DB_RETRY_AFTER=0.2,
        WTF_CSRF_ENABLED=False,
        **extra,
    )
    add_write_route(app)
    return app


@pytest.fixture
def resilient_app(tmp_path):
    """An app whose database a test may lock, fill or take away."""
    app = build(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()
    plan_service.revision_cache.clear()


def everything_offline(client) -> list[str]:
    """Every URL the service worker stores (public pages, vCards, static files) plus the worker itself."""
    listing = client.get("/precache.json")
    assert listing.status_code == 200, "the precache list itself must be served"
    return ["/sw.js", "/precache.json", *listing.get_json()["urls"]]


def assert_public_side_served(client) -> None:
    urls = everything_offline(client)
    assert len(urls) > 30
    failed = {url: client.get(url).status_code for url in urls}
    failed = {url: status for url, status in failed.items() if status != 200}
    assert not failed, f"not served while the database fails: {failed}"


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_unavailable_page(app, response) -> None:
    """503, never cached, in Norwegian, with the leadership's numbers from the last known plan."""
    assert response.status_code == 503
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Retry-After"]
    html = response.get_data(as_text=True)
    assert UNAVAILABLE in html
    assert "Ring i stedet" in html
    with app.app_context():
        leaders = plan_service.revision_cache.last_known().plan.call_chain()
    assert leaders
    for person in leaders:
        assert f'href="{tel_href(person.phone)}"' in html, person.name
        assert person.name in html
    assert 'href="tel:112"' in html


def health(client) -> tuple[int, dict, float]:
    response, elapsed = timed(lambda: client.get("/healthz"))
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json(), elapsed


# ------------------------------------------------------------------------------------------ settings


@pytest.mark.sqlite_only
def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(resilient_app):
    """Every connection of the pool gets the pragmas, not just the first."""
    with resilient_app.app_context(), db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == int(BUSY_TIMEOUT * 1000)
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db.example/rusplan", "postgresql+psycopg://u:p@db.example/rusplan"),
        ("postgresql://u@localhost:5433/rusplan", "postgresql+psycopg://u@localhost:5433/rusplan"),
        ("postgresql+psycopg://u@h/r", "postgresql+psycopg://u@h/r"),
        ("sqlite:////srv/rusplan.sqlite3", "sqlite:////srv/rusplan.sqlite3"),
    ],
)
def test_database_urls_are_rewritten_to_psycopg3(url, expected):
    """Hosting providers hand out postgres:// URLs; SQLAlchemy needs the driver named."""
    assert normalise_database_url(url) == expected


def test_postgresql_gets_pre_ping_pool_and_timeouts():
    """Pool sizing and the connect and statement timeouts come from the configuration."""
    config = {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/r",
        "DB_BUSY_TIMEOUT": 5,
        "DB_CONNECT_TIMEOUT": 3,
        "DB_STATEMENT_TIMEOUT": 7.5,
        "DB_POOL_SIZE": 4,
        "DB_MAX_OVERFLOW": 6,
        "DB_POOL_TIMEOUT": 2,
        "DB_POOL_RECYCLE": 600,
    }
    options = engine_options(config)
    assert options["pool_pre_ping"] is True
    assert (options["pool_size"], options["max_overflow"], options["pool_timeout"]) == (4, 6, 2)
    assert options["connect_args"]["connect_timeout"] == 3
    assert options["connect_args"]["options"] == "-c statement_timeout=7500"
    assert options["hide_parameters"] is True


def test_healthz_is_ok_json_never_cached_and_not_offline(resilient_app):
    """The load balancer's check; the service worker never stores it."""
    client = resilient_app.test_client()
    status, body, _elapsed = health(client)
    assert status == 200
    assert body["status"] == "ok" and body["database"] == "ok"
    assert isinstance(body["revision"], int)
    assert "/healthz" not in client.get("/precache.json").get_json()["urls"]


# ------------------------------------------------------------------------------------------ locked


@pytest.mark.sqlite_only
def test_locked_database_keeps_the_plan_and_refuses_writes_in_time(resilient_app, tmp_path):
    """Another process holds an exclusive lock: pages 200, /healthz 503 locked, writes 503 after ~1 s."""
    client = resilient_app.test_client()
    client.get("/")
    holder = sqlite3.connect(tmp_path / "db" / "test.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert_public_side_served(client)
        status, body, elapsed = health(client)
        assert (status, body["database"]) == (503, "locked")
        assert elapsed < BUSY_TIMEOUT + 1
        response, elapsed = timed(lambda: client.post("/test/skriv"))
        assert_unavailable_page(resilient_app, response)
        assert BUSY_TIMEOUT * 0.9 <= elapsed < BUSY_TIMEOUT + 1, f"answered after {elapsed:.2f} s"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # The lock is gone: the same request works again.
    assert client.post("/test/skriv").status_code == 200
    assert health(client)[0] == 200


# ------------------------------------------------------------------------------------------ full


def fill_up(app) -> None:
    """Cap every connection at the database's current size (PRAGMA max_page_count), as a full disk does."""
    with app.app_context():
        event.listen(db.engine, "connect", lambda raw, _record: raw.execute("PRAGMA max_page_count = 1"))
        db.engine.dispose()


@pytest.mark.sqlite_only
def test_full_database_keeps_the_plan_and_refuses_writes(resilient_app, tmp_path):
    """Writes fail with 'database or disk is full': pages 200, /healthz 503 full, writes 503 at once."""
    client = resilient_app.test_client()
    client.get("/")
    fill_up(resilient_app)
    assert_public_side_served(client)
    status, body, elapsed = health(client)
    assert (status, body["database"]) == (503, "full")
    assert elapsed < BUSY_TIMEOUT + 1
    response, elapsed = timed(lambda: client.post("/test/skriv"))
    assert_unavailable_page(resilient_app, response)
    assert elapsed < BUSY_TIMEOUT + 1
    assert "Varselet ble ikke sendt" not in response.get_data(as_text=True), "only alerts say that"


@pytest.mark.sqlite_only
def test_content_import_on_a_full_database_fails_with_a_clear_message(resilient_app, tmp_path):
    """The CLI says the database is full instead of printing a traceback, and stores nothing."""
    folder = tmp_path / "innhold"
    shutil.copytree(CONTENT, folder)
    checklist = folder / "checklists.yaml"
    checklist.write_text(
        checklist.read_text(encoding="utf-8").replace("title: Sjekkliste", "title: Sjekklista", 1)
    )
    fill_up(resilient_app)
    result = resilient_app.test_cli_runner().invoke(args=["content", "import", "--folder", str(folder)])
    assert result.exit_code == 1, result.output
    assert "Databasen er ikke tilgjengelig (full)" in result.output
    with resilient_app.app_context():
        db.engine.dispose()
        with db.engine.connect() as connection:
            count = connection.exec_driver_sql("SELECT count(*) FROM plan_revision").scalar()
    assert count == 1


# ------------------------------------------------------------------------------------------ unreachable


@pytest.mark.sqlite_only
def test_database_gone_while_running_serves_pages_never_rendered_before(resilient_app, tmp_path):
    """The database's folder disappears: pages come from the last known plan, even ones not yet rendered."""
    client = resilient_app.test_client()
    home = client.get("/").get_data()
    shutil.move(tmp_path / "db", tmp_path / "db-borte")
    with resilient_app.app_context():
        db.engine.dispose()
    assert client.get("/").get_data() == home
    assert_public_side_served(client)
    status, body, elapsed = health(client)
    assert (status, body["database"]) == (503, "unreachable")
    assert elapsed < BUSY_TIMEOUT + 1
    response, elapsed = timed(lambda: client.post("/test/skriv"))
    assert_unavailable_page(resilient_app, response)
    assert elapsed < BUSY_TIMEOUT + 1
    # The database comes back: after DB_RETRY_AFTER the app asks it again and writes work.
    shutil.move(tmp_path / "db-borte", tmp_path / "db")
    time.sleep(0.3)
    assert client.post("/test/skriv").status_code == 200
    assert health(client)[0] == 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "broken_url",
    [
        pytest.param(
            lambda tmp: f"sqlite:///{tmp / 'finnes-ikke' / 'rusplan.sqlite3'}", id="sqlite-missing-dir"
        ),
        pytest.param(
            lambda _tmp: f"postgresql://rusplan@127.0.0.1:{free_port()}/rusplan", id="postgresql-down"
        ),
    ],
)
def test_worker_started_while_the_database_is_down_serves_the_snapshot(tmp_path, broken_url):
    """A worker (re)started during an outage has never seen the database: it serves the plan kept on disk."""
    first = make_app(tmp_path)
    assert first.test_client().get("/").status_code == 200
    with first.app_context():
        db.engine.dispose()
    assert (tmp_path / "last-plan.json").exists()
    plan_service.revision_cache.clear()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": broken_url(tmp_path),
            "PLAN_SNAPSHOT": str(tmp_path / "last-plan.json"),
            "DB_BUSY_TIMEOUT": BUSY_TIMEOUT,
            "DB_CONNECT_TIMEOUT": BUSY_TIMEOUT,
            "WTF_CSRF_ENABLED": False,
        }
    )
    add_write_route(app)
    client = app.test_client()
    try:
        assert_public_side_served(client)
        status, body, elapsed = health(client)
        assert (status, body["database"]) == (503, "unreachable")
        assert elapsed < BUSY_TIMEOUT + 1
        response, elapsed = timed(lambda: client.post("/test/skriv"))
        assert response.status_code == 503
        assert elapsed < BUSY_TIMEOUT + 1
        # No plan in the database and none remembered by the write route: still the numbers to call.
        assert_unavailable_page(app, response)
    finally:
        with app.app_context():
            db.engine.dispose()
        plan_service.revision_cache.clear()


def test_without_any_known_plan_pages_answer_503_not_500(tmp_path):
    """A first start with the database down and no snapshot: a calm 503, never a traceback."""
    plan_service.revision_cache.clear()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'finnes-ikke' / 'x.sqlite3'}",
            "PLAN_SNAPSHOT": str(tmp_path / "last-plan.json"),
        }
    )
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert UNAVAILABLE in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_without_any_known_plan_the_503_page_is_in_the_schools_language(tmp_path):
    """A nynorsk school's first start with the database down: the 503 page reads the folder's language."""
    plan_service.revision_cache.clear()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SCHOOL": "eksempel-vgs",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'finnes-ikke' / 'x.sqlite3'}",
            "PLAN_SNAPSHOT": str(tmp_path / "last-plan.json"),
        }
    )
    response = app.test_client().get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert '<html lang="nn"' in page
    assert "Tenesta er mellombels utilgjengeleg" in page and UNAVAILABLE not in page
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("database is locked", "locked"),
        ("database or disk is full", "full"),
        ("unable to open database file", "unreachable"),
        (
            'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused',
            "unreachable",
        ),
        ("canceling statement due to statement timeout", "timeout"),
    ],
)
def test_failures_are_logged_as_a_reason_without_sql_or_data(message, reason):
    """The log says what happened in one word; the SQL and its parameters never reach it."""
    assert describe(sqlite3.OperationalError(message)) == reason


@pytest.mark.sqlite_only
def test_the_log_names_the_reason_and_path_but_not_the_query(resilient_app, tmp_path, caplog):
    """A failed request is logged with method, path and reason; no query string, no SQL, no address."""
    client = resilient_app.test_client()
    client.get("/")
    fill_up(resilient_app)
    client.post("/test/skriv?epost=ola@example.no")
    lines = [r.getMessage() for r in caplog.records if "Database unavailable" in r.getMessage()]
    assert lines == ["Database unavailable (full) on POST /test/skriv"]
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert "ola@example.no" not in everything and "INSERT" not in everything


@pytest.mark.sqlite_only
def test_a_failed_alert_says_plainly_that_nothing_was_sent(tmp_path):
    """A POST under /varsel that cannot be stored says «Varselet ble ikke sendt» and lists whom to call."""
    (tmp_path / "db").mkdir()
    app = make_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db' / 'test.sqlite3'}",
        DB_BUSY_TIMEOUT=BUSY_TIMEOUT,
        WTF_CSRF_ENABLED=False,
    )

    def send_alert():
        plan_service.publish(plan_service.revision_cache.current().plan, author=None, note="varsel")
        db.session.commit()
        return "sendt"

    app.add_url_rule("/varsel/test", "test_alert", send_alert, methods=["POST"])
    client = app.test_client()
    client.get("/")
    fill_up(app)
    response = client.post("/varsel/test")
    assert_unavailable_page(app, response)
    assert "Varselet ble ikke sendt." in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()
