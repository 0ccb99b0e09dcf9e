"""The production setup in the repository agrees with the app: proxy headers, limits, logs, sizing."""

from __future__ import annotations

import re
import runpy

from tests.conftest import ROOT

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


def test_nginx_logs_no_query_string_and_a_shortened_address():
    """$uri, not $request or $args; the client address cut to its network."""
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    log_format = conf.split("log_format rusplan", 1)[1].split(";", 1)[0]
    assert "$uri" in log_format
    for personal in ("$request ", '$request"', "$args", "$query_string", "$remote_addr", "$http_referer"):
        assert personal not in log_format
    assert "$rusplan_client_net" in log_format


def test_systemd_runs_the_repositorys_gunicorn_config_with_enough_file_descriptors():
    """The unit starts what `make run` starts, migrates first, and can hold 1,200 connections."""
    unit = (DEPLOY / "rusplan.service").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=.*gunicorn -c gunicorn\.conf\.py wsgi:app$", unit, re.M)
    assert "flask --app wsgi db upgrade" in unit
    assert int(re.search(r"^LimitNOFILE=(\d+)$", unit, re.M)[1]) >= 4096
    assert "ReadWritePaths=/srv/rusplan/instance" in unit
