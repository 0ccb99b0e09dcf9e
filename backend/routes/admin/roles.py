"""Admin: the plan's roles (who does a step, calls a meeting, is called in an emergency), in the draft."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from backend.forms import DeleteForm, EmptyForm, RoleForm
from backend.routes.admin import bp, draft_data, edit, fragment, invalid, move, remove_after_confirm
from backend.services import draft as drafts
from backend.services.plan_edit import fingerprint
from backend.services.plan_edit import roles as role_edit


def _role_or_404(data: dict, role_id: str) -> dict:
    try:
        return role_edit.find_role(data, role_id)
    except drafts.DraftError:
        abort(404)


@bp.get("/roller")
def roles():
    """List the plan's roles, with who holds each and whether it is in the call chain."""
    data = draft_data()
    uses = {role["id"]: role_edit.role_uses(data, role["id"]) for role in data["roles"]}
    return render_template("admin/roles.html", data=data, uses=uses, actions=EmptyForm())


@bp.route("/roller/ny", methods=["GET", "POST"])
def role_new():
    """Add a role to the plan."""
    form = RoleForm()
    context = {"role": None}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/role_form.html", form, **context)
        return render_template("admin/role_form.html", form=form, **context)
    fields = {"label": form.label.data, "call_chain": bool(form.call_chain.data)}
    return edit(
        form,
        "admin/role_form.html",
        lambda plan: role_edit.save_role(plan, None, fields),
        url_for("admin.roles"),
        _("Rollen «%(label)s» er lagt til i utkastet.", label=fields["label"]),
        **context,
    )


@bp.route("/roller/<role_id>", methods=["GET", "POST"])
def role_edit_view(role_id: str):
    """Change a role's name and whether its people are in the call chain."""
    role = _role_or_404(draft_data(), role_id)
    form = RoleForm(data=role if request.method == "GET" else None)
    if request.method == "GET":
        form.base.data = fingerprint(role)
    context = {"role": role}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/role_form.html", form, **context)
        return render_template("admin/role_form.html", form=form, **context)
    fields = {"label": form.label.data, "call_chain": bool(form.call_chain.data)}
    expected = form.base.data or None
    return edit(
        form,
        "admin/role_form.html",
        lambda plan: role_edit.save_role(plan, role_id, fields, expected=expected),
        url_for("admin.roles"),
        _("Rollen «%(label)s» er lagret i utkastet.", label=fields["label"]),
        **context,
    )


@bp.post("/roller/<role_id>/flytt")
def role_move(role_id: str):
    """Move a role one place up or down in the list of roles."""
    return move(
        lambda plan, direction: role_edit.move_role(plan, role_id, direction),
        url_for("admin.roles") + fragment(f"rolle-{role_id}"),
    )


@bp.route("/roller/<role_id>/slett", methods=["GET", "POST"])
def role_remove(role_id: str):
    """Ask before removing a role, and refuse in words while something still names it."""
    data = draft_data()
    role = _role_or_404(data, role_id)
    form = DeleteForm()
    uses = role_edit.role_uses(data, role_id)
    context = {
        "heading": _("Fjerne rollen «%(label)s»?", label=role["label"]),
        "goes": [_("Rollen «%(label)s»", label=role["label"])],
        "blockers": [_("Den brukes av %(use)s.", use=use) for use in uses],
        "back": url_for("admin.roles"),
    }
    if request.method == "GET":
        form.base.data = fingerprint(role)
    expected = form.base.data or None
    return remove_after_confirm(
        form,
        context,
        lambda plan: role_edit.remove_role(plan, role_id, expected=expected),
        url_for("admin.roles"),
        _("Rollen «%(label)s» er fjernet fra utkastet.", label=role["label"]),
    )
