"""The UI's language: the school's written language (bokmål or nynorsk) by default, English on request.

English lives under its own path prefix, `/en/...`, rather than in a cookie: every public page is the
same bytes for everyone at its URL (shared caches, the front cache, the service worker's offline copy
all key on the URL), so a language must be part of the URL to never serve one visitor's language to
another. The WSGI layer below moves the prefix into SCRIPT_NAME, so every `url_for` on an English page
stays in English without any route knowing about languages.

Source strings (msgid) are bokmål; the catalogues in backend/translations/ hold nynorsk and English.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale

from backend.services.plan import revision_cache

# The school's own written languages, and the one a visitor may switch to.
SCHOOL_LANGUAGES = ("nb", "nn")
VISITOR_LANGUAGES = ("en",)
LANGUAGES = SCHOOL_LANGUAGES + VISITOR_LANGUAGES
ENVIRON_KEY = "rusplan.language"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


class LanguagePrefix:
    """WSGI layer: `/en/<path>` is `<path>` in English (the prefix moves into SCRIPT_NAME)."""

    def __init__(self, app, languages: tuple[str, ...] = VISITOR_LANGUAGES) -> None:
        self.app = app
        self.languages = languages

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        for language in self.languages:
            prefix = f"/{language}"
            if path == prefix or path.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix) :] or "/"
                environ[ENVIRON_KEY] = language
                break
        return self.app(environ, start_response)


def school_language() -> str:
    """Return the current plan's written language ("nb" or "nn"); bokmål when no plan is loaded."""
    current = revision_cache.current()
    language = getattr(getattr(current, "plan", None) and current.plan.meta, "language", None)
    return language if language in SCHOOL_LANGUAGES else "nb"


def visitor_language() -> str | None:
    """Return the language the visitor chose by the URL (/en/...), or None for the school's own."""
    if not has_request_context():
        return None
    return request.environ.get(ENVIRON_KEY)


def select_locale() -> str:
    """Flask-Babel's locale selector: the visitor's choice, else the school's language."""
    return visitor_language() or school_language()


def current_language() -> str:
    """Return the language of the page being rendered, for <html lang> and the language switch."""
    return str(get_locale() or "nb")


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every messages.po whose .mo is missing or older; return the files written.

    `make` runs this before serving and testing, so a translation edited in a .po file is never
    silently ignored by a stale .mo.
    """
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written


def init_app(app: Flask) -> None:
    """Set up Flask-Babel and the /en prefix; `current_language` becomes a template global."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "nb")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Oslo")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["current_language"] = current_language
    app.wsgi_app = LanguagePrefix(app.wsgi_app)
