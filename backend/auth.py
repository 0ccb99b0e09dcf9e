"""Logging in: Flask-Login wiring, cookie settings, role and fresh-login checks for views.

The login manager adds no template context processor: public pages are rendered once per revision and
must never read the session or depend on who is logged in. Account and admin templates get the user
from their own blueprints.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.extensions import login_manager
from backend.models import User
from backend.services import accounts

REMEMBER = "remember"  # the user ticked «Husk meg»: the session lives as long as the remember cookie
LOGIN_AT = "login_at"  # when the password (and code) was last typed, seconds since the epoch
SIGNED_IN_WITH = "signed_in_with"  # the provider (Feide, OIDC) the session signed in through, if any
IDP_MFA = "idp_mfa"  # that provider showed a second factor (amr/acr): the app's own code is not asked


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions that stay out of requests that never read them.

    Flask refreshes a permanent session's cookie on every response; here only responses that used the
    session do, so public pages get no Set-Cookie and no «Vary: Cookie» and stay cacheable. A session
    with «Husk meg» lasts as long as the remember cookie, so its CSRF token does not expire under a
    page left open.
    """

    def open_session(self, app: Flask, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        longest = int(app.config["REMEMBER_COOKIE_DURATION"].total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=longest, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        # Without «Husk meg» the session ends PERMANENT_SESSION_LIFETIME after its last use.
        idle = time.time() - signed_at.timestamp()
        if not data.get(REMEMBER) and idle > app.permanent_session_lifetime.total_seconds():
            return self.session_class()
        return self.session_class(data)

    def should_set_cookie(self, app: Flask, session) -> bool:
        if session.modified:
            return True
        return session.accessed and session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]

    def get_expiration_time(self, app: Flask, session) -> datetime | None:
        if session.permanent and session.get(REMEMBER):
            return datetime.now(UTC) + app.config["REMEMBER_COOKIE_DURATION"]
        return super().get_expiration_time(app, session)


def init_app(app: Flask, explicit: frozenset[str] = frozenset()) -> None:
    """Configure cookies and Flask-Login for the app; keys in `explicit` were set by the caller."""
    https = bool(app.config.get("HTTPS"))
    defaults = {
        # __Host- names need Secure, Path=/ and no Domain, so they only fit behind HTTPS.
        "SESSION_COOKIE_NAME": "__Host-session" if https else "session",
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_NAME": "__Host-remember" if https else "remember_token",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_PATH": "/",
        "REMEMBER_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_DURATION": timedelta(days=app.config["REMEMBER_DAYS"]),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=app.config["SESSION_HOURS"]),
    }
    for key, value in defaults.items():
        if key not in explicit:
            app.config[key] = value

    # Behind the TLS proxy every request comes from the proxy: trust its X-Forwarded-For/-Proto headers
    # (that many proxies deep), so the per-address login limit and the audit log see the real address
    # and invitation links start with https://.
    # Applied here only, once: a second ProxyFix would read the headers again with other settings.
    proxies = int(app.config.get("TRUSTED_PROXIES", 1 if https else 0))
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    app.session_interface = SessionInterface()
    login_manager.init_app(app, add_context_processor=False)
    # Flask-Login's after_request looks into the session on every response, which would mark it
    # accessed (Vary: Cookie, a refreshed cookie) on public pages too; run it only where it matters.
    handlers = app.after_request_funcs.setdefault(None, [])
    handlers[:] = [
        h for h in handlers if getattr(h, "__func__", None) is not type(login_manager)._update_remember_cookie
    ]
    app.after_request(_update_remember_cookie)
    # A teacher moving from Wi-Fi to 4G keeps the session: no binding to the IP address.
    login_manager.session_protection = None
    login_manager.login_view = "account.login"
    # Flashed in the page's language: the lazy text becomes a plain string when flashed (the session
    # stores only plain values).
    login_manager.login_message = _l("Logg inn for å se denne siden.")
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"

    @app.errorhandler(429)
    def _too_many(error):
        """Say in Norwegian that there were too many attempts, with status 429."""
        response = app.make_response((render_template("account/too_many.html", plan=None), 429))
        retry = getattr(error, "retry_after", None)
        if retry:
            response.headers["Retry-After"] = str(retry)
        return response

    @app.errorhandler(403)
    def _forbidden(error):
        """Say in Norwegian that this page is not for this account."""
        return render_template("account/forbidden.html", plan=None, error=error), 403

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        """Explain a missing or old form token instead of a bare 400."""
        return render_template("account/csrf_error.html", plan=None, error=error), 400


def _update_remember_cookie(response):
    """Set or clear the remember cookie, only on requests that used the session."""
    raw = request_ctx._session  # the session without marking it accessed
    if raw is not None and raw.accessed:
        return login_manager._update_remember_cookie(response)
    return response


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the user for a session or remember cookie, only if its session token is still current."""
    number, _sep, token = (user_id or "").partition(":")
    if not (number.isascii() and number.isdigit()) or len(number) > 18 or not token:
        return None
    user = accounts.get_user(int(number))
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode("utf-8", "surrogatepass")):
        return None
    return user


DEVICE_SALT = "rusplan-device-cookie"


def device_cookie_name() -> str:
    """Return the device cookie's name: __Host- locked behind HTTPS."""
    return "__Host-device" if current_app.config.get("HTTPS") else "device"


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=DEVICE_SALT)


