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
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    CONTENT_DIR = os.environ.get("CONTENT_DIR", str(ROOT / "content"))
    SCHOOL = os.environ.get("SCHOOL", "halden-vgs")
    # Behind a TLS proxy: cookies get the Secure flag and __Host- names.
    HTTPS = _bool("HTTPS")
    MAX_CONTENT_LENGTH = 256 * 1024
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
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
