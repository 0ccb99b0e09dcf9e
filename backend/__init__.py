"""Rusplan: a school's action plan on drugs and alcohol as a phone-first web app."""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from pathlib import Path

from flask import Flask, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from backend import (
    access_log,
    auth,
    database,
    file_modes,
    http_cache,
    i18n,
    input_guard,
    json_input,
    rate_limits,
)
from backend.config import Config, school_file_name
from backend.extensions import compress, csrf, db, limiter, mailman, migrate

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        # Violations are reported to routes/csp.py: report-to for current browsers, report-uri for older.
        "report-uri /csp-rapport",
    ]
)
REPORT_TO = "report-to csp"

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _secret_key(instance: Path) -> str:
    """Read the generated secret key from instance/, creating it on first start.

    Several gunicorn workers may start at once: the key is written to a private temporary file and
    linked into place, which succeeds for exactly one of them, so every worker reads the same key.
    """
    path = instance / "secret_key"
    if not path.exists():
        tmp = instance / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker was first; use its key
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def _behind_tls_proxy(app: Flask) -> None:
    """With HTTPS=1 the app sits behind a TLS proxy: lock cookies to HTTPS.

    Which X-Forwarded-* headers to trust (TRUSTED_PROXIES deep, one by default) is set once, in
    auth.init_app.
    """
    app.config.update(
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_NAME="__Host-session",
        REMEMBER_COOKIE_SECURE=True,
        PREFERRED_URL_SCHEME="https",
    )


def _warm_plan_cache(app: Flask) -> None:
    """Read the current plan at startup, so it is known (and kept on disk) before the database can fail."""
    from sqlalchemy.exc import SQLAlchemyError

    from backend.services.plan import revision_cache

    # Not migrated yet (on PostgreSQL a ProgrammingError), or down: the first request tries again.
    with app.app_context(), contextlib.suppress(SQLAlchemyError):
        revision_cache.current(fallback=False)


def _wire_alerts(app: Flask) -> None:
    """Hand the sender what it needs, register the push CLI, resume unsent deliveries on the first request."""
    from backend.cli import push_cli
    from backend.services.alerts import sender
    from backend.services.alerts.alerts import payload_for, purge_history

    sender.configure(app, payload_for=payload_for, purge_history=purge_history)
    app.cli.add_command(push_cli)
    if not app.config.get("PUSH_SENDER_AUTOSTART", True) or app.testing:
        return
    started = threading.Event()

    @app.before_request
    def _resume_push_sender() -> None:
        if not started.is_set():
            started.set()
            sender.start_sender(app)


def _init_mail(app: Flask) -> None:
    """E-mail (issue 16): the outbox, the password reset pages and `flask mail ...`."""
    from backend.cli import mail_cli
    from backend.routes import password_reset
    from backend.services import mail

    mail.init_app(app)
    app.register_blueprint(password_reset.bp)
    app.cli.add_command(mail_cli)


def _init_sign_in(app: Flask) -> None:
    """Signing in with Feide or another OpenID Connect provider (issue 16)."""
    from backend.routes import sign_in

    sign_in.init_app(app)


def _plain_error_text() -> str:
    """The last words when even the error page failed: translated if the catalogues still work."""
    try:
        return _("Noe gikk galt. Prøv igjen om litt.")
    except Exception:  # the catalogues failed too
        return "Noe gikk galt. Prøv igjen om litt."


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI, security headers, error pages."""
    root = Path(__file__).resolve().parent.parent
    app = Flask(
        __name__,
        instance_path=str(root / "instance"),
        template_folder=str(root / "frontend" / "templates"),
        static_folder=str(root / "frontend" / "static"),
    )
    app.config.from_object(Config)
    app.config.update(config or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))
    if app.config["HTTPS"]:
        _behind_tls_proxy(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        database_file = school_file_name(app.config["SCHOOL"], "rusplan", ".sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / database_file}"

    database.configure(app)
    file_modes.init_app(app)
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(root / "backend" / "migrations"))
    csrf.init_app(app)
    access_log.init_app(app)
    input_guard.init_app(app)
    json_input.init_app(app)
    rate_limits.configure(app)
    limiter.init_app(app)
    compress.init_app(app)
    mailman.init_app(app)
    auth.init_app(app, frozenset(config or {}))
    i18n.init_app(app)

    from backend import template_helpers
    from backend.cli import backup_command, content_cli, restore_command, users_cli
    from backend.routes import account, admin, csp, emergency, health, printout, public, pwa, statements
    from backend.routes import alerts as alert_routes
    from backend.routes.admin import (  # noqa: F401 (views join admin.bp)
        contacts,
        guide,
        lists,
        places,
        plan,
        procedures,
        revisions,
        roles,
        settings,
        users,
    )
    from backend.routes.common import DatabaseId, register_public_pages

    template_helpers.init_app(app)
    app.url_map.converters["dbid"] = DatabaseId
    # Every public page, in this order, is in the offline copy; a new public blueprint adds itself here.
    register_public_pages(
        app, pages=(public.urls, emergency.urls, statements.urls, printout.urls), files=(public.downloads,)
    )
    app.register_blueprint(public.bp)
    app.register_blueprint(emergency.bp)
    app.register_blueprint(statements.bp)
    app.register_blueprint(printout.bp)
    pwa.init_app(app)
    health.init_app(app)
    csp.init_app(app)
    app.cli.add_command(content_cli)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    app.cli.add_command(users_cli)
    alert_routes.init_app(app)
    app.register_blueprint(places.bp)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    _init_mail(app)
    _init_sign_in(app)

    _warm_plan_cache(app)

    @app.after_request
    def _buffer_sent_files(response):
        """Read a sent file into memory before Flask-Compress wraps it, so the file is always closed."""
        # Flask-Compress (whose hook runs after this one) replaces a streamed body with a generator
        # and drops the file's close(); buffering first keeps compression and closes the file.
        if response.direct_passthrough and response.is_streamed:
            response.direct_passthrough = False
            response.make_sequence()
        return response

    _wire_alerts(app)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["CSP_REPORT_TO"] and response.headers["Content-Security-Policy"] == CSP:
            response.headers["Content-Security-Policy"] = f"{CSP}; {REPORT_TO}"
            response.headers["Reporting-Endpoints"] = 'csp="/csp-rapport"'
        if app.config["HTTPS"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        """Show errors in the app's own style, never a stack trace."""
        if error.code and error.code >= 500:
            db.session.rollback()
        template = "errors/404.html" if error.code == 404 else "errors/error.html"
        response = app.make_response((render_template(template, error=error), error.code))
        if error.code == 405:
            response.headers["Allow"] = ", ".join(error.valid_methods or [])
        return response

    @app.errorhandler(Exception)
    def _server_error(error: Exception):
        """Log the failure and show a calm page; the user never sees a traceback."""
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", access_log.describe_request())
        try:
            return render_template("errors/error.html", error=None), 500
        except Exception:  # the error page itself failed: still no traceback for the user
            return _plain_error_text(), 500, {"Content-Type": "text/plain; charset=utf-8"}

    http_cache.init_app(app)  # last: its hook sees every header, its front cache wraps the whole app
    return app
