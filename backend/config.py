"""Configuration read from the environment, with safe defaults for a single school server."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for the app; every value can be overridden by an environment variable."""

    # Empty means: generate one into instance/secret_key on first start (see create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # None means: SQLite in instance/ (filled in by create_app, which knows the instance path).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    # Extra create_engine options; backend/db_setup.py fills in pool and timeouts from the values below.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Seconds a request waits for a locked SQLite database before it answers 503.
    DB_BUSY_TIMEOUT = float(os.environ.get("DB_BUSY_TIMEOUT", "5"))
    # PostgreSQL: seconds to connect, seconds one statement may run, and the pool of each worker
    # process (see README, "Database"): pool_size + max_overflow connections at most per process.
    DB_CONNECT_TIMEOUT = float(os.environ.get("DB_CONNECT_TIMEOUT", "5"))
    DB_STATEMENT_TIMEOUT = float(os.environ.get("DB_STATEMENT_TIMEOUT", "10"))
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "5"))
    DB_MAX_OVERFLOW = int(os.environ.get("DB_MAX_OVERFLOW", "5"))
    DB_POOL_TIMEOUT = float(os.environ.get("DB_POOL_TIMEOUT", "5"))
    DB_POOL_RECYCLE = int(os.environ.get("DB_POOL_RECYCLE", "1800"))
    # After the database failed, public pages come from the last known plan for this many seconds
    # before the database is asked again (so an outage does not make every page wait for a timeout).
    DB_RETRY_AFTER = float(os.environ.get("DB_RETRY_AFTER", "5"))
    # Seconds between two looks for a newer plan revision; pages are served from memory in between.
    REVISION_CHECK_INTERVAL = float(os.environ.get("REVISION_CHECK_INTERVAL", "1"))
    # The last known plan is also kept on disk, so a worker that starts while the database is down
    # can still show the plan. Empty means instance/last-plan.json.
    PLAN_SNAPSHOT = os.environ.get("PLAN_SNAPSHOT", "")
    CONTENT_DIR = os.environ.get("CONTENT_DIR", str(ROOT / "content"))
    SCHOOL = os.environ.get("SCHOOL", "halden-vgs")
    # Behind a TLS proxy: cookies get the Secure flag and __Host- names.
    HTTPS = _bool("HTTPS")
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 256 * 1024
    # CSP violations go to /csp-rapport by report-uri; also by report-to (the Reporting API) unless off.
    CSP_REPORT_TO = _bool("CSP_REPORT_TO", True)
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: a page left open for hours still works
    SEND_FILE_MAX_AGE_DEFAULT = 0  # fingerprinted URLs get a year in routes/pwa.py instead
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
        "text/vcard",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    # Static files are compressed once in memory (routes/pwa.py). Flask-Compress would compress a file
    # stream on every request and never close the file, so streamed responses are left alone.
    COMPRESS_STREAMS = False
    COMPRESS_MIN_SIZE = 300
    # How long alerts and the audit log are kept, in days (the privacy page states these), and how long
    # server logs are kept (set the same in journald/logrotate, see deploy/).
    ALERT_RETENTION_DAYS = int(os.environ.get("ALERT_RETENTION_DAYS", "90"))
    AUDIT_LOG_RETENTION_DAYS = int(os.environ.get("AUDIT_LOG_RETENTION_DAYS", "365"))
    LOG_RETENTION_DAYS = int(os.environ.get("LOG_RETENTION_DAYS", "14"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
