"""Signing in with Feide or another OpenID Connect provider, and the admin's read-only view of the settings.

The flow is OpenID Connect's authorization code flow through Authlib: PKCE (S256), `state` and `nonce`
kept in the signed session until the provider sends the person back, then the code is exchanged and
the ID token's signature (the provider's published keys) and claims (iss, aud, exp, iat with
OIDC_LEEWAY seconds of clock difference, nonce) are checked. The tokens are dropped at once; what stays
is the provider's subject id, linked to the user (services/oidc.py).

The start is a link, not a form: a form's redirect to another site would be blocked by the
Content-Security-Policy (form-action 'self').
"""

from __future__ import annotations

import time

import requests
from authlib.common.security import generate_token
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user
from joserfc.errors import JoseError

from backend import auth
from backend.extensions import limiter
from backend.forms import CodeForm
from backend.models import User
from backend.services import accounts
from backend.services import oidc as oidc_service
from backend.services.oidc import Identity, Provider, SignInRefused

bp = Blueprint("sign_in", __name__)

OAUTH = "rusplan_oauth"
FLOW = "oidc_flow"  # what the sign-in that went to the provider is for: provider, purpose, next
PENDING = "oidc_pending"  # signed in at the provider, waiting for the app's code: user, token, time
PENDING_SECONDS = 300
PURPOSES = ("login", "confirm", "test")


def init_app(app: Flask) -> None:
    """Check the settings, register each configured provider with Authlib, and add the blueprint."""
    oidc_service.check_config(app)
    oauth = OAuth(app)
    for found in oidc_service.configured_providers(app.config):
        oauth.register(
            found.key,
            client_id=found.client_id,
            client_secret=found.client_secret,
            server_metadata_url=found.metadata_url,
            client_kwargs={
                "scope": found.scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_basic",
                "default_timeout": app.config["OIDC_HTTP_TIMEOUT"],
            },
        )
    app.extensions[OAUTH] = oauth
    app.add_template_global(oidc_service.providers, "sign_in_providers")
    app.add_template_global(oidc_service.sign_in_methods, "sign_in_methods")
    app.register_blueprint(bp)


def login_limit() -> str:
    """Return the per-address limit for login attempts from the config."""
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.context_processor
def _context():
    return {"current_user": current_user, "plan": None}


@bp.after_request
def _personal(response):
    """Sign-in pages are personal: never stored by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _provider_or_404(key: str) -> Provider:
    found = oidc_service.provider(key)
    if found is None:
        abort(404)
    return found


def _client(found: Provider):
    """Return Authlib's client for the provider, its metadata loaded and held to our rules."""
    client = current_app.extensions[OAUTH].create_client(found.key)
    metadata = client.load_server_metadata()
    if metadata.get("issuer", "").rstrip("/") != found.issuer:
        raise SignInRefused(
            _("%(provider)s oppgir en annen utsteder enn den som er satt opp.", provider=found.label),
            "issuer",
        )
    # Only real signatures, whatever the provider advertises: never "none", never a symmetric key.
    advertised = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    metadata["id_token_signing_alg_values_supported"] = [
        alg for alg in advertised if alg in oidc_service.ID_TOKEN_ALGORITHMS
    ] or ["RS256"]
    return client


