"""The school's written language, for texts built for a recipient rather than for a request.

A mail or a push notification is read by a person at the school (an admin, a leader on a lock screen),
not by whoever caused it: a visitor on /en/ who asks for a password reset, or the background sender,
builds it in the school's language (the plan's `meta.language`), never in the request's.

i18n.school_language (the web layer's locale selector) reads the same; services may not import the web
layer, so the rule lives here too.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.exc import SQLAlchemyError

from backend.services.plan import revision_cache

# The school's own written languages (the plan's meta.language); bokmål when the plan names none.
SCHOOL_LANGUAGES = ("nb", "nn")


def school_language() -> str:
    """Return the current plan's written language ("nb" or "nn"); bokmål when no plan is loaded.

    Never raises: the page that says the database is down (503) is translated too, and asks this.
    """
    try:
        current = revision_cache.current()
    except SQLAlchemyError:
        # The database is down and no plan is known (a first start): the school's content folder says.
        return folder_language()
    language = getattr(getattr(current, "plan", None) and current.plan.meta, "language", None)
    return language if language in SCHOOL_LANGUAGES else "nb"


def folder_language() -> str:
    """Return the language in the school's content folder (plan.yaml); bokmål when it cannot be read."""
    config = current_app.config
    return _language_in(Path(config["CONTENT_DIR"]) / config["SCHOOL"] / "plan.yaml")


@functools.lru_cache(maxsize=16)
def _language_in(path: Path) -> str:
    try:
        language = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("language")
    except (OSError, ValueError, AttributeError, yaml.YAMLError):
        return "nb"
    return language if language in SCHOOL_LANGUAGES else "nb"


@contextmanager
def school_locale() -> Iterator[str]:
    """Translate what is built inside in the school's language (needs an app context); yield it."""
    language = school_language()
    with force_locale(language):
        yield language
