"""Refuse NUL bytes in input before any view sees them.

PostgreSQL cannot store a NUL (\\x00) in a text value and raises on a query that contains one, so a
NUL typed into a form or put in a URL would otherwise become a 500 there (SQLite would store it).
No real input has one: a NUL in a path is a 404 (no such page), in a query string or form a 400.
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values if isinstance(value, str))


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_bytes() -> None:
        if request.view_args and _has_nul(request.view_args.values()):
            abort(404)
        if _has_nul(request.args.values()) or _has_nul(request.args.keys()):
            abort(400, description=_("Adressen inneholder et ugyldig tegn."))
        if request.method in ("POST", "PUT", "PATCH") and (
            _has_nul(v for values in request.form.listvalues() for v in values)
            or _has_nul(request.form.keys())
        ):
            abort(400, description=_("Skjemaet inneholder et ugyldig tegn."))
