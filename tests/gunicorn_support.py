"""gunicorn as `make run` starts it (gunicorn.conf.py, its default two workers), on 127.0.0.1.

For the tests that only hold with real worker processes: limits shared between workers, and what
gunicorn's own access log writes. The app's database is made by make_app (migrated, plan imported)
and handed over by its URL; the server is stopped (and waited for) when the test ends.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

from backend.extensions import db
from tests.conftest import ROOT

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """One gunicorn master with its workers; logs go to files under `folder`."""

    def __init__(self, app, folder: Path, *, extra_args: tuple[str, ...] = (), **environment: str):
        with app.app_context():
            url = db.engine.url.render_as_string(hide_password=False)
            db.engine.dispose()
        self.port = free_port()
        self.access_log = folder / "gunicorn-stdout.log"
        self.error_log = folder / "gunicorn-stderr.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RATELIMIT_", "LOGIN_", "HTTPS", "TRUSTED_PROXIES", "WEB_"))
        }
        self.env.update(
            {
                "SECRET_KEY": "gunicorn-test-secret",
                "DATABASE_URL": url,
                "PLAN_SNAPSHOT": str(folder / "last-plan.json"),
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "ARGON2_TIME_COST": "1",
                "ARGON2_MEMORY_COST": "8",
                "PUSH_POLL_SECONDS": "60",
                "PYTHONUNBUFFERED": "1",
                **environment,
            }
        )
        self.args = [str(GUNICORN), "-c", "gunicorn.conf.py", *extra_args, "wsgi:app"]
        self.process: subprocess.Popen | None = None

    def start(self, workers: int = 2, timeout: float = 60) -> Gunicorn:
        with self.access_log.open("wb") as out, self.error_log.open("wb") as err:
            self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while len(re.findall(r"Booting worker with pid", self.errors())) < workers:
            assert self.process.poll() is None, self.errors()
            assert time.monotonic() < deadline, self.errors()
            time.sleep(0.1)
        while True:  # the workers import the app after they say they boot: wait until one answers
            try:
                if self.request("GET", "/healthz")[0] in {200, 503}:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, self.errors()
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def errors(self) -> str:
        return self.error_log.read_text(encoding="utf-8", errors="replace")

    def log_text(self) -> str:
        """Everything gunicorn and the app wrote: access log and error log."""
        return self.access_log.read_text(encoding="utf-8", errors="replace") + self.errors()

    def request(
        self,
        method: str,
        target: str,
        *,
        body: bytes | dict | None = None,
        headers: dict | None = None,
        source: str = "127.0.0.1",
    ) -> tuple[int, dict, bytes]:
        """Send one request on a new connection (from `source`, any 127.x address) with a raw target."""
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = urlencode(body).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(source, 0)
        )
        try:
            connection.putrequest(method, target, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


def session_and_token(server: Gunicorn, path: str = "/konto/logg-inn", source: str = "127.0.0.1"):
    """GET a form page: return (Cookie header value, CSRF token)."""
    status, headers, body = server.request("GET", path, source=source)
    assert status == 200, status
    cookie = headers["set-cookie"].split(";", 1)[0]
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body)
    assert token, body[:300]
    return cookie, token.group(1).decode()
