"""HTTP caching: public pages may be kept by any shared cache, and nothing personal ever is.

The walk below reads every GET route from app.url_map, so a new route is checked without being listed.
A response counts as storable by a shared cache unless its Cache-Control says private or no-store
(RFC 9111 3 and 5.2.2: public, s-maxage and max-age allow it outright; no-cache and no Cache-Control at
all still let a cache store it, to revalidate or with a heuristic lifetime), which is stricter than
nginx, whose rule is public/s-maxage/max-age without private/no-store/no-cache.
"""

from __future__ import annotations

import re

import pytest
from flask import session

from backend import http_cache
from backend.extensions import limiter
from backend.routes.pwa import precache_urls
from backend.services import plan as plan_service
from tests.conftest import CONTENT, make_app
from tests.support import login, make_user, token

USER_NAME = "Kari Hemmelig-Testleder"
FLASH = "Flash-melding som bare er til Kari"


def directives(response) -> dict[str, str | None]:
    """Return the Cache-Control directives of a response, lowercased: {name: value or None}."""
    found: dict[str, str | None] = {}
    for part in response.headers.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.lower()] = value.strip('"') or None
    return found


def shared_cache_may_store(response) -> bool:
    """Tell whether a shared cache may keep this response (status and Cache-Control alone)."""
    control = directives(response)
    if response.status_code not in (200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501):
        return "public" in control or "s-maxage" in control  # other codes only when told explicitly
    return "private" not in control and "no-store" not in control


def route_urls(app) -> list[str]:
    """Return URLs for every GET route: the offline list's URLs of a route, else one made-up example."""
    with app.test_request_context():
        known = precache_urls(plan_service.revision_cache.current())
        adapter = app.url_map.bind("localhost")
        by_endpoint: dict[str, list[str]] = {}
        for url in known:
            path = url.partition("?")[0]
            endpoint, _args = adapter.match(path)
            by_endpoint.setdefault(endpoint, []).append(url)
        urls: list[str] = []
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            if rule.endpoint in by_endpoint:
                urls += by_endpoint[rule.endpoint]
            if not rule.arguments:
                urls.append(rule.rule)
            elif rule.endpoint not in by_endpoint:
                examples = {name: "1" for name in rule.arguments}
                urls.append(adapter.build(rule.endpoint, examples))
    return list(dict.fromkeys(urls))


@pytest.fixture
def cache_app(tmp_path):
    """An app whose front cache is on (the tests' default REVISION_CHECK_INTERVAL of 0 turns it off)."""
    return make_app(tmp_path, REVISION_CHECK_INTERVAL=60)


def signed_in(app):
    """Return a client signed in as an admin named USER_NAME, with a flash message waiting."""
    make_user(app, roles=("admin", "leader", "staff"), name=USER_NAME)
    client = app.test_client()
    assert login(client).status_code == 302
    with client.session_transaction() as session:
        session["_flashes"] = [("info", FLASH)]
    return client


def assert_nothing_personal(response, url: str, csrf: str) -> None:
    """No form token, session cookie, user name or flash message in a response."""
    text = response.get_data().decode("utf-8", "replace")  # images too
    assert "Set-Cookie" not in response.headers, f"{url}: sets a cookie"
    personal = [csrf, USER_NAME, FLASH]
    if response.mimetype == "text/html":  # where a page would hold a token or a message
        personal += ['name="csrf_token"', '"X-CSRFToken"', "data-csrf-token", 'class="messages"']
    for found in personal:
        assert found not in text, f"{url}: {found!r} in a response a shared cache may store"


def test_no_shared_cacheable_response_holds_a_token_a_name_or_a_flash(cache_app):
    """Every GET route, anonymous, after a signed-in admin has seen every URL first: whatever a shared
    cache may keep has no CSRF token, Set-Cookie, user name or flash, and the signed-in answers to the
    same URLs are never shared-cacheable."""
    urls = route_urls(cache_app)
    user = signed_in(cache_app)
    csrf = token(user)
    for url in urls:  # the signed-in views first, so any cache they could fill is filled
        for headers in ({}, {"HX-Request": "true"}):
            response = user.get(url, headers=headers)
            if response.status_code == 200:
                assert not shared_cache_may_store(response), f"{url} (signed in): {response.headers}"

    anonymous = cache_app.test_client(use_cookies=False)
    shareable = []
    for _ in range(2):  # the second round comes from the front cache
        for url in urls:
            for headers in ({}, {"HX-Request": "true"}):
                response = anonymous.get(url, headers=headers)
                assert "Set-Cookie" not in response.headers or not shared_cache_may_store(response), url
                if response.status_code == 200 and shared_cache_may_store(response):
                    assert_nothing_personal(response, url, csrf)
                    shareable.append(url)
    # The walk reached the public pages, their htmx blocks, the vCards, the manifest and static files.
    assert {"/", "/akutt", "/kontakter", "/offline", "/manifest.webmanifest"} <= set(shareable)
    assert any(url.endswith(".vcf") for url in shareable)
    assert any(url.startswith("/static/") for url in shareable)
    # ... and the login page, which holds a form token, is 200 and never shareable.
    assert "/konto/logg-inn" in urls and "/konto/logg-inn" not in shareable


