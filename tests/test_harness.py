"""The test harness closes what a test started, so nothing it leaves behind fails a later test.

A database connection still checked out when an app's pool is disposed is never closed; psycopg's
ResourceWarning for it then fails whichever test runs when the garbage collector finds it (CI saw this
once on PostgreSQL: a browser test's server was stopped while a request still ran).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import urllib.request

import pytest
from sqlalchemy import text

from backend.extensions import db
from tests.browser.conftest import LiveServer
from tests.conftest import close_connections, make_app
from tests.fakepush import FakePushService


def test_stopping_a_live_server_waits_for_the_requests_it_is_serving(tmp_path):
    """stop() returns only when no request thread holds a database connection any more."""
    app = make_app(tmp_path)
    started = threading.Event()

    def slow():
        db.session.execute(text("SELECT 1"))  # checks out a connection until the request ends
        started.set()
        time.sleep(1.5)  # longer than serve_forever's 0.5 s poll, which shutdown() waits for
        return "ferdig"

    app.add_url_rule("/_slow", "slow", slow)
    server = LiveServer(app).start()
    answers: list[bytes] = []

    def ask():
        with urllib.request.urlopen(server.url + "/_slow", timeout=10) as response:
            answers.append(response.read())

    client = threading.Thread(target=ask)
    client.start()
    assert started.wait(5)
    with app.app_context():
        assert db.engine.pool.checkedout() == 1

    server.stop()

    with app.app_context():
        assert db.engine.pool.checkedout() == 0
    assert server.in_flight == 0
    client.join(5)
    assert answers == [b"ferdig"]


def test_closing_an_app_waits_for_its_connections_and_names_one_left_in_use(tmp_path):
    """close_connections fails loudly on a connection kept past the test, and closes them all otherwise."""
    app = make_app(tmp_path)
    with app.app_context():
        kept = db.engine.connect()
        kept.execute(text("SELECT 1"))

    with pytest.raises(AssertionError, match="1 database connection"):
        close_connections(app, timeout=0.2)

    releaser = threading.Timer(0.2, kept.close)  # a thread that finishes its work a moment later
    releaser.start()
    close_connections(app)
    releaser.join()
    with app.app_context():
        assert (db.engine.pool.checkedout(), db.engine.pool.checkedin()) == (0, 0)


def test_the_fake_push_service_keeps_connection_errors_instead_of_printing_them(capfd):
    """A client resetting its connection is recorded; no thread of the fake service prints a traceback."""
    with FakePushService() as service:
        port = int(service.origin.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"POST /push/x HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
        deadline = time.monotonic() + 5
        while not service.connection_errors and time.monotonic() < deadline:
            time.sleep(0.01)
    assert service.connection_errors and "ConnectionResetError" in service.connection_errors[0]
    assert "Traceback" not in capfd.readouterr().err
