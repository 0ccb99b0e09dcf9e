"""/healthz for the load balancer, and the 503 page when the database cannot answer."""

from __future__ import annotations

import contextlib
import json
import logging

from flask import Blueprint, Flask, Response, render_template, request

from backend.access_log import describe_request
from backend.extensions import limiter
from backend.routes.common import no_store
from backend.services.db_errors import DATABASE_UNAVAILABLE, describe
from backend.services.health import database_problem
from backend.services.plan import revision_cache

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
# Seconds a client (or the service worker) should wait before asking again.
RETRY_AFTER = "30"


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Say whether this server can answer: 200 ok, or 503 with the reason (never cached)."""
    problem = database_problem()
    known = revision_cache.current() if problem is None else revision_cache.last_known()
    body = {
        "status": "ok" if problem is None else "unavailable",
        "database": problem or "ok",
        "revision": known.revision_id if known else None,
    }
    response = Response(json.dumps(body), status=200 if problem is None else 503, mimetype="application/json")
    if problem is not None:
        response.headers["Retry-After"] = RETRY_AFTER
    return no_store(response)


def unavailable(error: Exception) -> Response:
    """Answer 503 with the numbers to call instead, from the last known plan (no database needed)."""
    from backend.extensions import db

    with contextlib.suppress(DATABASE_UNAVAILABLE):
        db.session.rollback()
    reason = describe(error)
    # The matched route only: never the path, the query string, the body or the SQL (user input).
    log.warning("Database unavailable (%s) on %s", reason, describe_request())
    known = revision_cache.last_known()
    html = render_template(
        "errors/unavailable.html",
        plan=known.plan if known else None,
        current=known,
        alert_not_sent=request.method == "POST" and request.path.startswith("/varsel"),
    )
    response = Response(html, status=503, mimetype="text/html")
    response.headers["Retry-After"] = RETRY_AFTER
    return no_store(response)


def init_app(app: Flask) -> None:
    """Register /healthz and the 503 answer for every database failure."""
    app.register_blueprint(bp)
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, unavailable)
