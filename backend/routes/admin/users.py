"""Admin: accounts, invitations and the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend.forms import (
    BulkInviteForm,
    ContactLinkForm,
    EmptyForm,
    InviteForm,
    RolesForm,
)
from backend.models import User, as_utc
from backend.routes.admin import actor, bp, invalid
from backend.routes.common import current_plan
from backend.services import accounts, audit, contact_links, mail, notices, qr


@bp.get("/brukere")
def users():
    """List the staff accounts: status, two-factor, last sign-in, alerts on, the person in the plan."""
    contacts = {contact.id: contact.name for contact in current_plan().plan.all_contacts()}
    return render_template(
        "admin/users.html",
        users=accounts.all_users(),
        alert_devices=accounts.alert_devices(),
        contact_names=contacts,
    )


def _invitation_link(token: str) -> str:
    return url_for("account.invitation", token=token, _external=True)


@bp.route("/brukere/ny", methods=["GET", "POST"])
def user_new():
    """Invite a member of staff: make the account and a one-time link (also as a QR code)."""
    form = InviteForm()  # no role ticked: the admin chooses (a leader gets emergency alerts)
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/user_new.html", form)
        return render_template("admin/user_new.html", form=form)
    try:
        user = accounts.create_user(form.email.data, form.name.data, form.roles.data, actor=actor())
    except accounts.AccountError as error:
        form.email.errors = [str(error)]
        return invalid("admin/user_new.html", form)
    token, invitation = accounts.create_invitation(user, actor=actor())
    return _show_invitation(user, token, invitation)


@bp.route("/brukere/flere", methods=["GET", "POST"])
def users_new_many():
    """Invite several people from a pasted list: each gets their own link (and mail); all or none."""
    form = BulkInviteForm()
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("admin/users_new_many.html", form, problems=[], mail_on=mail.configured())
        return render_template("admin/users_new_many.html", form=form, problems=[], mail_on=mail.configured())
    people, problems = accounts.parse_invitation_lines(form.people.data)
    if problems:
        return invalid("admin/users_new_many.html", form, problems=problems, mail_on=mail.configured())
    try:
        invited = accounts.invite_many(people, actor=actor())
    except accounts.AccountError as error:  # someone made one of the accounts meanwhile
        return invalid("admin/users_new_many.html", form, problems=[str(error)], mail_on=mail.configured())
    results = [
        {
            "user": found.user,
            "link": _invitation_link(found.token),
            "expires_at": as_utc(found.invitation.expires_at),
        }
        for found in invited
    ]
    mailed = notices.send_invitations(
        [(result["user"], result["link"], result["expires_at"]) for result in results], invited_by=actor()
    )
    return render_template("admin/invitations.html", results=results, mailed=mailed)


def _show_invitation(user: User, token: str, invitation):
    link = _invitation_link(token)
    mailed = notices.send_invitation(user, link, as_utc(invitation.expires_at), invited_by=actor())
    return render_template(
        "admin/invitation.html",
        mailed=mailed,
        user=user,
        link=link,
        qr_svg=qr.svg(link, _("QR-kode med invitasjonen til %(name)s", name=user.name)),
        expires_at=as_utc(invitation.expires_at),
    )


def _user_or_404(user_id: int) -> User:
    user = accounts.get_user(user_id)
    if user is None:
        abort(404)
    return user


def _plan():
    return current_plan().plan


def _link_form(user: User, formdata=None) -> ContactLinkForm:
    """The choice of the person in the plan's contact list this account is (never guessed by name)."""
    plan = _plan()
    form = ContactLinkForm(formdata=formdata, data={"contact": user.contact_id or ""})
    contacts = plan.all_contacts() if plan is not None else []
    form.contact.choices = [("", _("Ingen"))] + [(c.id, f"{c.name} ({c.role})") for c in contacts]
    if user.contact_id and not any(c.id == user.contact_id for c in contacts):
        form.contact.choices.append((user.contact_id, _("Finnes ikke lenger i planen")))
    return form


@bp.get("/brukere/<dbid:user_id>")
def user(user_id: int):
    """Show a user: roles, status, and buttons to change them."""
    found = _user_or_404(user_id)
    form = RolesForm(data={"roles": found.roles})
    return render_template(
        "admin/user.html", user=found, form=form, actions=EmptyForm(), link_form=_link_form(found)
    )


@bp.post("/brukere/<dbid:user_id>/kontakt")
def user_contact(user_id: int):
    """Link an account to a person in the plan's contact list (or remove the link)."""
    found = _user_or_404(user_id)
    link_form = _link_form(found, formdata=request.form)
    roles = RolesForm(data={"roles": found.roles})
    if link_form.validate_on_submit():
        try:
            contact_links.link_contact(found, link_form.contact.data or None, _plan(), actor=actor())
        except contact_links.ContactLinkError as error:
            link_form.contact.errors = [str(error)]
        else:
            flash(_("Koblingen til kontaktlisten er lagret."), "success")
            return redirect(url_for("admin.user", user_id=user_id))
    return invalid("admin/user.html", roles, user=found, actions=EmptyForm(), link_form=link_form)


@bp.post("/brukere/<dbid:user_id>/roller")
def user_roles(user_id: int):
    """Give a user other roles."""
    found = _user_or_404(user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        return invalid("admin/user.html", form, user=found, actions=EmptyForm(), link_form=_link_form(found))
    try:
        accounts.set_roles(found, form.roles.data, actor=actor())
    except accounts.AccountError as error:
        form.roles.errors = [str(error)]
        return invalid("admin/user.html", form, user=found, actions=EmptyForm(), link_form=_link_form(found))
    flash(_("Rollene er lagret."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/brukere/<dbid:user_id>/deaktiver")
def user_disable(user_id: int):
    """Disable an account; its sessions end at once."""
    found = _user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        try:
            accounts.disable_user(found, actor=actor())
        except accounts.AccountError as error:
            flash(str(error), "error")
        else:
            flash(_("%(name)s er deaktivert og logget ut.", name=found.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/brukere/<dbid:user_id>/aktiver")
def user_enable(user_id: int):
    """Let a disabled account log in again."""
    found = _user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        accounts.enable_user(found, actor=actor())
        flash(_("%(name)s kan logge inn igjen.", name=found.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/brukere/<dbid:user_id>/invitasjon")
def user_invite_again(user_id: int):
    """Make a new invitation link for a user (the old one stops working)."""
    found = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.user", user_id=user_id))
    token, invitation = accounts.create_invitation(found, actor=actor())
    return _show_invitation(found, token, invitation)


@bp.get("/logg")
def log():
    """Show the audit log, newest first."""
    before = request.args.get("for", "")
    before_id = int(before) if before.isascii() and before.isdigit() and len(before) < 18 else None
    events = audit.recent(200, before_id)
    return render_template("admin/log.html", events=events, labels=audit.EVENTS)
