"""The accessibility statement and the privacy statement: public, editable as content, available offline."""

from __future__ import annotations

from flask import Blueprint, current_app, url_for
from flask_babel import lazy_gettext as _l

from backend.content.schema import Plan
from backend.routes.common import render_page

bp = Blueprint("statements", __name__)

# What the privacy statement says about how long things are kept: (what, config key, how it ends).
RETENTION = (
    (_l("Varsler (sted og tidspunkt)"), "ALERT_HISTORY_DAYS", _l("slettes deretter automatisk")),
    (_l("Endringslogg"), "AUDIT_LOG_RETENTION_DAYS", _l("slettes deretter automatisk")),
    (_l("Serverlogger (side, tid, svarkode)"), "LOG_RETENTION_DAYS", _l("roteres og slettes deretter")),
)


@bp.get("/tilgjengelighet")
def accessibility():
    """Show the accessibility statement (tilgjengelighetserklæring)."""
    return render_page("statements/accessibility.html")


@bp.get("/personvern")
def privacy():
    """Show the privacy statement: what is stored, for how long, who is responsible."""
    retention = [(what, int(current_app.config[key]), then) for what, key, then in RETENTION]
    return render_page("statements/privacy.html", retention=retention)


def urls(plan: Plan) -> list[str]:
    """Return the statement pages (they are public and kept offline like the plan)."""
    return [url_for("statements.accessibility"), url_for("statements.privacy")]
