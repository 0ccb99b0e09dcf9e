"""PostgreSQL's own behaviour: the statement timeout, int4 ids, NUL bytes, one writer at a time."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from backend.database import write_transaction
from backend.extensions import db
from tests.conftest import make_app
from tests.support import admin_client, token

pytestmark = pytest.mark.postgres_only


def test_a_slow_statement_is_cancelled_by_the_statement_timeout(tmp_path):
    """A query that hangs is cancelled by the server after DB_STATEMENT_TIMEOUT, not waited on forever."""
    app = make_app(tmp_path, DB_STATEMENT_TIMEOUT=0.3)
    with app.app_context():
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "300ms"
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"):
            db.session.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 2
        db.session.rollback()
        assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_write_transactions_take_turns(tmp_path):
    """Two read-then-write transactions on PostgreSQL run one after the other (the advisory lock)."""
    app = make_app(tmp_path)
    order: list[str] = []
    inside = threading.Event()

    def slow_writer():
        with app.app_context(), write_transaction():
            order.append("first in")
            inside.set()
            time.sleep(0.5)
            order.append("first out")

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert inside.wait(5)
    with app.app_context(), write_transaction():
        order.append("second in")
    thread.join(5)
    assert order == ["first in", "first out", "second in"]


@pytest.mark.parametrize("number", [2**31, 2**31 - 1 + 10, 2**63 - 1, 2**63, 2**64])
def test_ids_beyond_postgresqls_integer_are_404(tmp_path, number):
    """PostgreSQL's integer holds 2^31 - 1: larger ids in a URL are «not found», never «out of range»."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = admin_client(app)
    csrf = token(client)
    assert client.get(f"/admin/brukere/{number}").status_code == 404
    assert client.get(f"/admin/revisjoner/{number}").status_code == 404
    assert client.post(f"/admin/brukere/{number}/deaktiver", data={"csrf_token": csrf}).status_code == 404


def test_nul_bytes_are_refused_before_they_reach_postgresql(tmp_path):
    """PostgreSQL refuses \\x00 in text: a NUL in a form is a 400, in a path a 404, never a 500."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/konto/logg-inn").get_data(as_text=True)
    from tests.support import csrf_token

    csrf = csrf_token(login_page)
    answer = client.post(
        "/konto/logg-inn", data={"email": "a\x00@skole.no", "password": "x", "csrf_token": csrf}
    )
    assert answer.status_code == 400
    assert client.get("/konto/invitasjon/abc%00def").status_code == 404
