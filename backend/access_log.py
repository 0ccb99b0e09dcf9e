"""Log lines name the route a request matched, never the path or query it came with.

A path is input: `/Ola%20Nordmann%202STA` decodes to a name, `%0a` to a forged second line, and
invitation and acknowledgement links carry one-time tokens. So the app remembers which route matched
(`/konto/invitasjon/<token>`, or «unknown route») in the WSGI environ, and gunicorn's access log
(AccessLogger, set in gunicorn.conf.py) and the app's own error logs print that instead.
"""

from __future__ import annotations

from flask import Flask, request, request_started
from gunicorn.glogging import Logger

ROUTE_KEY = "rusplan.route"
UNKNOWN_ROUTE = "unknown route"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _remember_route(app: Flask, **_extra) -> None:
    request.environ[ROUTE_KEY] = request.url_rule.rule if request.url_rule is not None else UNKNOWN_ROUTE


def route_of(environ: dict) -> str:
    """Return the route a request matched (a rule like `/varsel/<dbid:alert_id>`), or «unknown route»."""
    route = environ.get(ROUTE_KEY)
    return route if isinstance(route, str) else UNKNOWN_ROUTE


def method_of(environ_or_method: dict | str | None) -> str:
    """Return the HTTP method if it is a standard one, else «OTHER» (a method is input too)."""
    method = (
        environ_or_method.get("REQUEST_METHOD") if isinstance(environ_or_method, dict) else environ_or_method
    )
    return method if method in METHODS else "OTHER"


def describe_request() -> str:
    """Return «METHOD route» of the current request, for the app's own log lines."""
    return f"{method_of(request.environ)} {route_of(request.environ)}"


def init_app(app: Flask) -> None:
    """Remember each request's matched route in its environ, before any hook can fail."""
    request_started.connect(_remember_route, app)


class AccessLogger(Logger):
    """gunicorn's logger, with the request's route where its access-log atoms held the raw request.

    `%(U)s` is the route, `%(r)s` is «METHOD route», `%(m)s` is the method (or OTHER); the query
    string, the referrer, the user agent, the address and every request header or environ value
    are left out («-»), whatever access_log_format asks for.
    """

    RAW = ("q", "f", "a", "h", "l", "u", "H")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        route = route_of(environ)
        method = method_of(getattr(req, "method", None))
        for key in list(atoms):
            if key.startswith("{"):  # {header}i, {header}o, {variable}e
                del atoms[key]
        atoms.update({key: "-" for key in self.RAW})
        atoms.update({"U": route, "m": method, "r": f"{method} {route}"})
        return atoms
