"""The production setup in the repository agrees with the app: proxy headers, limits, logs, sizing."""

from __future__ import annotations

import gc
import re
import runpy
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import brotli
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.services import plan as plan_service
from benchmarks import nginx_local
from tests.browser.conftest import LiveServer
from tests.conftest import CONTENT, ROOT, make_app

DEPLOY = ROOT / "deploy"


def gunicorn_settings() -> dict:
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_holds_a_whole_school_of_connections():
    """Threaded workers whose connection slots together exceed the 1,200 phones of the load test."""
    settings = gunicorn_settings()
    assert settings["worker_class"] == "gthread"
    assert settings["workers"] * settings["worker_connections"] >= 1200
    assert settings["backlog"] >= 1200


def test_the_access_log_has_no_query_string_and_no_address():
    """%(U)s is the matched route (AccessLogger); %(q)s, %(r)s and %(h)s (the address) never appear."""
    assert gunicorn_settings()["logger_class"] == "backend.access_log.AccessLogger"
    log_format = gunicorn_settings()["access_log_format"]
    assert "%(U)s" in log_format
    for personal in ("%(q)s", "%(r)s", "%(h)s", "%({x-forwarded-for}i)s", "%(f)s", "%(a)s"):
        assert personal not in log_format


def test_nginx_sends_exactly_the_headers_proxyfix_trusts(app):
    """X-Forwarded-For, -Proto and -Host from one proxy; bodies up to the app's limit reach the app."""
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Host"):
        assert re.search(rf"proxy_set_header\s+{header}\s", conf), header
    limit_kb = int(re.search(r"client_max_body_size\s+(\d+)k;", conf)[1])
    assert limit_kb * 1024 > app.config["MAX_CONTENT_LENGTH"]
    assert re.search(r"^\s*gzip off;", conf, re.M)
    assert re.search(r"location = /sw\.js \{[^}]*no-cache", conf)


def test_nginx_logs_no_path_no_query_string_and_a_shortened_address():
    """No $uri, $request or $args (a path can carry a name or a token); the address cut to its network."""
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    log_format = conf.split("log_format rusplan", 1)[1].split(";", 1)[0]
    assert "$request_method" in log_format
    for personal in (
        "$uri",
        "$request_uri",
        "$request ",
        '$request"',
        "$args",
        "$query_string",
        "$remote_addr",
        "$http_referer",
    ):
        assert personal not in log_format
    assert "$rusplan_client_net" in log_format


def test_systemd_runs_the_repositorys_gunicorn_config_with_enough_file_descriptors():
    """The unit starts what `make run` starts, migrates first, and can hold 1,200 connections."""
    unit = (DEPLOY / "rusplan.service").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=.*gunicorn -c gunicorn\.conf\.py wsgi:app$", unit, re.M)
    assert "flask --app wsgi db upgrade" in unit
    assert int(re.search(r"^LimitNOFILE=(\d+)$", unit, re.M)[1]) >= 4096
    assert "ReadWritePaths=/srv/rusplan/instance" in unit


# ---- nginx: the production file is valid, and its cache behaves (issue 15) ----


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """Write a throwaway certificate and key for rusplan.example.no, so `nginx -t` can read TLS too."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rusplan.example.no")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def nginx_command(conf: Path) -> list[str]:
    """nginx with everything (prefix, configuration, error log) in the generated folder."""
    return ["nginx", "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log")]


def nginx_test(conf: Path) -> subprocess.CompletedProcess:
    """Run `nginx -t` on a generated configuration (installed by `make test`, like chromium)."""
    assert shutil.which("nginx"), "nginx is missing: make nginx (or apt-get install nginx ...)"
    return subprocess.run(
        [*nginx_command(conf), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_nginx_accepts_the_deploy_file_with_its_tls_settings(tmp_path):
    """deploy/nginx.conf as it is, with a throwaway certificate in place of Let's Encrypt's."""
    tls = _self_signed(tmp_path)
    conf = nginx_local.write(tmp_path / "tls", port=8443, app_port=5000, tls=tls)
    text = conf.read_text(encoding="utf-8")
    assert "ssl http2;" in text and "ssl_protocols TLSv1.2 TLSv1.3;" in text
    result = nginx_test(conf)
    assert result.returncode == 0, result.stderr


def test_nginx_accepts_the_plain_copy_the_load_test_runs(tmp_path):
    """The copy `make load` starts: plain HTTP on 127.0.0.1, same caching, static files and proxy."""
    conf = nginx_local.write(
        tmp_path / "plain", port=8080, app_port=5000, static_port=8081, static_root=tmp_path
    )
    text = conf.read_text(encoding="utf-8")
    assert "ssl" not in text and "listen 127.0.0.1:8080;" in text and "server 127.0.0.1:5000;" in text
    result = nginx_test(conf)
    assert result.returncode == 0, result.stderr


def test_the_local_copy_fails_loudly_when_the_deploy_file_changes_shape(monkeypatch, tmp_path):
    """A production file the substitutions no longer fit is an error, not a silently different copy."""
    changed = tmp_path / "nginx.conf"
    changed.write_text(
        (DEPLOY / "nginx.conf")
        .read_text(encoding="utf-8")
        .replace("listen 443 ssl http2;", "listen 443 ssl;"),
        encoding="utf-8",
    )
    monkeypatch.setattr(nginx_local, "DEPLOY", changed)
    with pytest.raises(ValueError, match=r"deploy/nginx\.conf changed"):
        nginx_local.site(tmp_path, port=8080, app_port=5000)


def test_nginx_caches_only_what_the_app_marks_public():
    """Caching follows the app's Cache-Control: no fixed lifetimes, no ignored headers, cookies bypass."""
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "proxy_cache_valid" not in conf  # only the app's Cache-Control decides what is kept
    assert "proxy_ignore_headers" not in conf  # Set-Cookie, Cache-Control and Vary are honoured
    assert re.search(r"proxy_cache_bypass \$rusplan_personal;", conf)
    assert re.search(r"proxy_no_cache \$rusplan_personal;", conf)
    for cookie in ("__Host-session", "session", "__Host-remember", "remember_token"):
        assert re.search(rf"\(.*\b{re.escape(cookie)}\b.*\)=", conf), cookie
    assert re.search(r"proxy_cache_revalidate on;", conf)


