"""Forgotten password under /konto: ask for a link by e-mail, then choose a new password with it.

Only when SMTP is configured; without it the pages do not exist and the login page says to ask an
administrator, as before.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backend.extensions import limiter
from backend.forms import NewPasswordForm, ResetRequestForm
from backend.models import as_utc
from backend.services import accounts, mail, password_reset

bp = Blueprint("password_reset", __name__, url_prefix="/konto")


def reset_limit() -> str:
    """Return the per-address limit for reset requests from the config."""
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


@bp.before_request
def _only_with_mail():
    """Without SMTP there is no way to send the link: the pages are not there."""
    if not mail.configured():
        abort(404)


@bp.context_processor
def _context():
    return {"current_user": current_user, "plan": None}


@bp.after_request
def _personal(response):
    """Never stored by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/glemt-passord", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def request_link():
    """Ask for a link to choose a new password; the answer is the same whether the address is known."""
    form = ResetRequestForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("account/reset_request.html", form=form), status
    password_reset.request_reset(
        form.email.data,
        link_for=lambda token: url_for("password_reset.new_password", token=token, _external=True),
        ip=request.remote_addr,
    )
    return redirect(url_for("password_reset.sent"), 303)


@bp.get("/glemt-passord/sendt")
def sent():
    """Say that a link is on its way if the address has an account with a password."""
    return render_template("account/reset_sent.html")


@bp.route("/nytt-passord/<token>", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def new_password(token: str):
    """Choose a new password with a one-time link from the e-mail."""
    found = password_reset.find_reset(token)
    if found is None:
        return render_template("account/reset_invalid.html"), 410
    form = NewPasswordForm()
    context = {"form": form, "user": found.user, "expires_at": as_utc(found.expires_at)}
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("account/reset_password.html", **context), status
    try:
        password_reset.complete_reset(token, form.password.data, ip=request.remote_addr)
    except accounts.AccountError as error:
        form.password.errors = [str(error)]
        return render_template("account/reset_password.html", **context), 422
    flash(_("Det nye passordet er lagret. Logg inn med det."), "success")
    return redirect(url_for("account.login"))
