"""The installable, offline-first app as the server delivers it: worker, manifest, precache list, caching."""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
import re
from pathlib import Path

import brotli
import pytest
from PIL import Image

from backend.content.loader import plan_from_data
from backend.extensions import db
from backend.routes import public, pwa
from backend.routes.common import public_page_urls
from backend.services import plan as plan_service
from backend.services.assets import StaticAssets
from backend.services.phones import tel_href

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "frontend" / "static"
YEAR = "public, max-age=31536000, immutable"


def _precache(client) -> dict:
    response = client.get("/precache.json")
    assert response.status_code == 200
    return response.get_json()


def _plan(app):
    with app.app_context():
        return plan_service.revision_cache.current().plan


def _publish_changed_plan(app) -> int:
    """Publish a revision with one changed phone number; return its id."""
    with app.app_context():
        data = copy.deepcopy(plan_service.revision_cache.current().plan.model_dump(mode="json"))
        data["contacts"]["groups"][0]["contacts"][0]["phone"] = "+4790000001"
        revision = plan_service.publish(plan_from_data(data), author=None, note="test")
        db.session.commit()
        return revision.id


def _decode(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


# --- Service worker -------------------------------------------------------------------------------


def test_service_worker_is_served_from_the_root_and_never_from_the_http_cache(client):
    """/sw.js is JavaScript at the root, revalidated on every check, and names the current version."""
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    version = _precache(client)["version"]
    assert f'const VERSION = "{version}";' in body
    assert 'const CACHE_PREFIX = "rusplan-";' in body
    assert "<script" not in body and "{{" not in body


def test_service_worker_keeps_personal_pages_and_htmx_out_of_the_cache(client):
    """The worker's rules: only GET, same origin, never /konto, /admin, /varsel or an htmx request."""
    body = client.get("/sw.js").get_data(as_text=True)
    assert 'const PERSONAL_PREFIXES = ["/konto", "/admin", "/varsel"];' in body
    assert 'request.method !== "GET"' in body
    assert 'request.headers.has("HX-Request")' in body
    # Nothing is written to the cache at run time: only the install step stores (from the server's list).
    assert body.count("cache.addAll(") == 1
    assert ".put(" not in body


def test_pages_register_the_worker_from_a_module_without_inline_script(client):
    """Every page loads the registration module; no inline script (CSP script-src 'self')."""
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts, "no script tags"
    for attributes, inline in scripts:
        assert 'type="module"' in attributes and "src=" in attributes
        assert inline.strip() == ""
    assert re.search(r'src="/static/js/pwa\.js\?v=[0-9a-f]{10}"', html)
    module = (STATIC / "js" / "pwa.js").read_text(encoding="utf-8")
    assert 'register("/sw.js", { updateViaCache: "none" })' in module
    # The banner's words come from the page, in its language (js/text.js), not from the module.
    assert 't("updated")' in module and 't("reload")' in module
    assert "Planen er oppdatert" in html and "Last inn ny versjon" in html
    assert 'postMessage({ type: "SKIP_WAITING" })' in module


def test_update_banner_is_an_empty_hidden_element_on_every_page(client):
    """The banner's place is in the page from the start, empty and hidden, without a style attribute."""
    html = client.get("/").get_data(as_text=True)
    banner = re.search(r"<div ([^>]*data-update-banner[^>]*)></div>", html)
    assert banner is not None
    assert " hidden" in banner.group(1)
    assert "style=" not in banner.group(1)
    assert 'role="status"' in banner.group(1)


# --- Precache list and versions -------------------------------------------------------------------


def test_precache_lists_every_public_page_vcard_static_file_and_the_offline_page(app, client):
    """The list holds every public page, every vCard, every static file (fingerprinted) and /offline."""
    listed = _precache(client)
    urls = listed["urls"]
    with app.test_request_context():
        plan = plan_service.revision_cache.current().plan
        pages = public_page_urls(plan)
        vcards = public.downloads(plan)
    assert len(pages) > 15
    for url in [*pages, *vcards, "/offline", "/manifest.webmanifest"]:
        assert url in urls, url
    for name, digest in app.extensions["rusplan.assets"].files.items():
        assert f"/static/{name}?v={digest[:10]}" in urls, name
    assert len(urls) == len(set(urls))
    assert "/sw.js" not in urls and "/precache.json" not in urls
    assert listed["offline_url"] == "/offline"
    assert client.get("/precache.json").headers["Cache-Control"] == "no-cache"


def test_every_precached_url_answers_200_so_the_install_cannot_fail(client):
    """cache.addAll fails on a single error: every listed URL must answer 200 without a login."""
    for url in _precache(client)["urls"]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_precache_never_lists_a_personal_page(app, client, monkeypatch):
    """A personal page slipping into the list is refused loudly, not cached for everyone."""
    assert not [u for u in _precache(client)["urls"] if u.startswith(("/konto", "/admin", "/varsel"))]
    monkeypatch.setattr(pwa, "public_page_urls", lambda plan: ["/", "/konto/innstillinger"])
    with app.test_request_context(), pytest.raises(RuntimeError, match="never be precached"):
        pwa.precache_urls(plan_service.revision_cache.current())


def test_new_revision_gives_a_new_version_and_a_new_worker_script(app, client):
    """Publishing a revision changes the version, so phones install a new worker and fetch the new plan."""
    before = _precache(client)
    worker_before = client.get("/sw.js").get_data()
    revision = _publish_changed_plan(app)
    after = _precache(client)
    assert after["revision"] == revision != before["revision"]
    assert after["version"] != before["version"]
    assert client.get("/sw.js").get_data() != worker_before
    assert f'"{after["version"]}"' in client.get("/sw.js").get_data(as_text=True)


def test_version_follows_the_static_files(tmp_path):
    """Changing one static file changes its fingerprint and the static hash (so the version, too)."""
    (tmp_path / "css").mkdir()
    css = tmp_path / "css" / "app.css"
    css.write_text("body { color: black; }", encoding="utf-8")
    assets = StaticAssets(tmp_path)
    first = (assets.fingerprint("css/app.css"), assets.static_hash)
    assert first[0] == hashlib.sha256(css.read_bytes()).hexdigest()[:10]
    css.write_text("body { color: navy; }", encoding="utf-8")
    assets.refresh()
    assert assets.fingerprint("css/app.css") != first[0]
    assert assets.static_hash != first[1]


def test_version_follows_the_static_hash_of_the_app(app, client):
    """The version is derived from the revision and from the static files' hashes."""
    version = _precache(client)["version"]
    app.extensions["rusplan.assets"].static_hash = "0" * 64
    assert _precache(client)["version"] != version


# --- Manifest and icons ---------------------------------------------------------------------------


def _css_colour(name: str) -> str:
    css = (STATIC / "css" / "app.css").read_text(encoding="utf-8")
    return re.search(rf"--{name}:\s*(#[0-9a-f]{{6}})", css).group(1)


def test_manifest_describes_the_app_for_the_home_screen(client):
    """Name, short name, start page, scope, standalone display, colours of app.css, Norwegian."""
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Rusplan – Handlingsplan mot rus"
    assert manifest["short_name"] == "Rusplan"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "nb"
    assert manifest["theme_color"] == _css_colour("accent")
    assert manifest["background_color"] == _css_colour("bg")
    html = client.get("/").get_data(as_text=True)
    assert f'<meta name="theme-color" content="{manifest["theme_color"]}">' in html


def _png_size(client, src: str) -> tuple[int, int]:
    response = client.get(src)
    assert response.status_code == 200, src
    assert response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.get_data())).size


