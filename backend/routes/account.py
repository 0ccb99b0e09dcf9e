"""Accounts under /konto: log in (with a code for admins), log out, invitations, two-factor, password."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from backend import auth
from backend.database import write_transaction
from backend.extensions import limiter
from backend.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    EmptyForm,
    LoginForm,
    NewPasswordForm,
    TotpSetupForm,
)
from backend.models import User, as_utc
from backend.routes.common import no_store
from backend.services import accounts, audit, qr

bp = Blueprint("account", __name__, url_prefix="/konto")

PENDING = "pending_login"  # password accepted, waiting for the code: user id, token, remember, time
PENDING_SECONDS = 300
REMEMBER = auth.REMEMBER


def login_limit() -> str:
    """Return the per-address limit for login attempts from the config."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def client_ip() -> str | None:
    """Return the client's address as the proxy in front of us reports it."""
    return request.remote_addr


@bp.context_processor
def _user_context():
    return {"current_user": current_user, "plan": None}


bp.after_request(no_store)  # pages under /konto are personal


def locked_message(until: datetime | None) -> str:
    """Say how long to wait before the next try, in the page's language (the same for every address)."""
    minutes = current_app.config["LOGIN_LOCKOUT_MINUTES"]
    if until is not None:
        left = as_utc(until) - accounts.now()
        minutes = max(1, int(left.total_seconds() + 59) // 60)
    return ngettext(
        "For mange mislykkede forsøk. Innloggingen er sperret en stund for å beskytte kontoen. "
        "Prøv igjen om ett minutt.",
        "For mange mislykkede forsøk. Innloggingen er sperret en stund for å beskytte kontoen. "
        "Prøv igjen om %(num)d minutter.",
        minutes,
    )


def finish_login(user: User, remember: bool, how: str = "passord"):
    """Log the user in, remember when, and go to where they were headed."""
    next_url = session.get("next")
    session.clear()
    login_user(user, remember=remember, duration=timedelta(days=current_app.config["REMEMBER_DAYS"]))
    session.permanent = True
    session[REMEMBER] = remember
    auth.mark_fresh()
    accounts.complete_login(user, ip=client_ip(), how=how, device=auth.device_claim())
    default = url_for("admin.index") if user.is_admin else url_for("account.index")
    response = redirect(auth.safe_next(next_url, default))
    auth.issue_device_cookie(response, user)
    return response


@bp.route("/logg-inn", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    """Log in with e-mail and password; admins go on to the code from their app."""
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(url_for("admin.index") if current_user.is_admin else url_for("account.index"))
    form = LoginForm()
    if request.method == "GET" and request.args.get("next"):
        session["next"] = auth.safe_next(request.args.get("next"), "")
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("account/login.html", form=form), status
    result = accounts.authenticate(
        form.email.data, form.password.data, ip=client_ip(), device=auth.device_claim()
    )
    if result.status == "locked":
        form.password.errors = [locked_message(result.locked_until)]
        return render_template("account/login.html", form=form, locked=True), 429
    if result.status == "disabled":
        form.password.errors = [_("Kontoen er deaktivert. Snakk med en administrator på skolen.")]
        return render_template("account/login.html", form=form), 403
    if result.status != "ok":
        form.password.errors = [_("Feil e-post eller passord.")]
        return render_template("account/login.html", form=form), 401
    user = result.user
    if user.totp_enabled:
        next_url = session.get("next")
        session.clear()
        session[PENDING] = {
            "user": user.id,
            "token": user.session_token,
            "remember": bool(form.remember.data),
            "at": int(time.time()),
        }
        if next_url:
            session["next"] = next_url
        return redirect(url_for("account.code"))
    return finish_login(user, bool(form.remember.data))


@bp.route("/to-trinn", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def code():
    """Second step of logging in: the six-digit code from the authenticator app, or a recovery code."""
    user, pending = auth.pending_login(PENDING, PENDING_SECONDS)
    if user is None:
        flash(_("Innloggingen tok for lang tid. Logg inn på nytt."), "info")
        return redirect(url_for("account.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("account/code.html", form=form), 422 if request.method == "POST" else 200
    device = auth.device_claim()
    until = accounts.blocked_until(user, device)
    if until is not None:
        session.pop(PENDING, None)
        form.code.errors = [locked_message(until)]
        return render_template("account/code.html", form=form), 429
    if form.code.data and accounts.verify_totp(user, form.code.data):
        return finish_login(user, pending["remember"], "passord og engangskode")
    if form.recovery.data and accounts.use_recovery_code(user, form.recovery.data, ip=client_ip()):
        left = accounts.recovery_codes_left(user)
        flash(_("Du brukte en reservekode. Du har %(left)s igjen.", left=left), "info")
        return finish_login(user, pending["remember"], "passord og reservekode")
    result = accounts.register_failure(user, ip=client_ip(), what="engangskode", device=device)
    if result.status == "locked":
        session.pop(PENDING, None)
        form.code.errors = [locked_message(result.locked_until)]
        return render_template("account/code.html", form=form), 429
    form.code.errors = [_("Koden stemmer ikke. Bruk den nyeste koden i appen.")]
    return render_template("account/code.html", form=form), 401


@bp.post("/logg-ut")
def logout():
    """Log out: this session and every remember cookie of the account stop working at once."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        accounts.rotate_session_token(user)
        with write_transaction():
            audit.record("logout", actor=user.email, subject=user.email, ip=client_ip())
    session.clear()
    logout_user()
    flash(_("Du er logget ut."), "info")
    return redirect(url_for("account.login"))


@bp.get("/meny")
def menu():
    """The signed-in person's menu for the header of a public page (204 when nobody is signed in).

    Public pages are the same bytes for everyone and shared-cacheable, so they never hold it; a small
    script fetches it from here (personal, no-store) when the browser was signed in before.
    """
    if not current_user.is_authenticated:
        return "", 204
    return render_template("account/_menu.html")


@bp.get("")
@login_required
def index():
    """Show the account: roles, two-factor status, links to change password and log out."""
    return render_template(
        "account/index.html",
        form=EmptyForm(),
        codes_left=accounts.recovery_codes_left(current_user),
    )


@bp.route("/bekreft", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@login_required
def confirm():
    """Type the password (and code) again before admin edits, after FRESH_LOGIN_MINUTES."""
    form = ConfirmForm()
    if request.method == "GET":
        form.next.data = auth.safe_next(request.args.get("next"), url_for("admin.index"))
    if not form.validate_on_submit():
        return render_template("account/confirm.html", form=form), 422 if request.method == "POST" else 200
    user = current_user._get_current_object()
    ok = accounts.check_password(user, form.password.data)
    if ok and user.totp_enabled:
        ok = accounts.verify_totp(user, form.code.data or "")
    if not ok:
        result = accounts.register_failure(
            user, ip=client_ip(), what="passord ved bekreftelse", device=auth.device_claim()
        )
        if result.status == "locked":
            accounts.rotate_session_token(user)
            session.clear()
            logout_user()
            return render_template(
                "account/too_many.html", plan=None, message=locked_message(result.locked_until)
            ), 429
        form.password.errors = [_("Passordet eller koden stemmer ikke.")]
        return render_template("account/confirm.html", form=form), 401
    auth.mark_fresh()
    with write_transaction():
        audit.record("reauth", actor=user.email, subject=user.email, ip=client_ip())
    return redirect(auth.safe_next(form.next.data, url_for("admin.index")))


@bp.route("/passord", methods=["GET", "POST"])
@login_required
def password():
    """Change the password; every other session of the account is logged out."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("account/password.html", form=form), 422 if request.method == "POST" else 200
    user = current_user._get_current_object()
    if not accounts.check_password(user, form.current.data):
        form.current.errors = [_("Passordet stemmer ikke.")]
        return render_template("account/password.html", form=form), 422
    try:
        accounts.change_password(user, form.password.data, actor=user.email, ip=client_ip())
    except accounts.AccountError as error:
        form.password.errors = [str(error)]
        return render_template("account/password.html", form=form), 422
    remember = bool(session.get(REMEMBER))
    user = accounts.get_user(user.id)
    login_user(user, remember=remember, duration=timedelta(days=current_app.config["REMEMBER_DAYS"]))
    auth.mark_fresh()
    flash(_("Passordet er endret. Andre enheter er logget ut."), "success")
    return redirect(url_for("account.index"))


def wrong_setup_code(user: User, secret: str, code: str) -> str:
    """Say why a first code did not fit the key, the most likely cause first."""
    if not re.fullmatch(r"\d{6}", re.sub(r"\s", "", code or "")):
        return _("Skriv de seks sifrene appen viser under Rusplan.")
    if user.totp_secret and accounts.totp_clock_offset(user.totp_secret, code) == 0:
        return _(
            "Koden er fra den gamle Rusplan-oppføringen i appen. Bruk koden fra den du la til nå; "
            "den gamle kan slettes når de nye kodene er slått på."
        )
    offset = accounts.totp_clock_offset(secret, code)
    if offset is not None:
        if offset > 0:
            off = _("%(minutes)s minutter for fort", minutes=abs(offset))
        elif offset < 0:
            off = _("%(minutes)s minutter for sakte", minutes=abs(offset))
        else:
            off = _("litt feil")
        return _(
            "Klokka på telefonen går %(off)s. Slå på «Still klokka automatisk» i telefonens innstillinger, "
            "og skriv så den nyeste koden.",
            off=off,
        )
    return _(
        "Koden hører ikke til nøkkelen på denne siden. Oftest har appen en eldre Rusplan-oppføring fra "
        "et tidligere forsøk: bruk koden fra den du la til nå, og slett gjerne den gamle. Koden byttes "
        "hvert 30. sekund, så skriv den som vises akkurat nå."
    )


@bp.route("/to-trinn/oppsett", methods=["GET", "POST"])
@login_required
def totp_setup():
    """Turn on login with a code from an authenticator app; the key stays until confirmed or cancelled."""
    user = current_user._get_current_object()
    if user.totp_enabled and request.method == "GET" and not request.args.get("ny"):
        flash(_("Innlogging med engangskode er allerede slått på."), "info")
        return redirect(url_for("account.index"))
    if user.totp_enabled and not auth.is_fresh():
        return auth.check_fresh()
    secret = accounts.pending_totp_secret(user)
    form = TotpSetupForm()
    uri = accounts.totp_uri(secret, user.email)
    context = {
        "form": form,
        "cancel_form": EmptyForm(),
        "secret": secret,
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "otpauth_uri": uri,
        "qr_svg": qr.svg(uri, _("QR-kode for autentiseringsappen")),
    }
    if not form.validate_on_submit():
        return render_template("account/totp_setup.html", **context), 422 if request.method == "POST" else 200
    codes = accounts.confirm_totp_setup(user, form.code.data, ip=client_ip())
    if codes is None:
        form.code.errors = [wrong_setup_code(user, secret, form.code.data)]
        return render_template("account/totp_setup.html", **context), 422
    auth.mark_fresh()
    return render_template("account/recovery_codes.html", codes=codes)


@bp.post("/to-trinn/oppsett/avbryt")
@login_required
def totp_setup_cancel():
    """Stop setting up two-factor login: the key shown is forgotten, the next visit shows a new one."""
    if EmptyForm().validate_on_submit():
        accounts.cancel_totp_setup(current_user._get_current_object())
        flash(
            _("Oppsettet er avbrutt. Har du lagt Rusplan til i appen, kan du slette den oppføringen."), "info"
        )
    return redirect(url_for("account.index"))


@bp.post("/reservekoder")
@auth.fresh_login_required
def recovery_codes():
    """Make new recovery codes; the old ones stop working."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("account.index"))
    user = current_user._get_current_object()
    if not user.totp_enabled:
        return redirect(url_for("account.totp_setup"))
    codes = accounts.regenerate_recovery_codes(user)
    return render_template("account/recovery_codes.html", codes=codes)


@bp.route("/invitasjon/<token>", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def invitation(token: str):
    """Accept an invitation: choose a password. The link works once and expires."""
    found = accounts.find_invitation(token)
    if found is None:
        return render_template("account/invitation_invalid.html"), 410
    form = NewPasswordForm()
    context = {"form": form, "invited": found.user, "expires_at": as_utc(found.expires_at)}
    if not form.validate_on_submit():
        return render_template("account/invitation.html", **context), 422 if request.method == "POST" else 200
    try:
        user = accounts.accept_invitation(token, form.password.data, ip=client_ip())
    except accounts.AccountError as error:
        form.password.errors = [str(error)]
        return render_template("account/invitation.html", **context), 422
    # The person just chose the password with a link only they got: that is a sign-in (an admin
    # still sets up the code from the app before the admin opens).
    response = finish_login(user, remember=False, how="invitasjon")
    flash(_("Velkommen, %(name)s! Passordet er lagret, og du er logget inn.", name=user.name), "success")
    return response
