"""Admin: the contact list, its groups and the service numbers, edited in the draft."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from backend.forms import (
    ContactForm,
    EmptyForm,
    GroupForm,
)
from backend.routes.admin import actor, bp, draft_data, edit, fragment, invalid, move
from backend.services import draft as drafts
from backend.services import phones, plan_edit
from backend.services.plan_edit import fingerprint


@bp.get("/kontakter")
def contacts():
    """List the contacts of the draft by group, with edit and move buttons."""
    return render_template("admin/contacts.html", data=draft_data(), form=EmptyForm())


def _group_choices(data: dict) -> list[SelectChoice]:
    groups = [SelectChoice(g["id"], g["title"]) for g in data["contacts"]["groups"]]
    return [*groups, SelectChoice("ny", _("Ny gruppe …"))]


def _chain_roles(data: dict) -> list[str]:
    """Return the ids of the roles whose people are called in an urgent procedure."""
    return [r["id"] for r in data["roles"] if r.get("call_chain")]


def _contact_fields(form: ContactForm, data: dict, before: dict | None) -> dict:
    """The form's values; «Ringes i akutte saker» adds or removes the plan's call-chain role(s)."""
    chain = _chain_roles(data)
    roles = [r for r in (before or {}).get("roles", []) if r not in chain]
    if form.call_chain.data and chain:
        roles.append(chain[0])
    return {
        "name": form.name.data,
        "role": form.role.data,
        "phone": form.phone.data,
        "drug_responsible": bool(form.drug_responsible.data),
        "roles": roles,
    }


@bp.route("/kontakter/ny", methods=["GET", "POST"])
def contact_new():
    """Add a person to the contact list."""
    data = draft_data()
    form = ContactForm()
    form.group.choices = _group_choices(data)
    if request.method == "GET":
        form.group.data = request.args.get("gruppe") or data["contacts"]["groups"][-1]["id"]
    context = {"contact": None}
    if not form.validate_on_submit():
        return render_template("admin/contact_form.html", form=form, **context), (
            422 if request.method == "POST" else 200
        )
    fields = _contact_fields(form, data, None)

    def change(plan: dict) -> None:
        plan_edit.save_contact(
            plan, None, fields, group_id=form.group.data, new_group_title=form.new_group.data
        )

    return edit(
        form,
        "admin/contact_form.html",
        change,
        url_for("admin.contacts"),
        _("%(name)s er lagt til i utkastet.", name=fields["name"]),
        **context,
    )


@bp.route("/kontakter/<contact_id>", methods=["GET", "POST"])
def contact_edit(contact_id: str):
    """Change a person's name, role, number, group or marks."""
    data = draft_data()
    try:
        group, _index, contact = plan_edit.find_contact(data, contact_id)
    except drafts.DraftError:
        abort(404)
    form = ContactForm(data=contact if request.method == "GET" else None)
    form.group.choices = _group_choices(data)
    if request.method == "GET":
        form.group.data = group["id"]
        form.phone.data = phones.display(contact["phone"])
        form.call_chain.data = bool(set(contact.get("roles", [])) & set(_chain_roles(data)))
        form.base.data = fingerprint(contact)
    context = {"contact": contact}
    if not form.validate_on_submit():
        return (
            invalid("admin/contact_form.html", form, **context)
            if request.method == "POST"
            else (render_template("admin/contact_form.html", form=form, **context))
        )
    fields = _contact_fields(form, data, contact)

    def change(plan: dict) -> None:
        plan_edit.save_contact(
            plan,
            contact_id,
            fields,
            group_id=form.group.data,
            new_group_title=form.new_group.data,
            expected=form.base.data or None,
        )

    return edit(
        form,
        "admin/contact_form.html",
        change,
        url_for("admin.contacts") + fragment(contact_id),
        _("Endringen av %(name)s er lagret i utkastet.", name=fields["name"]),
        **context,
    )


@bp.post("/kontakter/<contact_id>/slett")
def contact_remove(contact_id: str):
    """Remove a person from the contact list of the draft."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    base = request.form.get("base") or None

    try:
        drafts.update(lambda plan: plan_edit.remove_contact(plan, contact_id, expected=base), actor=actor())
    except drafts.DraftError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.contacts")), 303
    flash(_("Kontakten er fjernet fra utkastet."), "success")
    return redirect(url_for("admin.contacts"))


@bp.post("/kontakter/<contact_id>/flytt")
def contact_move(contact_id: str):
    """Move a person one place up or down in the group."""
    return move(
        lambda plan, direction: plan_edit.move_contact(plan, contact_id, direction),
        url_for("admin.contacts") + fragment(contact_id),
    )


@bp.post("/kontakter/gruppe/<group_id>/flytt")
def group_move(group_id: str):
    """Move a contact group one place up or down."""
    return move(
        lambda plan, direction: plan_edit.move_group(plan, group_id, direction),
        url_for("admin.contacts") + fragment(f"gruppe-{group_id}"),
    )


@bp.route("/kontakter/gruppe/<group_id>", methods=["GET", "POST"])
def group_edit(group_id: str):
    """Change the heading of a contact group."""
    try:
        group = plan_edit.find_group(draft_data(), group_id)
    except drafts.DraftError:
        abort(404)
    form = GroupForm(data=group if request.method == "GET" else None)
    context = {"group": group}
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/group_form.html", form, **context)
        return render_template("admin/group_form.html", form=form, **context)
    title = form.title.data
    return edit(
        form,
        "admin/group_form.html",
        lambda plan: plan_edit.rename_group(plan, group_id, title),
        url_for("admin.contacts"),
        _("Overskriften er lagret i utkastet."),
        **context,
    )


@bp.get("/kontakter/politi")
def police():
    """The old police form's address: the service numbers are edited as a list now."""
    return redirect(url_for("admin.services"), 301)