def test_manifest_icons_are_real_pngs_of_their_sizes_with_a_maskable_one(client):
    """Icons of 192 and 512 px, and a maskable 512 px icon, each a PNG of exactly that size."""
    icons = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))["icons"]
    found = {(icon["sizes"], icon["purpose"]) for icon in icons}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= found
    for icon in icons:
        assert icon["type"] == "image/png"
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert _png_size(client, icon["src"]) == (width, height)


def test_maskable_icon_fills_the_whole_square(client):
    """A maskable icon has no transparent corners: the launcher cuts it to its own shape."""
    icons = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))["icons"]
    src = next(icon["src"] for icon in icons if icon["purpose"] == "maskable")
    image = Image.open(io.BytesIO(client.get(src).get_data())).convert("RGBA")
    for corner in [(0, 0), (511, 0), (0, 511), (511, 511)]:
        assert image.getpixel(corner)[3] == 255


def test_manifest_shortcuts_go_to_akutt_and_kontakter_with_icons(client):
    """Long-pressing the icon offers "Akutt" and "Kontakter"."""
    shortcuts = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))["shortcuts"]
    assert [(s["name"], s["url"]) for s in shortcuts] == [("Akutt", "/akutt"), ("Kontakter", "/kontakter")]
    for shortcut in shortcuts:
        assert client.get(shortcut["url"]).status_code == 200
        assert _png_size(client, shortcut["icons"][0]["src"]) == (96, 96)


def test_pages_link_the_manifest_and_the_ios_home_screen_tags(client):
    """The head links the manifest, the apple-touch-icon (180 px) and the iOS web-app tags."""
    html = client.get("/kontakter").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', html).group(1)
    assert _png_size(client, touch) == (180, 180)
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in html
    assert '<meta name="apple-mobile-web-app-status-bar-style" content="default">' in html
    assert '<meta name="apple-mobile-web-app-title" content="Rusplan">' in html


# --- Offline page ---------------------------------------------------------------------------------


def test_offline_page_shows_the_emergency_numbers_and_the_leadership(app, client):
    """The offline page: 112, 113, 110, the leadership in calling order (rektor first), the police."""
    response = client.get("/offline")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Du er uten nett</h1>" in html
    links = re.findall(r'href="(tel:[^"]+)"', html)
    chain = [tel_href(person.phone) for person in _plan(app).call_chain()]
    assert links == ["tel:112", "tel:113", "tel:110", *chain, "tel:02800"]
    assert "Politiets nummer når det ikke haster" in html
    assert chain[0] == "tel:+4797083705"  # Rektor Kristin Støten, 970 83 705 in the plan


