"""The school's written language, for texts built for a recipient rather than for a request.

A mail or a push notification is read by a person at the school (an admin, a leader on a lock screen),
not by whoever caused it: a visitor on /en/ who asks for a password reset, or the background sender,
builds it in the school's language (the plan's `meta.language`), never in the request's.

i18n.school_language (the web layer's locale selector) reads the same; services may not import the web
layer, so the rule lives here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, get_locale
from sqlalchemy.exc import SQLAlchemyError

from backend.content.loader import declared_language
from backend.services.plan import revision_cache

# The school's own written languages (the plan's meta.language); bokmål when the plan names none.
SCHOOL_LANGUAGES = ("nb", "nn")
# Set while the plan is read to learn its language: the plan's validation may translate a message
# (a content error), which asks for the locale again; that inner ask gets bokmål instead of a loop.
_reading_plan: ContextVar[bool] = ContextVar("reading_plan", default=False)


def school_language() -> str:
    """Return the current plan's written language ("nb" or "nn"); bokmål when no plan is loaded.

    Never raises: the page that says the database is down (503) is translated too, and asks this.
    """
    if _reading_plan.get():
        return "nb"
    token = _reading_plan.set(True)
    try:
        current = revision_cache.current()
    except SQLAlchemyError:
        # The database is down and no plan is known (a first start): the school's content folder says.
        return folder_language()
    finally:
        _reading_plan.reset(token)
    language = getattr(getattr(current, "plan", None) and current.plan.meta, "language", None)
    return language if language in SCHOOL_LANGUAGES else "nb"


def folder_language() -> str:
    """Return the language in the school's content folder (plan.yaml); bokmål when it cannot be read."""
    config = current_app.config
    return declared_language(Path(config["CONTENT_DIR"]) / config["SCHOOL"]) or "nb"


def title_in_sentence(title: str) -> str:
    """A person's title as written inside a sentence: «Rektor» → «rektor», «NAV-rettleiar» stays."""
    text = str(title)
    if len(text) > 1 and text[1].isupper():
        return text  # an acronym leads («NAV-veileder», «PPT-rådgiver»)
    return text[:1].lower() + text[1:]


def first_to_call(plan) -> str | None:
    """Return the title of the first person in the call chain as said in a sentence («rektor»), or None.

    The emergency screens say whom to call first from the school's own call chain; an English page
    keeps the title as the school wrote it («Rektor»), as it keeps every other text of the plan.
    """
    chain = plan.call_chain() if plan is not None else []
    if not chain:
        return None
    return chain[0].role if str(get_locale()) == "en" else title_in_sentence(chain[0].role)


@contextmanager
def school_locale() -> Iterator[str]:
    """Translate what is built inside in the school's language (needs an app context); yield it."""
    language = school_language()
    with force_locale(language):
        yield language
