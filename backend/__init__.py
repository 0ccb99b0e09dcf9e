"""Rusplan: a school's action plan on drugs and alcohol as a phone-first web app."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from backend.config import Config
from backend.extensions import compress, csrf, db, limiter, migrate

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
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _secret_key(instance: Path) -> str:
    """Read the generated secret key from instance/, creating it on first start."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


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
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'rusplan.sqlite3'}"

    db.init_app(app)
    migrate.init_app(app, db, directory=str(root / "backend" / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)

    from backend import template_helpers
    from backend.cli import content_cli
    from backend.routes import emergency, public

    template_helpers.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(emergency.bp)
    app.cli.add_command(content_cli)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
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
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        try:
            return render_template("errors/error.html", error=None), 500
        except Exception:  # the error page itself failed: still no traceback for the user
            return "Noe gikk galt. Prøv igjen om litt.", 500, {"Content-Type": "text/plain; charset=utf-8"}

    return app