def test_every_page_names_the_content_version_it_was_built_from(app, client):
    """Every public page and the offline page show the date and revision of their content."""
    with app.test_request_context():
        current = plan_service.revision_cache.current()
        urls = [*public_page_urls(current.plan), "/offline"]
    stamp = (
        f'<time datetime="{current.created_at.date().isoformat()}" '
        f'data-content-version="{current.revision_id}">'
    )
    for url in urls:
        assert stamp in client.get(url).get_data(as_text=True), url


# --- Static files: fingerprints, caching, compression ---------------------------------------------


def test_pages_use_fingerprinted_static_urls(app, client):
    """Stylesheet, scripts and icons in the page carry the hash of their current content."""
    html = client.get("/").get_data(as_text=True)
    static_urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert len(static_urls) >= 4
    for url in static_urls:
        path, _, fingerprint = url.partition("?v=")
        content = (STATIC / path.removeprefix("/static/")).read_bytes()
        assert fingerprint == hashlib.sha256(content).hexdigest()[:10], url


def test_fingerprinted_static_file_is_cached_for_a_year(client):
    """A URL with the file's current hash can be kept a year without asking again."""
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == YEAR


def test_static_file_without_its_current_hash_is_revalidated(client):
    """Without the hash, or with an old one, the browser must ask again: no year-long caching."""
    for url in ("/static/css/app.css", "/static/css/app.css?v=0000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache", url


@pytest.mark.parametrize("encoding", ["br", "gzip"])
@pytest.mark.parametrize(
    "url", ["/", "/kontakter", "/offline", "/sw.js", "/manifest.webmanifest", "/precache.json", "css", "js"]
)
def test_responses_are_compressed(client, url, encoding):
    """HTML, CSS, JavaScript and JSON go out compressed, and decompress to exactly the plain body."""
    if url in {"css", "js"}:
        html = client.get("/").get_data(as_text=True)
        pattern = (
            r'href="(/static/css/app\.css[^"]*)"' if url == "css" else r'src="(/static/js/pwa\.js[^"]*)"'
        )
        url = re.search(pattern, html).group(1)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers={"Accept-Encoding": f"{encoding}"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.get_data()) < len(plain.get_data())
    assert _decode(packed) == plain.get_data()


def test_browser_preferring_brotli_gets_brotli(client):
    """Chromium's Accept-Encoding gets brotli, the smaller of the two."""
    response = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] == "br"


def test_etag_revalidation_respects_the_encoding(client):
    """A stored br copy is confirmed with 304; the gzip copy has its own validator."""
    br = client.get("/static/css/app.css", headers={"Accept-Encoding": "br"})
    etag = br.headers["ETag"]
    again = client.get("/static/css/app.css", headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    other = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["Content-Encoding"] == "gzip"
    assert other.headers["ETag"] != etag
    assert gzip.decompress(other.get_data()) == (STATIC / "css" / "app.css").read_bytes()


def test_images_are_not_compressed_again(client):
    """PNGs are already compressed: they go out as they are."""
    icon = re.search(r'href="(/static/icons/favicon-32\.png[^"]*)"', client.get("/").get_data(as_text=True))
    response = client.get(icon.group(1), headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"] == YEAR


def test_unknown_static_file_is_a_404(client):
    """A static URL for a file that does not exist answers 404."""
    assert client.get("/static/css/finnes-ikke.css").status_code == 404


# --- Page weight ----------------------------------------------------------------------------------


def test_home_page_weight_is_within_budget(client):
    """The home page's HTML is under 14 kB compressed; with what it loads to render, under 60 kB."""
    headers = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    page = client.get("/", headers=headers)
    assert len(page.get_data()) < 14_000
    html = _decode(page).decode("utf-8")
    total = len(page.get_data())
    assets = re.findall(
        r'<(?:link rel="(?:stylesheet|icon)"|script)[^>]*(?:href|src)="(/static/[^"]+)"', html
    )
    assert len(assets) >= 3
    for url in assets:
        total += len(client.get(url, headers=headers).get_data())
    total += len(client.get("/manifest.webmanifest", headers=headers).get_data())
    assert total < 60_000


def test_public_pages_need_no_htmx_and_no_web_fonts(app, client):
    """Public pages load no htmx and the stylesheet uses system fonts only."""
    with app.test_request_context():
        urls = public_page_urls(plan_service.revision_cache.current().plan)
    for url in urls:
        html = client.get(url).get_data(as_text=True)
        assert re.findall(r"<script[^>]*>", html), url
        assert not re.search(r"<script[^>]*htmx", html), url
    css = (STATIC / "css" / "app.css").read_text(encoding="utf-8")
    assert "@font-face" not in css and "@import" not in css
    assert not list(STATIC.rglob("*.woff*"))
