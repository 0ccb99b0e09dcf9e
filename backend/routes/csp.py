"""Content-Security-Policy violation reports: counted and logged, nothing personal kept.

Browsers POST here (report-uri, and report-to through the Reporting-Endpoints header) when a page
breaks the policy. Only the directive and the blocked resource's origin are kept: the full report
holds the page URL with its query string, the referrer and a code sample, which may be personal.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, request

from backend.extensions import csrf, limiter
from backend.json_input import parse_json

bp = Blueprint("csp", __name__)
log = logging.getLogger(__name__)

REPORT_PATH = "/csp-rapport"
ENDPOINT_NAME = "csp"
REPORT_TYPES = {"application/csp-report", "application/json", "application/reports+json"}
MAX_REPORT_BYTES = 16 * 1024
MAX_VIOLATIONS_PER_REQUEST = 20
# Values of blocked-uri that are keywords, not URLs.
KEYWORDS = {
    "inline",
    "eval",
    "wasm-eval",
    "self",
    "data",
    "blob",
    "trusted-types-policy",
    "trusted-types-sink",
}
DIRECTIVE_RE = re.compile(r"^[a-z][a-z-]{0,39}$")


class CspReports:
    """How many violations arrived, per (directive, blocked origin); kept in memory only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, directive: str, origin: str) -> None:
        """Count one violation."""
        with self._lock:
            self.counts[(directive, origin)] += 1

    def total(self) -> int:
        """Return how many violations arrived since the start."""
        with self._lock:
            return sum(self.counts.values())


def reports() -> CspReports:
    """Return the app's violation counter."""
    return current_app.extensions["rusplan.csp_reports"]


def _directive(value: object) -> str:
    word = str(value or "").split(" ", 1)[0].strip().lower()
    return word if DIRECTIVE_RE.match(word) else "ukjent"


def _origin(value: object) -> str:
    """Reduce a blocked URL to its origin (scheme, host, port): never a path or a query string."""
    text = str(value or "").strip()
    if text.lower() in KEYWORDS or not text:
        return text.lower() or "ukjent"
    parts = urlsplit(text)
    if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}"[:100]
    scheme = text.split(":", 1)[0].lower()
    return scheme if re.fullmatch(r"[a-z][a-z0-9+.-]{0,30}", scheme) else "ukjent"


def violations(data: object) -> list[tuple[str, str]]:
    """Return (directive, blocked origin) of each violation in a report-uri or Reporting API body."""
    found: list[tuple[str, str]] = []
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        body = data["csp-report"]
        found.append(
            (
                _directive(body.get("effective-directive") or body.get("violated-directive")),
                _origin(body.get("blocked-uri")),
            )
        )
    elif isinstance(data, list):
        for item in data[:MAX_VIOLATIONS_PER_REQUEST]:
            if (
                isinstance(item, dict)
                and item.get("type") == "csp-violation"
                and isinstance(item.get("body"), dict)
            ):
                body = item["body"]
                found.append((_directive(body.get("effectiveDirective")), _origin(body.get("blockedURL"))))
    return found


@bp.post(REPORT_PATH)
@csrf.exempt
@limiter.limit("60 per minute")
def report():
    """Count and log a violation report from a browser (directive and origin only)."""
    if request.mimetype not in REPORT_TYPES:
        abort(400, description="Ukjent rapportformat.")
    if request.content_length is not None and request.content_length > MAX_REPORT_BYTES:
        abort(413)
    raw = request.stream.read(MAX_REPORT_BYTES + 1)
    if len(raw) > MAX_REPORT_BYTES:
        abort(413)
    data = parse_json(raw)
    found = violations(data)
    if not found:
        abort(400, description="Rapporten inneholder ingen brudd på sikkerhetsreglene.")
    counter = reports()
    for directive, origin in found:
        counter.add(directive, origin)
        log.warning("CSP violation: %s blocked %s", directive, origin)
    return "", 204


def init_app(app: Flask) -> None:
    """Register the report endpoint and its counter."""
    app.extensions["rusplan.csp_reports"] = CspReports()
    app.register_blueprint(bp)
