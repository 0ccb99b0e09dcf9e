"""Which of the plan's procedures an alert can be about, and how an alert names one.

An alert can be about any urgent procedure of the current plan, whatever the school calls it; the
ids, labels and titles come from the plan, never from code. A stored alert keeps the procedure's id,
so an alert about a procedure the plan has since dropped still shows (by its id).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Said when a submitted id is not an urgent procedure of the current plan (a stale page, a hand-made
# request, a plan changed since the form was opened).
UNKNOWN_PROCEDURE = _l("Velg et av planens akutte alternativer fra listen.")
NO_PLAN = _l("Planen er ikke lastet inn ennå. Ring ledelsen.")


def current_plan():
    """Return the plan of the current revision, or None before any plan has been imported."""
    from backend.services.plan import revision_cache

    current = revision_cache.current()
    return current.plan if current is not None else None


def alert_procedures(plan) -> list:
    """Return the procedures an alert can be about: the plan's urgent ones, in the plan's order."""
    return plan.urgent_procedures() if plan is not None else []


def alert_procedure(plan, procedure_id: object):
    """Return the urgent procedure with this id, or None when the plan has no urgent procedure by it."""
    if plan is None or not isinstance(procedure_id, str):
        return None
    found = plan.procedure(procedure_id)
    return found if found is not None and found.urgent else None


def procedure_text(plan, procedure_id: str) -> str:
    """Return «<label>: <title>» in the plan's own words; the bare id when the plan no longer has it."""
    found = plan.procedure(procedure_id) if plan is not None else None
    if found is None:
        return procedure_id
    return f"{found.label}: {found.title}"


def procedure_services(plan, procedure) -> list:
    """Return the service numbers the leadership calls in this procedure (the police, the child welfare
    emergency service ...), in the plan's order of services."""
    if plan is None or procedure is None:
        return []
    return plan.procedure_services(procedure)