def _claims_options(found: Provider) -> dict:
    return {
        "iss": {"essential": True, "value": found.issuer},
        "aud": {"essential": True, "value": found.client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }


def refused(message: str, status: int = 403, found: Provider | None = None):
    """Show why the sign-in did not go through, in Norwegian, with the way back to the login page."""
    return render_template("account/sign_in_refused.html", message=message, provider=found), status


# --- Signing in ---------------------------------------------------------------------------------


@bp.get("/konto/logg-inn/<provider_key>")
@limiter.limit(login_limit)
def login(provider_key: str):
    """Send the person to Feide (or the other provider) to sign in; they come back to `callback`."""
    found = _provider_or_404(provider_key)
    purpose = "test" if request.args.get("test") else "confirm" if request.args.get("bekreft") else "login"
    if purpose == "test":  # the admin's «Test innlogging»: only for an admin who may edit
        problem = auth.check_roles(("admin",))
        if problem is not None:
            return problem
    if purpose == "confirm" and not current_user.is_authenticated:
        purpose = "login"
    target = auth.safe_next(request.args.get("next") or session.get("next"), "")
    try:
        client = _client(found)
    except SignInRefused as error:
        return refused(str(error), 502, found)
    except (requests.RequestException, ValueError):
        return refused(
            _("Fikk ikke kontakt med %(provider)s. Prøv igjen om litt.", provider=found.label), 502, found
        )
    session[FLOW] = {"provider": found.key, "purpose": purpose, "next": target, "at": int(time.time())}
    extra = {"prompt": "login"} if purpose in ("confirm", "test") else {}
    return client.authorize_redirect(
        url_for("sign_in.callback", provider_key=found.key, _external=True),
        nonce=generate_token(32),
        **extra,
    )


def _checked_identity(found: Provider) -> Identity:
    """Exchange the code and check the ID token; return who it says. Raises SignInRefused."""
    try:
        client = _client(found)  # another worker may not have read the provider's metadata yet
        token = client.authorize_access_token(
            leeway=current_app.config["OIDC_LEEWAY"], claims_options=_claims_options(found)
        )
    except OAuthError as error:  # the provider said no, or state did not match this browser's
        reason = "state" if error.error == "mismatching_state" else f"oauth-{error.error}"[:40]
        raise SignInRefused(
            _(
                "Innloggingen med %(provider)s ble avbrutt eller kom fra en annen fane. Prøv igjen.",
                provider=found.label,
            ),
            reason,
        ) from error
    except JoseError as error:  # signature, iss, aud, exp, iat or nonce
        raise SignInRefused(
            _(
                "Svaret fra %(provider)s kunne ikke bekreftes, så du er ikke logget inn. Prøv igjen.",
                provider=found.label,
            ),
            f"id-token-{type(error).__name__}-{getattr(error, 'claim', '')}".rstrip("-")[:60],
        ) from error
    except (requests.RequestException, ValueError) as error:
        raise SignInRefused(
            _("Fikk ikke kontakt med %(provider)s. Prøv igjen om litt.", provider=found.label), "network"
        ) from error
    claims = dict(token.get("userinfo") or {})  # set only when an ID token came back and passed every check
    try:
        if not claims:
            message = _(
                "%(provider)s sendte ikke noe ID-token, så du er ikke logget inn.", provider=found.label
            )
            raise SignInRefused(message, "no-id-token")
        if oidc_service.needs_userinfo(found, claims) and client.server_metadata.get("userinfo_endpoint"):
            claims = oidc_service.with_userinfo(claims, _userinfo(client, found, token))
    finally:
        token.clear()  # nothing from the tokens is kept
    return oidc_service.identity_from_claims(found, claims)


def _userinfo(client, found: Provider, token: dict) -> dict:
    """Ask the userinfo endpoint (with the access token, once) for what the ID token left out."""
    try:
        answer = client.userinfo(token=token)
    except (OAuthError, requests.RequestException, ValueError) as error:
        raise SignInRefused(
            _("Fikk ikke kontakt med %(provider)s. Prøv igjen om litt.", provider=found.label), "userinfo"
        ) from error
    return dict(answer)


@bp.get("/konto/logg-inn/<provider_key>/tilbake")
@limiter.limit(login_limit)
def callback(provider_key: str):
    """Where the provider sends the person back: check everything, then sign in (or refuse, and say why)."""
    found = _provider_or_404(provider_key)
    flow = session.pop(FLOW, None)
    if not isinstance(flow, dict) or flow.get("provider") != found.key or flow.get("purpose") not in PURPOSES:
        message = _("Innloggingen ble ikke startet her, eller den tok for lang tid. Prøv igjen.")
        return refused(message, 400, found)
    identity = None
    try:
        identity = _checked_identity(found)
        if flow["purpose"] == "test":
            return _test_result(found, identity)
        if flow["purpose"] == "confirm":
            return _confirm(found, identity, flow)
        admission = oidc_service.admit_once_more(identity, found.label, ip=request.remote_addr)
    except SignInRefused as error:
        if flow["purpose"] == "test":
            return _test_result(found, identity, error)
        oidc_service.record_refusal(identity, error, found.label, ip=request.remote_addr)
        current_app.logger.info("Sign-in with %s refused: %s", found.key, error.reason)
        return refused(str(error), 403, found)
    return _continue(admission.user, found, identity, flow.get("next") or "")


def _continue(user: User, found: Provider, identity: Identity, next_url: str):
    """Signed in at the provider: an admin without a second factor there types the app's code first."""
    if user.totp_enabled and not (user.is_admin and identity.mfa):
        session.clear()
        session[PENDING] = {
            "user": user.id,
            "token": user.session_token,
            "provider": found.key,
            "next": next_url,
            "at": int(time.time()),
        }
        return redirect(url_for("sign_in.code"))
    return _finish(user, found, mfa=identity.mfa, next_url=next_url)


def _finish(user: User, found: Provider, *, mfa: bool, next_url: str, code_used: bool = False):
    session.clear()
    login_user(user, remember=False)
    session.permanent = True
    session[auth.REMEMBER] = False
    session[auth.SIGNED_IN_WITH] = found.key
    if mfa:
        session[auth.IDP_MFA] = True
    auth.mark_fresh()
    how = found.label + (" med tofaktor" if mfa else "") + (" og engangskode" if code_used else "")
    accounts.complete_login(user, ip=request.remote_addr, how=how)
    default = url_for("admin.index") if user.is_admin else url_for("account.index")
    return redirect(auth.safe_next(next_url, default))


def _confirm(found: Provider, identity: Identity, flow: dict):
    """A signed-in person confirmed at the provider before admin edits: fresh again, if it is them."""
    if not current_user.is_authenticated:
        raise SignInRefused(_("Du er ikke logget inn lenger. Logg inn på nytt."), "confirm-no-session")
    user, _how = oidc_service.decide(identity, found.label)
    if user is None or user.id != current_user.id:
        raise SignInRefused(
            _("Du bekreftet som en annen bruker hos %(provider)s. Logg inn på nytt.", provider=found.label),
            "confirm-other-user",
        )
    if user.totp_enabled and not (user.is_admin and identity.mfa):
        return _continue(user, found, identity, flow.get("next") or "")
    if identity.mfa:
        session[auth.IDP_MFA] = True
    auth.mark_fresh()
    return redirect(auth.safe_next(flow.get("next"), url_for("admin.index")))


def _code_page(form: CodeForm) -> str:
    return render_template("account/code.html", form=form, action=url_for("sign_in.code"))


@bp.route("/konto/logg-inn/engangskode", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def code():
    """After Feide without a second factor there: the code from the app (or a recovery code)."""
    user, pending = auth.pending_login(PENDING, PENDING_SECONDS)
    found = oidc_service.provider(pending.get("provider", "")) if pending else None
    if user is None or found is None:
        flash(_("Innloggingen tok for lang tid. Logg inn på nytt."), "info")
        return redirect(url_for("account.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _code_page(form), status
    if accounts.is_locked(user):
        session.pop(PENDING, None)
        form.code.errors = [_("For mange mislykkede forsøk. Prøv igjen senere.")]
        return _code_page(form), 429
    ok = bool(form.code.data) and accounts.verify_totp(user, form.code.data)
    if not ok and form.recovery.data:
        ok = accounts.use_recovery_code(user, form.recovery.data, ip=request.remote_addr)
    if ok:
        return _finish(user, found, mfa=False, next_url=pending.get("next") or "", code_used=True)
    result = accounts.register_failure(user, ip=request.remote_addr, what="engangskode")
    if result.status == "locked":
        session.pop(PENDING, None)
        form.code.errors = [_("For mange mislykkede forsøk. Prøv igjen senere.")]
        return _code_page(form), 429
    form.code.errors = [_("Koden stemmer ikke. Bruk den nyeste koden i appen.")]
    return _code_page(form), 401


# --- The admin's view ---------------------------------------------------------------------------


def _admin_only():
    problem = auth.check_roles(("admin",))
    return problem if problem is not None else auth.check_fresh()


@bp.get("/admin/innlogging")
def admin_settings():
    """Show the sign-in settings (read-only, from the environment, secrets masked) and «Test innlogging»."""
    problem = _admin_only()
    if problem is not None:
        return problem
    return render_template(
        "admin/sign_in.html",
        settings=oidc_service.settings_for_admin(),
        redirect_urls={
            found.key: url_for("sign_in.callback", provider_key=found.key, _external=True)
            for found in oidc_service.providers()
        },
        self_signup_domains=current_app.config.get("SELF_SIGNUP_DOMAINS", []),
        mfa_amr=current_app.config.get("OIDC_MFA_AMR", []),
    )


def _test_result(found: Provider, identity: Identity | None, error: SignInRefused | None = None):
    """Show the admin what the provider answered and who it would let in, changing nothing."""
    problem = auth.check_roles(("admin",))
    if problem is not None:
        return problem
    decision = None
    if identity is not None and error is None:
        try:
            user, how = oidc_service.decide(identity, found.label)
            decision = {"user": user, "how": how}
        except SignInRefused as refusal:
            error = refusal
    return render_template(
        "admin/sign_in_test.html", provider=found, identity=identity, decision=decision, error=error
    )
