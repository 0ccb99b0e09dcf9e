"""Per-address limits hold as documented with `make run`'s two workers, and behind the configured proxies."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.extensions import db
from backend.http_cache import FrontCache
from backend.i18n import LanguagePrefix
from backend.models import AuditEvent
from backend.rate_limits import side_file
from tests.conftest import make_app, on_postgres
from tests.gunicorn_support import Gunicorn, session_and_token
from tests.support import csrf_token

LIMIT = 3


def test_the_login_limit_is_not_doubled_by_two_gunicorn_workers(tmp_path):
    """gunicorn.conf.py with two workers: a burst from one address gets exactly LIMIT answers, not 2×."""
    app = make_app(tmp_path)
    server = Gunicorn(
        app,
        tmp_path,
        extra_args=("--access-logformat", '"%(m)s %(U)s" %(s)s pid=%(p)s'),
        LOGIN_RATE_LIMIT=f"{LIMIT} per minute",
        WEB_WORKERS="2",
    ).start()
    try:
        rounds = []
        for round_number in range(2, 8):  # each round from its own address: 127.0.0.2, .3, ...
            source = f"127.0.0.{round_number}"
            cookie, token = session_and_token(server, source=source)
            before = len(server.access_log.read_text(encoding="utf-8").splitlines())

            def attempt(i: int, source=source, cookie=cookie, token=token) -> int:
                return server.request(
                    "POST",
                    "/konto/logg-inn",
                    body={"csrf_token": token, "email": f"ukjent{i}@skole.no", "password": "feil passord"},
                    headers={"Cookie": cookie},
                    source=source,
                )[0]

            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(pool.map(attempt, range(4 * LIMIT)))
            lines = server.access_log.read_text(encoding="utf-8").splitlines()[before:]
            pids = {re.search(r"pid=<?(\d+)", line)[1] for line in lines if "POST /konto/logg-inn" in line}
            rounds.append((statuses, pids))
            assert statuses.count(401) == LIMIT and statuses.count(429) == 3 * LIMIT, rounds
            if len(pids) == 2:
                break
        assert len(rounds[-1][1]) == 2, f"the requests never reached both workers: {rounds}"
    finally:
        server.stop()


def test_counters_are_shared_and_keep_no_address(tmp_path):
    """The counters live in the database (SQLite: a 0600 file of their own), keyed without the address."""
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT=f"{LIMIT} per minute")
    client = app.test_client()
    address = "203.0.113.77"
    statuses = []
    for i in range(LIMIT + 1):
        page = client.get("/konto/logg-inn", environ_base={"REMOTE_ADDR": address})
        statuses.append(
            client.post(
                "/konto/logg-inn",
                data={
                    "csrf_token": csrf_token(page.get_data(as_text=True)),
                    "email": f"x{i}@skole.no",
                    "password": "feil passord",
                },
                environ_base={"REMOTE_ADDR": address},
            ).status_code
        )
    assert statuses == [401] * LIMIT + [429]
    if on_postgres():
        with app.app_context():
            rows = db.session.execute(sa.text("SELECT key, hits FROM rate_limit")).all()
    else:
        path = side_file(tmp_path / "test.sqlite3")
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert address.encode() not in path.read_bytes()
        engine = sa.create_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT key, hits FROM rate_limit")).all()
        engine.dispose()
    assert rows and all(address not in key and re.fullmatch(r"[0-9a-f]{64}", key) for key, _ in rows)
    assert max(hits for _, hits in rows) == LIMIT + 1


def test_trusted_proxies_are_applied_once_as_configured(tmp_path):
    """HTTPS=1 with TRUSTED_PROXIES=2: one ProxyFix, two hops, so the client's own address is counted."""
    app = make_app(tmp_path, HTTPS=True, TRUSTED_PROXIES=2)
    layers, wsgi = [], app.wsgi_app
    if isinstance(wsgi, FrontCache):  # the anonymous page cache wraps everything (backend/http_cache.py)
        wsgi = wsgi.wsgi_app
    if isinstance(wsgi, LanguagePrefix):  # then /en/… for English pages (backend/i18n.py)
        wsgi = wsgi.app
    while isinstance(wsgi, ProxyFix):
        layers.append(wsgi)
        wsgi = wsgi.app
    assert [(layer.x_for, layer.x_proto, layer.x_host) for layer in layers] == [(2, 2, 2)]

    client = app.test_client()
    base = "https://rusplan.skole.no"
    forwarded = {
        "X-Forwarded-For": "203.0.113.7, 198.51.100.1",
        "X-Forwarded-Proto": "https, https",
        "X-Forwarded-Host": "rusplan.skole.no, rusplan.skole.no",
    }
    page = client.get("/konto/logg-inn", base_url=base, headers=forwarded)
    response = client.post(
        "/konto/logg-inn",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "email": "x@skole.no",
            "password": "feil",
        },
        base_url=base,
        headers={**forwarded, "Referer": f"{base}/konto/logg-inn"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert response.status_code == 401
    with app.app_context():
        ips = db.session.execute(sa.select(AuditEvent.ip).where(AuditEvent.event == "login_failed")).scalars()
        assert list(ips) == ["203.0.113.7"]
