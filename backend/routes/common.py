"""View plumbing every blueprint shares, so no route module imports another.

The current plan, rendering a page or just its htmx block, the no-store hook for personal pages,
the `dbid` URL converter (registered by create_app) and the list of every public page.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2_fragments.flask import render_block
from werkzeug.routing import IntegerConverter

from backend.content.schema import Plan
from backend.models import MAX_ID
from backend.services.assets import compress
from backend.services.plan import CurrentPlan, revision_cache

PAGE_ENCODINGS = ("br", "gzip")
# Keys in app.extensions: the urls(plan) functions of the public blueprints, set by create_app.
PUBLIC_PAGES = "public_pages"
PUBLIC_FILES = "public_files"

# The information pages under "Om planen" that every plan has, after its own prose sections.
FIXED_INFO_PAGES: dict[str, object] = {  # titles translated when shown (lazy_gettext)
    "lovverk": _l("Lovverk og lenker"),
    "evaluering": _l("Om planen og evaluering"),
}


def info_pages(plan: Plan) -> dict[str, str]:
    """Return the pages under «Om planen»: slug → title (public pages, and the admin's preview of them).

    The plan's prose sections come first, in the school's order, then the laws and the evaluation.
    """
    pages = {s.slug: s.page_title or s.title for s in plan.plan_sections() if s.slug not in FIXED_INFO_PAGES}
    return {**pages, **{slug: str(title) for slug, title in FIXED_INFO_PAGES.items()}}


class DatabaseId(IntegerConverter):
    """An id the id columns can hold: larger numbers are a 404, not a crash.

    See `backend.models.MAX_ID`: a larger number in the URL would make PostgreSQL raise «out of range»
    instead of finding nothing.
    """

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def current_plan() -> CurrentPlan:
    """Return the current plan, or answer 503 when no content has been imported."""
    current = revision_cache.current()
    if current is None:
        abort(503, description=_("Planen er ikke lastet inn ennå."))
    return current


def wants_block(block: str | None, target: str | None = None) -> bool:
    """Tell whether htmx asked for just this block (and, given a target, for that element)."""
    if not block or request.headers.get("HX-Request") != "true":
        return False
    return target is None or request.headers.get("HX-Target") == target


def render(template: str, block: str | None = None, *, target: str | None = None, **context) -> Response:
    """Render a page, or just its block when htmx asks for it; for personal pages, never cached."""
    if wants_block(block, target):
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body)
    response.vary.add("HX-Request")
    return response


def render_page(template: str, block: str | None = None, *, variant: tuple = (), **context) -> Response:
    """Render a public page from the per-revision cache; htmx requests get just the block.

    `variant` names what else than the revision the page depends on (the evaluation page: whether the
    review date has passed), so a page that changes with the date is cached once per state.
    """
    current = current_plan()
    partial = wants_block(block)
    # The full path (with /en for English): one cached copy per language.
    key = (request.script_root + request.path, template, block if partial else None, *variant)

    def build() -> bytes:
        ctx = {"plan": current.plan, "current": current, **context}
        html = render_block(template, block, **ctx) if partial else render_template(template, **ctx)
        return html.encode("utf-8")

    body = revision_cache.page(current.revision_id, key, build)
    # Compressed once per revision too: compressing on every request was half the cost of a page view.
    encoding = request.accept_encodings.best_match(PAGE_ENCODINGS) if len(body) >= 300 else None
    if encoding:
        body = revision_cache.page(current.revision_id, (*key, encoding), lambda: compress(body, encoding))
    response = make_response(body)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    if encoding:
        response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves the response alone
    response.vary.add("HX-Request")
    response.vary.add("Accept-Encoding")
    return response


def no_store(response: Response) -> Response:
    """Personal pages (and health answers) are never stored by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _collect(key: str, plan: Plan) -> list[str]:
    seen: list[str] = []
    for urls in current_app.extensions[key]:
        seen += [url for url in urls(plan) if url not in seen]
    return seen


def public_page_urls(plan: Plan) -> list[str]:
    """Return the URL of every public page for this plan, in a stable order (offline list, tests)."""
    return _collect(PUBLIC_PAGES, plan)


def public_file_urls(plan: Plan) -> list[str]:
    """Return the public files that are not pages (vCards), for the offline list."""
    return _collect(PUBLIC_FILES, plan)


def register_public_pages(
    app, pages: tuple[Callable[[Plan], list[str]], ...], files: tuple[Callable[[Plan], list[str]], ...]
) -> None:
    """Tell the offline list which blueprints' urls(plan) make up the public site, in order."""
    app.extensions[PUBLIC_PAGES] = pages
    app.extensions[PUBLIC_FILES] = files