def _get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture
def proxied(tmp_path):
    """The app behind nginx started from the plain copy of deploy/nginx.conf; yields (app, nginx URL)."""
    app = make_app(tmp_path)
    server = LiveServer(app).start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = nginx_local.write(tmp_path / "nginx", port=port, app_port=server.server.server_port)
    assert nginx_test(conf).returncode == 0
    process = subprocess.Popen(
        [
            "nginx",
            "-p",
            str(conf.parent),
            "-c",
            str(conf),
            "-e",
            str(conf.parent / "error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                _get(f"{url}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, (conf.parent / "error.log").read_text(encoding="utf-8")
                time.sleep(0.05)
        yield app, url
    finally:
        process.terminate()
        process.wait(timeout=10)
        server.stop()


def test_nginx_serves_public_pages_from_its_cache_and_shows_a_publish_within_seconds(proxied, tmp_path):
    """A public page comes from nginx's cache the second time; a new revision shows within seconds."""
    app, url = proxied
    br = {"Accept-Encoding": "br"}
    first = _get(f"{url}/sjekkliste", br)
    second = _get(f"{url}/sjekkliste", br)
    assert first[0] == second[0] == 200
    # From nginx's copy: HIT within the second; on a slow machine it may already be revalidating.
    assert second[1]["X-Cache-Status"] in {"HIT", "STALE", "UPDATING", "REVALIDATED"}
    assert second[2] == first[2]
    assert brotli.decompress(second[2]).decode().count("Har eleven sluttet") == 1
    assert _get(f"{url}/sjekkliste", {**br, "If-None-Match": first[1]["ETag"]})[0] == 304

    folder = tmp_path / "halden-vgs"
    shutil.copytree(CONTENT, folder)
    checklist = folder / "checklists.yaml"
    text = checklist.read_text(encoding="utf-8").replace("Har eleven sluttet", "Har eleven kanskje sluttet")
    checklist.write_text(text, encoding="utf-8")
    with app.app_context():
        plan_service.import_folder(folder)
    published = time.monotonic()
    while "kanskje sluttet" not in brotli.decompress(_get(f"{url}/sjekkliste", br)[2]).decode():
        assert time.monotonic() - published < 4, "the publish did not show through nginx within 4 s"
        time.sleep(0.1)


def test_nginx_never_stores_personal_answers(proxied):
    """With the session cookie nginx asks the app every time; the login page is never stored."""
    _app, url = proxied
    for _ in range(2):
        personal = _get(f"{url}/", {"Cookie": "session=abc"})
        assert personal[1]["X-Cache-Status"] == "BYPASS"
        assert "private" in personal[1]["Cache-Control"]
        login = _get(f"{url}/konto/logg-inn")
        assert login[0] == 200 and login[1]["X-Cache-Status"] != "HIT"


def test_nginx_serves_static_files_from_disk(proxied):
    """Fingerprinted files are kept a year, with nosniff, and never pass through the app's cache."""
    _app, url = proxied
    page = _get(f"{url}/")[2].decode()
    css = re.search(r'href="(/static/css/app\.css\?v=\w+)"', page)[1]
    status, headers, body = _get(f"{url}{css}")
    assert status == 200 and body == (ROOT / "frontend" / "static" / "css" / "app.css").read_bytes()
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Cache-Status" not in headers  # from disk, not through the proxy
    assert _get(f"{url}/static/css/app.css")[1]["Cache-Control"] == "no-cache"


def test_each_worker_freezes_what_it_loaded_out_of_the_garbage_collectors_way(monkeypatch):
    """After the app is loaded, gc.freeze(): full collections no longer walk it (p99, issue 15)."""
    from backend.services.alerts import sender as push_sender

    started = []
    monkeypatch.setattr(push_sender, "start_sender", started.append)
    settings = gunicorn_settings()
    assert settings["reuse_port"] is True  # one listening socket per worker: connections spread evenly
    worker = type("Worker", (), {"wsgi": object()})()
    try:
        settings["post_worker_init"](worker)
        assert started == [worker.wsgi]
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