def test_public_pages_tell_shared_caches_to_keep_them_briefly_and_revalidate(client):
    """Anonymous: public, a second for shared caches, then revalidation; a browser asks every time."""
    for url in ("/", "/akutt/alternativ-3", "/kontakter", "/offline", "/manifest.webmanifest"):
        response = client.get(url)
        assert response.status_code == 200, url
        control = directives(response)
        assert "public" in control and control["s-maxage"] == "1", url
        assert control["max-age"] == "0" and control["stale-while-revalidate"] == "5", url
        assert "Accept-Encoding" in re.split(r",\s*", response.headers["Vary"]), url
        assert re.fullmatch(r'"r\d+-[0-9a-f]{16}"', response.headers["ETag"]), url
        assert "Set-Cookie" not in response.headers, url


def test_the_service_worker_and_its_list_are_never_shared(client):
    """They name the current version: no-cache, and the front cache never keeps them."""
    for url in ("/sw.js", "/precache.json"):
        assert directives(client.get(url)) == {"no-cache": None}, url


def test_a_page_answers_304_to_its_etag_and_200_after_a_new_revision(app, client, tmp_path):
    """If-None-Match with the current ETag gives an empty 304; a publish gives a new ETag with its number."""
    first = client.get("/sjekkliste")
    etag = first.headers["ETag"]
    again = client.get("/sjekkliste", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and "public" in directives(again)
    other = client.get("/sjekkliste", headers={"If-None-Match": '"r1-0000000000000000"'})
    assert other.status_code == 200 and other.get_data() == first.get_data()

    _publish_changed_checklist(app, tmp_path)
    after = client.get("/sjekkliste", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert "kanskje sluttet" in after.get_data(as_text=True)
    assert after.headers["ETag"] != etag and after.headers["ETag"].startswith('"r2-')


def test_each_encoding_has_its_own_etag(client):
    """A cache that holds the br copy can never confirm it for a gzip or a plain request."""
    encodings = ("identity", "br", "gzip")
    tags = {client.get("/kontakter", headers={"Accept-Encoding": e}).headers["ETag"] for e in encodings}
    assert len(tags) == 3


def test_signed_in_requests_get_private_answers_with_their_etag(app):
    """The same URL with a session cookie: private (the browser's cache only), still revalidated."""
    user = signed_in(app)
    response = user.get("/")
    assert directives(response) == {"private": None, "no-cache": None}
    assert user.get("/", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    static = user.get(re.search(r'href="(/static/css/app\.css\?v=\w+)"', response.get_data(as_text=True))[1])
    assert "private" in directives(static) and "public" not in directives(static)


def _publish_changed_checklist(app, tmp_path) -> None:
    folder = tmp_path / "halden-vgs"
    import shutil

    shutil.copytree(CONTENT, folder)
    checklist = folder / "checklists.yaml"
    text = checklist.read_text(encoding="utf-8").replace("Har eleven sluttet", "Har eleven kanskje sluttet")
    checklist.write_text(text, encoding="utf-8")
    with app.app_context():
        _revision, created = plan_service.import_folder(folder)
    assert created


@pytest.fixture
def views(monkeypatch):
    """Count the requests that reach Flask (the front cache answers the others)."""
    calls = {"n": 0}
    real = http_cache.FrontCache.__init__

    def counting_init(self, app, wsgi_app):
        def counted(environ, start_response):
            calls["n"] += 1
            return wsgi_app(environ, start_response)

        real(self, app, counted)

    monkeypatch.setattr(http_cache.FrontCache, "__init__", counting_init)
    return calls


def test_front_cache_answers_repeated_anonymous_views_without_flask(tmp_path, views):
    """The second view of a page (same encoding, no cookie) is the first one's bytes, without Flask."""
    app = make_app(tmp_path, REVISION_CHECK_INTERVAL=60)
    client = app.test_client(use_cookies=False)
    client.get("/kontakter", headers={"Accept-Encoding": "br"})  # the app looks up the revision
    first = client.get("/kontakter", headers={"Accept-Encoding": "br"})  # ... and this one is kept
    reached = views["n"]
    for _ in range(3):
        again = client.get("/kontakter", headers={"Accept-Encoding": "br"})
        assert again.get_data() == first.get_data()
        assert again.headers == first.headers
    assert views["n"] == reached
    # Another encoding, an htmx block, a cookie, a query string: the app answers.
    gzip_page = client.get("/kontakter", headers={"Accept-Encoding": "gzip"})
    assert gzip_page.headers["Content-Encoding"] == "gzip"
    client.get("/kontakter", headers={"HX-Request": "true", "Accept-Encoding": "br"})
    client.get("/kontakter", headers={"Accept-Encoding": "br", "Cookie": "session=x"})
    client.get("/kontakter?a=1", headers={"Accept-Encoding": "br"})
    assert views["n"] == reached + 4
    # A matching If-None-Match gets the app's 304 once, then the stored 304.
    etag = first.headers["ETag"]
    for _ in range(2):
        assert (
            client.get("/kontakter", headers={"Accept-Encoding": "br", "If-None-Match": etag}).status_code
            == 304
        )
    assert views["n"] == reached + 5
    stranger = client.get("/kontakter", headers={"Accept-Encoding": "br", "If-None-Match": '"r9-x"'})
    assert stranger.status_code == 200 and views["n"] == reached + 5


def test_front_cache_shows_a_revision_published_by_this_process_at_once(tmp_path, views):
    """Publishing expires the revision check, so the next view comes from Flask with the new text."""
    app = make_app(tmp_path, REVISION_CHECK_INTERVAL=60)
    client = app.test_client(use_cookies=False)
    for _ in range(2):
        assert "kanskje sluttet" not in client.get("/sjekkliste").get_data(as_text=True)
    _publish_changed_checklist(app, tmp_path)
    for _ in range(3):
        assert "kanskje sluttet" in client.get("/sjekkliste").get_data(as_text=True)


def test_front_cache_keeps_a_page_for_the_day_it_was_made_only(tmp_path, views, monkeypatch):
    """After the next-review date the evaluation page says the review is late, also from memory."""
    from datetime import UTC, datetime

    from backend.services import accounts

    app = make_app(tmp_path, REVISION_CHECK_INTERVAL=60)
    client = app.test_client(use_cookies=False)
    monkeypatch.setattr(accounts, "now", lambda: datetime(2026, 5, 30, 12, tzinfo=UTC))
    for _ in range(3):
        page = client.get("/om-planen/evaluering").get_data(as_text=True)
        assert " hidden" in re.search(r"<strong[^>]*data-review-late[^>]*>", page)[0]
    monkeypatch.setattr(accounts, "now", lambda: datetime(2026, 6, 2, 12, tzinfo=UTC))
    reached = views["n"]
    page = client.get("/om-planen/evaluering").get_data(as_text=True)
    assert views["n"] == reached + 1  # a new day: the app renders it again
    assert "Revisjonen er forsinket." in page
    assert " hidden" not in re.search(r"<strong[^>]*data-review-late[^>]*>", page)[0]


def test_front_cache_keeps_nothing_that_is_not_shareable(tmp_path, views):
    """Personal pages, the service worker and errors always reach the app."""
    app = make_app(tmp_path, REVISION_CHECK_INTERVAL=60)
    client = app.test_client(use_cookies=False)
    for url in ("/konto/logg-inn", "/sw.js", "/precache.json", "/healthz", "/finnes-ikke"):
        before = views["n"]
        client.get(url)
        client.get(url)
        assert views["n"] == before + 2, url


def test_a_page_that_touched_the_session_is_never_public(tmp_path, views):
    """Should a public view ever write the session (a flash, a form token), its answer stays private and
    out of the front cache: it carries a Set-Cookie for one visitor."""
    app = make_app(tmp_path, REVISION_CHECK_INTERVAL=60)

    @app.before_request
    def _write_the_session():
        session["seen"] = True

    client = app.test_client(use_cookies=False)
    before = views["n"]
    for _ in range(3):
        response = client.get("/kontakter")
        assert "Set-Cookie" in response.headers
        assert not shared_cache_may_store(response), response.headers
    assert views["n"] == before + 3


def test_front_cache_never_answers_for_a_rate_limited_route(tmp_path, views, monkeypatch):
    """A public page given a rate limit would count every view: the front cache leaves it to the app."""
    app = make_app(tmp_path, REVISION_CHECK_INTERVAL=60, RATELIMIT_ENABLED=True)
    manager = limiter.limit_manager  # the limit below is for this test only
    monkeypatch.setattr(manager, "_decorated_limits", dict(manager._decorated_limits))
    view = app.view_functions["public.contacts"]
    app.view_functions["public.contacts"] = limiter.limit("1000 per minute")(view)
    client = app.test_client(use_cookies=False)
    before = views["n"]
    for _ in range(3):
        assert "X-RateLimit-Limit" in client.get("/kontakter").headers
    assert views["n"] == before + 3
