"""HTTP caching of the public pages: one policy for browsers, nginx and any other shared cache.

A public page is the same for every visitor until the plan changes (it is rendered once per revision,
see services/plan.py), so a shared cache may keep it. What may be kept, and for how long:

- The public pages and the offline copy's other files (the service worker's list, /precache.json,
  less the static files, which routes/pwa.py already marks) answered to a request WITHOUT the app's
  session or remember cookie: ``public, max-age=0, s-maxage=1, stale-while-revalidate=5`` with an
  ETag that names the plan revision. A browser asks again on every view (a 304 costs nothing); a
  shared cache serves its copy for one second, then for five more while it revalidates in the
  background (If-None-Match: a 304 from the app). A publish therefore shows within a second or two
  everywhere, as it already does across the app's own worker processes (REVISION_CHECK_INTERVAL), and
  the app sees at most one request per page and second from each cache. Purging on publish would
  need a purge module in nginx and the app to know every cache; revalidation needs neither.
- The same URLs with the session or remember cookie (signed in, or a form token in the session), and
  every other response to such a request: ``private``, never in a shared cache. A public page is the
  same bytes for everyone, so it needs no ``Vary: Cookie``: a shared cache that holds the anonymous copy
  may give it to a signed-in visitor too (nginx does not: it sends those requests to the app).
- A response that touched the session (a form token, a flash message, a login) is never public: it
  may carry a Set-Cookie or personal text.

Item 4 of issue 15 (tail latency): FrontCache, a WSGI middleware, answers a repeated anonymous GET of
a public page with the bytes the app gave the same request before, without entering Flask, while the
plan revision they were rendered from is the current one. It keeps only what a shared cache could
keep by the rules above, keyed by what the response varies on.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from datetime import date

from flask import Flask, Response, current_app, request
from flask.globals import request_ctx

from backend.services import accounts
from backend.services.plan import revision_cache

SHARED_MAX_AGE = 1  # seconds; as often as a worker looks for a new revision (REVISION_CHECK_INTERVAL)
STALE_WHILE_REVALIDATE = 5  # seconds a shared cache may serve its copy while it asks the app again
PUBLIC = f"public, max-age=0, s-maxage={SHARED_MAX_AGE}, stale-while-revalidate={STALE_WHILE_REVALIDATE}"
PERSONAL = "private, no-cache"
SAFE_METHODS = ("GET", "HEAD")
# Set in the WSGI environ on a response a shared cache may keep: (revision id, content hash) it shows.
SHAREABLE = "rusplan.shareable"
# The request headers the front cache keys on (a request with a Cookie never uses it).
VARY_KEYED = {"accept-encoding", "hx-request", "cookie"}


def init_app(app: Flask) -> None:
    """Apply the caching policy to every response and put the front cache before the app."""
    # Inserted first, so it runs last of the after-request hooks (Flask runs them in reverse): it
    # sees the final body (compressed by Flask-Compress or the page cache) and every other header.
    app.after_request_funcs.setdefault(None, []).insert(0, _cache_policy)
    app.wsgi_app = FrontCache(app, app.wsgi_app)


def carries_login_cookie() -> bool:
    """Tell whether the request has the session or remember cookie (signed in, or a form token)."""
    cookies = request.cookies
    return (
        current_app.config["SESSION_COOKIE_NAME"] in cookies
        or current_app.config["REMEMBER_COOKIE_NAME"] in cookies
    )


def public_paths() -> frozenset[str]:
    """Return the paths every visitor gets the same response for: the offline list, less static files."""
    current = revision_cache.last_known()
    if current is None:
        return frozenset()
    from backend.routes.pwa import assets, precache_urls

    found = assets()
    key = (current.revision_id, current.content_hash, found.static_hash, found.code_hash)
    cached = _public_paths.get(key)
    if cached is None:
        paths = frozenset(url.split("?", 1)[0] for url in precache_urls(current))
        cached = frozenset(path for path in paths if not path.startswith("/static/"))
        _public_paths.clear()
        _public_paths[key] = cached
    return cached


_public_paths: dict[tuple, frozenset[str]] = {}


def _session_used() -> bool:
    """Tell whether this request read or wrote the session (form token, flash message, login)."""
    session = request_ctx._session  # the session without marking it accessed
    return session is not None and (session.accessed or session.modified)


def _cache_policy(response: Response) -> Response:
    """Mark a response as shareable, private or leave it alone, by the rules in the module docstring."""
    if request.method not in SAFE_METHODS:
        return response
    personal = carries_login_cookie() or _session_used()
    if response.status_code == 200 and request.path in public_paths():
        current = revision_cache.last_known()
        if "ETag" not in response.headers:
            digest = hashlib.blake2b(response.get_data(), digest_size=8).hexdigest()
            response.set_etag(f"r{current.revision_id}-{digest}")
        if personal:
            response.headers["Cache-Control"] = PERSONAL
        else:
            response.headers["Cache-Control"] = PUBLIC
            request.environ[SHAREABLE] = (current.revision_id, current.content_hash, _today())
        dated = "Date" in response.headers
        response.make_conditional(request)
        if not dated:
            response.headers.pop("Date", None)  # werkzeug adds one; the server sends its own, current
        return response
    if personal:
        _keep_private(response)
    return response


def _keep_private(response: Response) -> None:
    """Let only the browser's own cache keep a response to a signed-in request."""
    control = response.cache_control
    if control.no_store or control.private:
        return
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = PERSONAL
        return
    control.public = False
    control.s_maxage = None
    control.private = True


