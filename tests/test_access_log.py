"""Log lines carry the matched route and the status, never the path, query, headers or a report's text.

A real gunicorn (gunicorn.conf.py, two workers) is sent a marker through every part of a request a
log could copy: the path (also encoded CR/LF that would forge a second line), the query string, the
headers, a CSP report, an invitation link and an acknowledgement link (their one-time tokens). Then
neither its access log nor its error log (the app's own warnings) holds the marker.
"""

from __future__ import annotations

import json
import re
import runpy

import pytest

from backend.access_log import UNKNOWN_ROUTE, AccessLogger
from tests.conftest import ROOT, make_app, on_postgres
from tests.gunicorn_support import Gunicorn, session_and_token

MARKER = "zqxmarkor7"


@pytest.fixture
def server(tmp_path):
    app = make_app(tmp_path)
    running = Gunicorn(app, tmp_path).start()
    yield running
    running.stop()


def test_gunicorn_logs_routes_and_statuses_only(server, tmp_path):
    """Each request is one line: method, route (or «unknown route»), status; the marker is nowhere."""
    marker_headers = {
        "User-Agent": f"Mozilla {MARKER}",
        "Referer": f"http://127.0.0.1/{MARKER}",
        "X-Forwarded-For": f"10.0.0.1, {MARKER}",
        "Cookie": f"session={MARKER}",
    }
    sent = [
        ("GET", f"/Ola%20Nordmann%202STA%20ruset%20{MARKER}", 404),
        ("GET", f"/x%0d%0aGET%20/FORGED{MARKER}%20HTTP/1.1%0a200", 404),
        ("GET", f"/kontakter?navn={MARKER}&elev=Kari%0aFORGED", 200),
        ("GET", f"/om-planen/{MARKER}", 404),
        ("GET", f"/konto/invitasjon/{MARKER}token", 410),
        ("GET", f"/static/css/{MARKER}.css", 404),
    ]
    for method, target, status in sent:
        assert server.request(method, target, headers=marker_headers)[0] == status, target
    report = [
        {
            "type": "csp-violation",
            "body": {
                "effectiveDirective": f"script-src-{MARKER}",
                "blockedURL": f"https://{MARKER}.example/x.js?elev={MARKER}",
                "documentURL": f"http://127.0.0.1/?{MARKER}",
                "sample": MARKER,
            },
        }
    ]
    status = server.request(
        "POST",
        f"/csp-rapport?{MARKER}",
        body=json.dumps(report).encode(),
        headers={"Content-Type": "application/reports+json", **marker_headers},
    )[0]
    assert status == 204
    ack = server.request(
        "POST",
        f"/varsel/1/kvitter/{MARKER}ack",
        body=b"{}",
        headers={"Content-Type": "application/json"},
    )[0]
    assert ack in {403, 404}
    cookie, token = session_and_token(server)
    login = server.request(
        "POST",
        f"/konto/logg-inn?next=/{MARKER}",
        body={"csrf_token": token, "email": f"{MARKER}@skole.no", "password": MARKER},
        headers={"Cookie": cookie},
    )[0]
    assert login == 401
    server.stop()

    if not on_postgres():  # what the requests left in the database files: not the marker either
        for path in tmp_path.glob("*.sqlite3*"):
            assert MARKER.encode() not in path.read_bytes().lower(), path.name

    text = server.log_text()
    assert MARKER not in text.lower(), [line for line in text.splitlines() if MARKER in line.lower()]
    assert "FORGED" not in text and "Nordmann" not in text and "Kari" not in text
    access = server.access_log.read_text(encoding="utf-8").splitlines()
    for expected in (
        f'"GET {UNKNOWN_ROUTE}" 404',
        '"GET /kontakter" 200',
        '"GET /konto/invitasjon/<token>" 410',
        '"POST /csp-rapport" 204',
        '"POST /varsel/<dbid:alert_id>/kvitter/<token>"',
        '"POST /konto/logg-inn" 401',
    ):
        assert any(expected in line for line in access), (expected, access)
    assert "CSP violation: unknown blocked other origin" in text
    assert all(re.fullmatch(r'"[A-Z]+ [^"]+" \d{3} \S+ \d+ms', line) for line in access), access


REAL_FORMAT = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["access_log_format"]
# Everything an operator could add to the format that would copy raw request data.
WIDE_FORMAT = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms %(q)s %(r)s %(h)s %({user-agent}i)s %(f)s'


def access_log_line(environ: dict, status: int, size: int = 0, log_format: str = WIDE_FORMAT) -> str:
    """Write the line gunicorn's access log (with AccessLogger) writes for a request with this environ."""
    from datetime import timedelta
    from urllib.parse import unquote

    class Config:
        access_log_format = log_format
        accesslog = "-"

    logger = AccessLogger.__new__(AccessLogger)
    logger.cfg = Config()

    class Response:
        sent = size
        headers = ()

    Response.status = f"{status} X"
    raw_path = environ.get("RAW_URI") or environ.get("PATH_INFO", "")

    class Request:
        method = environ.get("REQUEST_METHOD", "GET")
        path = unquote(raw_path.split("?")[0])
        query = environ.get("QUERY_STRING", "")
        uri = raw_path
        version = (1, 1)
        headers = [
            (key[5:].replace("_", "-"), value) for key, value in environ.items() if key.startswith("HTTP_")
        ]

    atoms = logger.atoms(Response(), Request(), environ, timedelta(milliseconds=3))
    return log_format % logger.atoms_wrapper_class(atoms)


def test_even_a_wider_log_format_gets_no_raw_request_data():
    """An operator who adds the query, request line, address or a header to the format gets «-»."""
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/a/{MARKER}",
        "PATH_INFO": f"/a/{MARKER}",
        "QUERY_STRING": f"x={MARKER}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_USER_AGENT": MARKER,
        "HTTP_REFERER": MARKER,
        "rusplan.route": "/a/<slug>",
    }
    line = access_log_line(environ, 200, 10)
    assert MARKER not in line and "203.0.113.9" not in line, line
    assert line.startswith('"GET /a/<slug>" 200'), line
