"""Every JSON body the app reads goes through parse_json: malformed or too deep answers 400.

Python's json module raises RecursionError (not ValueError) on `[[[[...` a few thousand levels deep,
which Flask's get_json(silent=True) does not catch: a 500 and a traceback from one short request.
Real bodies (a push subscription, a CSP report) are a handful of levels deep, so the nesting is
counted before anything is parsed, and anything deeper than MAX_DEPTH is refused. The app's Request
class reads JSON only through here, so a route added later cannot forget it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask import Request as FlaskRequest
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

MAX_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class BadJson(BadRequest):
    """A body that was meant to be JSON and is not (or is nested too deep)."""

    def __init__(self, description: str | None = None, response=None) -> None:
        # Translated when raised (in the request's language), not when the module is imported.
        super().__init__(description or _("Forespørselen er ikke gyldig JSON."), response)


def nesting_depth(text: str) -> int:
    """Return how deep the arrays and objects of a JSON text nest (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Return the value of a JSON body; raise BadJson (400) for anything malformed or too deep."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise BadJson() from error
    if nesting_depth(text) > max_depth:
        raise BadJson(description=_("Forespørselen er nestet for dypt."))
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise BadJson() from error


class Request(FlaskRequest):
    """Flask's request, with a JSON body that is malformed or too deep refused with 400.

    Also with get_json(silent=True): silent still means «no JSON was sent» (another content type)
    gives None, but a body that says it is JSON and is not is a bad request, never a 500 or a
    silently empty value.
    """

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json):
            return super().get_json(force=force, silent=silent, cache=cache)
        return parse_json(self.get_data(cache=cache))


def init_app(app: Flask) -> None:
    """Make the app's requests read JSON through parse_json."""
    app.request_class = Request
