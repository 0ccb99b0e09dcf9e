"""Emergency mode ("Akutt") for the plan's urgent procedures: the call chain first, then the steps."""

from __future__ import annotations

from flask import Blueprint, abort, url_for

from backend.content.schema import Plan
from backend.routes.common import current_plan, render_page
from backend.services import alerts

bp = Blueprint("emergency", __name__, url_prefix="/akutt")


@bp.get("")
def index():
    """Show the call chain at once, with a choice between the urgent procedures below it."""
    return render_page("emergency/index.html")


@bp.get("/<alternative_id>")
def alternative(alternative_id: str):
    """Show the emergency screen of an urgent procedure."""
    plan = current_plan().plan
    found = plan.procedure(alternative_id)
    if found is None or not found.urgent:
        abort(404)
    # The numbers the leadership calls here come from the plan (for example the police).
    return render_page(
        "emergency/alternative.html", alternative=found, services=alerts.procedure_services(plan, found)
    )


def urls(plan: Plan) -> list[str]:
    """Return every page of the emergency mode for a plan."""
    pages = [url_for("emergency.index")]
    pages += [url_for("emergency.alternative", alternative_id=p.id) for p in plan.urgent_procedures()]
    return pages