def device_claim() -> tuple[int, str] | None:
    """Return (user id, nonce) from this browser's signed device cookie, or None.

    The cookie says «this browser logged in to this account before» (OWASP's device cookies): its
    failed attempts count apart from strangers', so they cannot lock the owner out.
    """
    value = request.cookies.get(device_cookie_name())
    if not value or len(value) > 300:
        return None
    max_age = current_app.config["DEVICE_COOKIE_DAYS"] * 86400
    try:
        data = _device_serializer().loads(value, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("n"), str):
        return None
    return data["u"], data["n"]


def issue_device_cookie(response, user: User) -> None:
    """Give this browser a new device cookie for the account it just logged in to."""
    value = _device_serializer().dumps({"u": user.id, "n": secrets.token_urlsafe(18)})
    response.set_cookie(
        device_cookie_name(),
        value,
        max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400,
        path="/",
        secure=bool(current_app.config.get("HTTPS")),
        httponly=True,
        samesite="Lax",
    )


def mark_fresh() -> None:
    """Remember that the password (and code) was typed just now."""
    session[LOGIN_AT] = int(time.time())


def is_fresh() -> bool:
    """Tell whether the password was typed recently enough for admin edits."""
    at = session.get(LOGIN_AT)
    if not isinstance(at, int):
        return False
    return time.time() - at < current_app.config["FRESH_LOGIN_MINUTES"] * 60


def _redirect(endpoint: str, **values):
    url = url_for(endpoint, **values)
    if request.headers.get("HX-Request") == "true":
        response = current_app.make_response(("", 204))
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)


def _next_target() -> str:
    # Only paths on this site; a GET after a refused POST goes back to the page, not the action.
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return request.referrer if _same_site(request.referrer) else url_for("admin.index")


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


def role_required(*roles: str) -> Callable:
    """Let a view through only for a logged-in user with one of these roles; admins need two-factor."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            problem = check_roles(roles)
            return problem if problem is not None else view(*args, **kwargs)

        return wrapped

    return decorator


def check_roles(roles: tuple[str, ...] | list[str]):
    """Return a response that refuses the request, or None when the user may go on."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not any(current_user.has_role(role) for role in roles):
        abort(403, description=_("Du har ikke tilgang til denne siden."))
    second_factor = current_user.totp_enabled or session.get(IDP_MFA)  # the app's code, or the provider's
    if "admin" in roles and current_user.is_admin and not second_factor:
        flash(_("Administratorer må slå på innlogging med engangskode før de kan redigere."), "info")
        return _redirect("account.totp_setup")
    return None


def check_fresh():
    """Return a redirect to confirm the password when the login is not fresh, else None."""
    if is_fresh():
        return None
    if session.get(SIGNED_IN_WITH):  # no password to type: confirm at the provider again
        provider = session[SIGNED_IN_WITH]
        return _redirect("sign_in.login", provider_key=provider, bekreft=1, next=_next_target())
    flash(_("Bekreft passordet ditt før du gjør endringer."), "info")
    return _redirect("account.confirm", next=_next_target())


def fresh_login_required(view: Callable) -> Callable:
    """Let a view through only when the password was typed within FRESH_LOGIN_MINUTES."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        problem = check_fresh()
        return problem if problem is not None else view(*args, **kwargs)

    return wrapped


# What a browser does to a URL before it follows it (the WHATWG URL standard): leading and trailing
# C0 controls and spaces are stripped, and tab, LF and CR are removed wherever they are.
_URL_EDGE = "".join(chr(code) for code in range(0x21))
_URL_REMOVED = str.maketrans("", "", "\t\n\r")


def safe_next(target: str | None, default: str) -> str:
    """Return a local path to go to after login, never another site, decided on the URL as a browser reads it.

    `/%09/evil.example` is `/<tab>/evil.example` here, which a browser follows as `//evil.example`:
    so the checks run on the normalised URL, and what passes is what goes into Location, with no
    control character or space left that could end the header or change the target.
    """
    if not isinstance(target, str):
        return default
    url = target.strip(_URL_EDGE).translate(_URL_REMOVED)
    if (
        not url.startswith("/")
        or url.startswith(("//", "/\\"))
        or "\\" in url
        or any(ord(ch) < 0x21 or 0x7F <= ord(ch) <= 0x9F for ch in url)
        or urlsplit(url).netloc
        or len(url) > 2000
    ):
        return default
    return url


def pending_login(key: str, max_age: int) -> tuple[User | None, dict]:
    """Return the account half-way through signing in (waiting for its code) and what was kept, or (None, {}).

    Only while it is fresh, the account is active and its session token is the one the first step saw.
    """
    pending = session.get(key)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > max_age:
        return None, {}
    user = accounts.get_user(int(pending.get("user", 0)))
    if user is None or not user.is_active or user.session_token != pending.get("token"):
        return None, {}
    return user, pending
