"""Content-Security-Policy violation reports: counted and logged, nothing personal kept.

Browsers POST here (report-uri, and report-to through the Reporting-Endpoints header) when a page
breaks the policy. Only CSP's own name for the directive and the kind of blocked resource (inline,
eval, same origin, other origin) are kept: the full report holds the page URL with its query string,
the referrer, a code sample and the blocked URL, any of which may be personal, and none of it is
copied into a log or a counter.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, request
from flask_babel import gettext as _

from backend.extensions import csrf, limiter
from backend.json_input import parse_json

bp = Blueprint("csp", __name__)
log = logging.getLogger(__name__)

REPORT_PATH = "/csp-rapport"
ENDPOINT_NAME = "csp"
REPORT_TYPES = {"application/csp-report", "application/json", "application/reports+json"}
MAX_REPORT_BYTES = 16 * 1024
MAX_VIOLATIONS_PER_REQUEST = 20
# CSP's own directive names (CSP Level 3 and the drafts browsers report): a report names one of these,
# or it is logged as "unknown". Nothing else from a report is ever copied into the log.
DIRECTIVES = frozenset(
    {
        "base-uri",
        "block-all-mixed-content",
        "child-src",
        "connect-src",
        "default-src",
        "fenced-frame-src",
        "font-src",
        "form-action",
        "frame-ancestors",
        "frame-src",
        "img-src",
        "manifest-src",
        "media-src",
        "navigate-to",
        "object-src",
        "plugin-types",
        "prefetch-src",
        "report-to",
        "report-uri",
        "require-sri-for",
        "require-trusted-types-for",
        "sandbox",
        "script-src",
        "script-src-attr",
        "script-src-elem",
        "style-src",
        "style-src-attr",
        "style-src-elem",
        "trusted-types",
        "upgrade-insecure-requests",
        "webrtc",
        "worker-src",
    }
)
UNKNOWN = "unknown"
# The kinds of blocked resource the log may name.
INLINE, EVAL, SAME_ORIGIN, OTHER_ORIGIN = "inline", "eval", "same origin", "other origin"


class CspReports:
    """How many violations arrived, per (directive, kind of blocked resource); kept in memory only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, directive: str, kind: str) -> None:
        """Count one violation."""
        with self._lock:
            self.counts[(directive, kind)] += 1

    def total(self) -> int:
        """Return how many violations arrived since the start."""
        with self._lock:
            return sum(self.counts.values())


def reports() -> CspReports:
    """Return the app's violation counter."""
    return current_app.extensions["rusplan.csp_reports"]


def _directive(value: object) -> str:
    """Return the report's directive if it is one of CSP's own names, else "unknown"."""
    word = value.split(" ", 1)[0].strip().lower() if isinstance(value, str) else ""
    return word if word in DIRECTIVES else UNKNOWN


def _kind(value: object, own_origin: str | None) -> str:
    """Say what kind of resource was blocked: inline, eval, same origin or other origin (or unknown).

    The blocked URL itself (and even its host) never leaves this function: a report can carry anything.
    """
    text = value.strip().lower() if isinstance(value, str) else ""
    if text == "inline":
        return INLINE
    if text in {"eval", "wasm-eval"}:
        return EVAL
    if not text:
        return UNKNOWN
    try:
        parts = urlsplit(text)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
    except ValueError:
        return UNKNOWN
    if text == "self" or (origin is not None and own_origin is not None and origin == own_origin):
        return SAME_ORIGIN
    if parts.scheme:
        return OTHER_ORIGIN
    return UNKNOWN


def violations(data: object, own_origin: str | None = None) -> list[tuple[str, str]]:
    """Return (directive, kind of blocked resource) of each violation in a report-uri or Reporting body."""
    found: list[tuple[str, str]] = []
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        body = data["csp-report"]
        found.append(
            (
                _directive(body.get("effective-directive") or body.get("violated-directive")),
                _kind(body.get("blocked-uri"), own_origin),
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
                found.append(
                    (_directive(body.get("effectiveDirective")), _kind(body.get("blockedURL"), own_origin))
                )
    return found


@bp.post(REPORT_PATH)
@csrf.exempt
@limiter.limit("60 per minute")
def report():
    """Count and log a violation report from a browser (directive name and kind of resource only)."""
    if request.mimetype not in REPORT_TYPES:
        abort(400, description=_("Ukjent rapportformat."))
    if request.content_length is not None and request.content_length > MAX_REPORT_BYTES:
        abort(413)
    raw = request.stream.read(MAX_REPORT_BYTES + 1)
    if len(raw) > MAX_REPORT_BYTES:
        abort(413)
    data = parse_json(raw)
    found = violations(data, request.host_url.rstrip("/").lower())
    if not found:
        abort(400, description=_("Rapporten inneholder ingen brudd på sikkerhetsreglene."))
    counter = reports()
    for directive, kind in found:
        counter.add(directive, kind)
        log.warning("CSP violation: %s blocked %s", directive, kind)
    return "", 204


def init_app(app: Flask) -> None:
    """Register the report endpoint and its counter."""
    app.extensions["rusplan.csp_reports"] = CspReports()
    app.register_blueprint(bp)