class _Entry:
    """One stored response: status, headers and body, and the revision it was rendered from."""

    __slots__ = ("body", "etag", "headers", "status", "version")

    def __init__(self, version: tuple, status: str, headers: list, body: bytes) -> None:
        self.version = version
        self.status = status
        self.headers = headers
        self.body = body
        self.etag = next((value for name, value in headers if name.lower() == "etag"), None)


def _today() -> date:
    """The date pages are rendered for (the app's clock): what is kept is used on that day only."""
    return accounts.now().date()


class FrontCache:
    """Serve repeated anonymous GETs of public pages from memory, without entering Flask.

    What it stores is exactly what the app answered to the same request: a 200 (or the 304 to a
    matching If-None-Match) that the caching policy marked shareable, with no Set-Cookie. The key is
    the path and the request headers such a response may vary on (Accept-Encoding, HX-Request; a
    request with a Cookie, a query string or any other condition than If-None-Match always goes to the
    app). An entry is used only while the plan revision it shows is the current one and the app itself
    would not ask the database yet (services/plan.py: REVISION_CHECK_INTERVAL), so a publish shows
    exactly when it does without this cache. Not in debug mode (files change under a running server).
    """

    MAX_ENTRIES = 1000  # some 40 pages × a few Accept-Encoding values × htmx or not; made-up values beyond

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._entries: dict[tuple, _Entry] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        version = revision_cache.memory_version(float(self.app.config["REVISION_CHECK_INTERVAL"]))
        if version is not None:
            version = (*version, _today())  # a page may change with the date (the overdue review notice)
        entry = self._entries.get(key)
        if entry is not None and version is not None and entry.version == version:
            start_response(entry.status, entry.headers)
            return [entry.body]
        return self._record(key, version, environ, start_response)

    def _key(self, environ: dict) -> tuple | None:
        """Return the key of a request the cache may answer, or None to let the app answer it."""
        if environ["REQUEST_METHOD"] != "GET" or environ.get("QUERY_STRING") or self.app.debug:
            return None
        for name in ("HTTP_COOKIE", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE"):
            if name in environ:
                return None
        if "HTTP_RANGE" in environ or "HTTP_IF_RANGE" in environ or "HTTP_AUTHORIZATION" in environ:
            return None
        path = environ.get("PATH_INFO", "")
        base = (path, environ.get("HTTP_ACCEPT_ENCODING"), environ.get("HTTP_HX_REQUEST"))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is None:
            return (*base, None)
        # Only the validator of the stored 200 itself: any other value gets the stored 200 (the app
        # would answer it so too), and nobody can fill the cache with made-up validators.
        full = self._entries.get((*base, None))
        if full is None or full.etag is None:
            return None
        if if_none_match == full.etag:
            return (*base, full.etag)
        if "*" in if_none_match or full.etag.strip('W/"') in if_none_match:
            return None  # a list or a wildcard that may match: the app decides
        return (*base, None)

    def _record(self, key: tuple, version: tuple | None, environ: dict, start_response: Callable):
        """Let the app answer, and keep its answer when the policy marked it shareable."""
        captured: list = []

        def capture(status: str, headers: list, exc_info=None):
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.wsgi_app(environ, capture)
        shown = environ.get(SHAREABLE)
        if version is None or shown != version or not captured:
            return result
        status, headers = captured
        expected = "304" if key[3] is not None else "200"
        names = {name.lower(): value for name, value in headers}
        vary = {part.strip().lower() for part in names.get("vary", "").split(",") if part.strip()}
        if not status.startswith(expected) or "set-cookie" in names or not vary <= VARY_KEYED:
            return result
        if any(name.startswith("x-ratelimit") for name in names):
            return result  # a rate-limited route must count every request (none of the pages is)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        with self._lock:
            if any(entry.version != version for entry in self._entries.values()):
                self._entries = {k: e for k, e in self._entries.items() if e.version == version}
            if len(self._entries) < self.MAX_ENTRIES:
                kept = [(name, value) for name, value in headers if name.lower() != "date"]
                self._entries[key] = _Entry(version, status, kept, body)
        return [body]
