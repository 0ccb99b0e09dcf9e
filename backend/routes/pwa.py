"""The installable, offline-first app: service worker, manifest, offline page and the list to precache.

Everything here is served from the root so the service worker's scope is the whole app.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend import i18n
from backend.routes.common import current_plan, public_file_urls, public_page_urls, render_page
from backend.services.assets import StaticAssets
from backend.services.language import first_to_call
from backend.services.plan import CurrentPlan

bp = Blueprint("pwa", __name__)

APP_NAME = _l("Rusplan – Handlingsplan mot rus")
SHORT_NAME = "Rusplan"
# The same colours as app.css: --accent (top bar) and --bg.
THEME_COLOR = "#0b3d5c"
BACKGROUND_COLOR = "#ffffff"
IMMUTABLE = "public, max-age=31536000, immutable"
# Prefixes of personal pages: never in the offline list (the service worker has the same list).
PERSONAL_PREFIXES = ("/konto", "/admin", "/varsel")


def assets() -> StaticAssets:
    """Return the app's static file fingerprints."""
    return current_app.extensions["rusplan.assets"]


def asset_url(filename: str) -> str:
    """Return the fingerprinted URL of a static file, e.g. /static/css/app.css?v=3f2a9c01d4.

    The same URL on English pages (no /en): one copy of each file, the one the offline cache holds.
    """
    return i18n.school_url(url_for("static", filename=filename, v=assets().fingerprint(filename)))


def init_app(app: Flask) -> None:
    """Fingerprint the static files once, add `asset_url` to templates and register the PWA routes."""
    backend = Path(app.root_path)
    app.extensions["rusplan.assets"] = StaticAssets(
        backend / app.static_folder,
        code_sources=((backend / app.template_folder, "**/*"), (backend, "**/*.py")),
    )
    app.add_template_global(asset_url, "asset_url")
    # Static files from memory, compressed once: Flask-Compress would compress the file stream on every
    # request and leaves the file open (a ResourceWarning per request).
    app.view_functions["static"] = static_file
    app.register_blueprint(bp)


def static_file(filename: str) -> Response:
    """Serve a static file, compressed with br or gzip when the browser takes it, with an ETag."""
    found = assets()
    if not found.servable(filename):
        return current_app.send_static_file(filename)  # 404, or a file too large to keep in memory
    encoding = request.accept_encodings.best_match(found.encodings(filename))
    response = Response(found.body(filename, encoding), mimetype=found.mimetype(filename))
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    # One validator per encoding: a cached gzip body must never be confirmed for a br request.
    response.set_etag(f"{found.files[filename][:20]}-{encoding or 'identity'}")
    response.headers["Cache-Control"] = "no-cache"  # a year instead when the URL is fingerprinted
    return response.make_conditional(request)


@bp.before_app_request
def _refresh_fingerprints_in_debug() -> None:
    """In development, files change under a running server: hash them again on every request."""
    if current_app.debug:
        assets().refresh()


@bp.after_app_request
def _cache_fingerprinted_static(response: Response) -> Response:
    """Let browsers keep a static file for a year when its URL carries its current content hash."""
    if request.endpoint == "static" and response.status_code in (200, 304):
        filename = (request.view_args or {}).get("filename", "")
        if assets().is_current(filename, request.args.get("v")):
            response.headers["Cache-Control"] = IMMUTABLE
    return response


def offline_version(current: CurrentPlan) -> str:
    """Return the version of the offline copy: the content revision plus every static and code hash."""
    found = assets()
    text = f"{current.revision_id}:{current.content_hash}:{found.static_hash}:{found.code_hash}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def precache_urls(current: CurrentPlan) -> list[str]:
    """Return every URL the service worker stores on install: public pages, files, the offline page."""
    plan = current.plan
    urls = [*public_page_urls(plan), url_for("pwa.offline"), url_for("pwa.manifest")]
    urls += public_file_urls(plan)
    urls += [asset_url(name) for name in assets().files]
    unique = list(dict.fromkeys(urls))
    # A guard, not a filter: a personal page in this list is a bug somewhere else.
    personal = [url for url in unique if url.startswith(PERSONAL_PREFIXES)]
    if personal:
        raise RuntimeError(f"Personal pages must never be precached: {personal}")
    return unique


def _no_cache(response: Response) -> Response:
    """Make the browser ask the server every time (these responses name the current version)."""
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker():
    """Serve the service worker from the root, with the current version in its bytes.

    The browser installs a new worker only when the script's bytes change, so the version is written
    into it: a new revision of the plan (or a deploy) gives a new script and a background update.
    """
    version = offline_version(current_plan())
    body = render_template(
        "pwa/sw.js",
        version=version,
        precache_url=url_for("pwa.precache"),
        offline_url=url_for("pwa.offline"),
    )
    response = Response(body, mimetype="text/javascript")
    return _no_cache(response)


@bp.get("/precache.json")
def precache():
    """List what the service worker must store for offline use, and the version it belongs to."""
    current = current_plan()
    data = {
        "version": offline_version(current),
        "revision": current.revision_id,
        "content_date": current.created_at.date().isoformat(),
        "offline_url": url_for("pwa.offline"),
        "urls": precache_urls(current),
    }
    response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")
    return _no_cache(response)


def _icon(filename: str, size: int, purpose: str = "any") -> dict[str, str]:
    return {"src": asset_url(filename), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}


@bp.get("/manifest.webmanifest")
def manifest():
    """Describe the app for installation on the home screen."""
    current = current_plan()
    # One app whatever the language: the same id and scope; English only starts on its own pages.
    root = i18n.school_root() + "/"
    data = {
        "id": root,
        "name": str(APP_NAME),
        "short_name": SHORT_NAME,
        "description": _(
            "%(title)s for %(school)s: hva du gjør ved bekymring, og hvem du ringer.",
            title=current.plan.meta.title,
            school=current.plan.meta.school,
        ),
        "lang": i18n.current_language(),
        "dir": "ltr",
        "start_url": url_for("public.home"),
        "scope": root,
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["education"],
        "icons": [
            _icon("icons/icon-192.png", 192),
            _icon("icons/icon-512.png", 512),
            _icon("icons/icon-maskable-512.png", 512, "maskable"),
        ],
        "shortcuts": [
            {
                "name": _("Akutt"),
                "short_name": _("Akutt"),
                "description": (
                    _("Ring ledelsen: %(title)s først", title=first)
                    if (first := first_to_call(current.plan))
                    else _("Ring ledelsen")
                ),
                "url": url_for("emergency.index"),
                "icons": [_icon("icons/shortcut-akutt-96.png", 96)],
            },
            {
                "name": _("Kontakter"),
                "short_name": _("Kontakter"),
                "description": _("Alle i planen, ring med ett trykk"),
                "url": url_for("public.contacts"),
                "icons": [_icon("icons/shortcut-kontakter-96.png", 96)],
            },
        ],
    }
    response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")
    return _no_cache(response)


@bp.get("/offline")
def offline():
    """Show what a phone without network needs most: the emergency numbers and the leadership."""
    return render_page("pwa/offline.html")
