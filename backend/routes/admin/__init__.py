"""Administration under /admin: edit the draft of the plan, publish it, see and restore revisions, users, log.

Every view needs an admin with two-factor login who typed the password recently (see before_request).
Edits go to the shared draft; nothing reaches the public site before "Publiser".

This module holds the one `admin` blueprint, its guard and context and the shared edit helper; the
views register on it from contacts.py, plan.py, revisions.py and users.py (create_app imports them).
places.py keeps its own `places` blueprint (its endpoint names) behind the same guard.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import quote

from flask import Blueprint, flash, redirect, render_template, request
from flask_login import current_user

from backend import auth
from backend.routes.common import no_store
from backend.services import accounts, diff
from backend.services import draft as drafts
from backend.services import plan as plan_service
from backend.services.plan_edit import EditConflict

bp = Blueprint("admin", __name__, url_prefix="/admin")


def fragment(anchor: str) -> str:
    """A #fragment for a redirect: the id comes from the URL, so it is quoted (a CR/LF would break
    the Location header and give a 500)."""
    return "#" + quote(anchor, safe="-_")


def fresh_admin_only():
    """Admins with two-factor login only, and the password typed recently (/admin and /admin/steder)."""
    problem = auth.check_roles(("admin",))
    if problem is not None:
        return problem
    return auth.check_fresh()


@bp.before_request
def _admins_only():
    """Admins with two-factor login only, and the password typed recently; the plan must be imported."""
    problem = fresh_admin_only()
    if problem is not None:
        return problem
    if plan_service.latest_revision() is None:
        return render_template("admin/no_plan.html"), 503
    return None


bp.after_request(no_store)  # admin pages are personal


def today() -> date:
    """Return today's date (tests replace accounts.now to move it)."""
    return accounts.now().date()


@bp.context_processor
def admin_context():
    """The admin menu's context: the draft. (The overdue review is account/_review.html's, for every
    signed-in leader and admin, from the live plan.)"""
    if plan_service.latest_revision() is None:
        return {"current_user": current_user, "plan": None, "draft": None}
    draft = drafts.current()
    plan_service.revision_cache.current()  # finds out whether the newest revision can be shown
    return {
        "rejected_revision": plan_service.revision_cache.rejected,
        "current_user": current_user,
        "plan": None,
        "draft": draft,
        "actor_labels_all": diff.AUDIENCES,
        "role_labels": {r["id"]: r["label"] for r in draft.data.get("roles", [])},
    }


def actor() -> str:
    """Return who is making the change, as stored in revisions and the log."""
    return current_user.email


def move(change: Callable[[dict, str], None], back: str):
    """Move an item of a draft list one place up or down (the form's `retning`), then go back to it.

    A move that cannot be made (first item up, an item someone else removed) is said in a message.
    """
    direction = request.form.get("retning", "")
    try:
        drafts.update(lambda plan: change(plan, direction), actor=actor())
    except drafts.DraftError as error:
        flash(str(error), "error")
    return redirect(back)


def edit(form, template: str, change: Callable[[dict], None], done: str, message: str, **context):
    """Apply a change to the draft; on bad input show the form again with the reason and save nothing."""
    try:
        drafts.update(change, actor=actor())
    except EditConflict as error:
        form.form_errors.append(str(error))
        return render_template(template, form=form, **context), 409
    except drafts.DraftError as error:
        form.form_errors.append(str(error))
        return render_template(template, form=form, **context), 422
    flash(message, "success")
    return redirect(done)


def invalid(template: str, form, **context):
    """Show a form again with its field errors (422)."""
    return render_template(template, form=form, **context), 422


def draft_data() -> dict:
    """Return the draft's data (or the published plan's, when there is no draft)."""
    return drafts.current().data


@bp.get("")
def index():
    """Start page of the administration: what can be edited and whether there is a draft to publish."""
    current = drafts.current()
    changes = diff.compare(drafts.revision(current.latest_revision_id).data, current.data)
    return render_template("admin/index.html", changes=changes)


def remove_after_confirm(form, context: dict, change: Callable[[dict], None], done: str, message: str):
    """A «Fjern …?» page: GET shows what goes (and what stops it); a confirmed POST applies the removal.

    A refusal (something still uses the item, or it changed meanwhile) shows the page again with the
    reason; nothing is removed without the page's own button.
    """
    if request.method == "GET":
        return render_template("admin/confirm_remove.html", form=form, **context)
    if not form.validate_on_submit():
        return render_template("admin/confirm_remove.html", form=form, **context), 400
    try:
        drafts.update(change, actor=actor())
    except drafts.DraftError as error:
        form.form_errors.extend(getattr(error, "problems", None) or [str(error)])
        return render_template("admin/confirm_remove.html", form=form, **context), 409
    flash(message, "success")
    return redirect(done)
