"""Every response carries the security policy, and no template could need a weaker one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.routes.common import public_page_urls
from backend.services import plan as plan_service
from tests.conftest import ROOT

TEMPLATES = ROOT / "frontend" / "templates"
SCRIPTS = ROOT / "frontend" / "static" / "js"


def csp_directives(header: str) -> dict[str, list[str]]:
    """Split a Content-Security-Policy header into {directive: [sources]}."""
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response, what: str) -> None:
    """The policy the issue asks for, on one response."""
    csp = response.headers.get("Content-Security-Policy")
    assert csp, f"{what}: no Content-Security-Policy"
    directives = csp_directives(csp)
    assert directives.get("script-src") == ["'self'"], f"{what}: {csp}"
    assert directives.get("object-src") == ["'none'"], f"{what}: {csp}"
    assert directives.get("base-uri") == ["'none'"], f"{what}: {csp}"
    assert directives.get("frame-ancestors") == ["'none'"], f"{what}: {csp}"
    assert "default-src" in directives, f"{what}: {csp}"
    for forbidden in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "data:"):
        if forbidden == "data:":
            # data: is fine for images only; never for scripts, styles or frames.
            assert all(forbidden not in v for k, v in directives.items() if k != "img-src"), f"{what}: {csp}"
        else:
            assert forbidden not in csp, f"{what}: {csp}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", what


def test_every_public_page_carries_the_policy(app, client):
    """Each page in the public list, full page and htmx block alike."""
    with app.test_request_context():
        urls = public_page_urls(plan_service.revision_cache.current().plan)
    for url in urls:
        assert_security_headers(client.get(url), url)
        assert_security_headers(client.get(url, headers={"HX-Request": "true"}), f"{url} (htmx)")


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/finnes-ikke", 404),
        ("POST", "/", 405),
        ("GET", "/static/css/app.css", 200),
        ("GET", "/static/js/app.js", 200),
        ("GET", "/static/js/vendor/htmx-2.0.11.min.js", 200),
        ("GET", "/kontakter/kristin-stoten.vcf", 200),
        ("HEAD", "/", 200),
    ],
)
def test_errors_static_files_and_downloads_carry_the_policy(client, method, url, status):
    """Not just pages: errors, static files and vCards get the same headers."""
    with client.open(url, method=method) as response:  # closes the file a static response streams
        assert response.status_code == status
        assert_security_headers(response, f"{method} {url}")


def test_a_crash_carries_the_policy(tmp_path):
    """Even the 500 page is served with the policy."""
    from tests.conftest import make_app

    app = make_app(tmp_path)

    @app.get("/krasj")
    def crash():
        raise RuntimeError("boom")

    response = app.test_client().get("/krasj")
    assert response.status_code == 500
    assert_security_headers(response, "500")
    with app.app_context():
        plan_service.db.engine.dispose()
    plan_service.revision_cache.clear()


def test_htmx_is_served_from_our_origin_with_safe_settings(client):
    """htmx comes from /static, never a CDN, and is told not to eval, inject styles or run scripts."""
    html = client.get("/").get_data(as_text=True)
    for src in re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html):
        assert src.startswith("/static/"), src
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert config, "no htmx-config meta"
    for setting in ('"allowEval":false', '"includeIndicatorStyles":false', '"allowScriptTags":false'):
        assert setting in config[1]
    with client.get("/static/js/vendor/htmx-2.0.11.min.js") as response:
        assert response.mimetype in {"text/javascript", "application/javascript"}
        assert b"htmx" in response.data[:2000]


def template_files() -> list[Path]:
    """Every template, whatever its extension."""
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_file())


def test_no_template_has_inline_script_style_or_hx_on():
    """No inline <script>, style= attribute, <style> block, on* handler, hx-on or javascript: URL."""
    problems = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            if not re.search(r"\bsrc=", tag):
                problems.append(f"{name}: inline script {tag}")
        if re.search(r"\sstyle\s*=", text, re.I):
            problems.append(f"{name}: style= attribute")
        if re.search(r"<style\b", text, re.I):
            problems.append(f"{name}: <style> block")
        if re.search(r"\shx-on", text, re.I) or re.search(r"\sdata-hx-on", text, re.I):
            problems.append(f"{name}: hx-on")
        if re.search(r"\son[a-z]+\s*=", text, re.I):
            problems.append(f"{name}: on* event handler attribute")
        if re.search(r"hx-trigger=\"[^\"]*\[", text):
            problems.append(f"{name}: htmx trigger filter (needs eval)")
        if re.search(r"javascript:", text, re.I):
            problems.append(f"{name}: javascript: URL")
    assert not problems, "\n".join(problems)
    assert template_files(), "no templates found"


def test_our_scripts_do_not_eval():
    """Our own modules (not the vendored htmx) never build code from strings."""
    for path in SCRIPTS.rglob("*.js"):
        if "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*['\"]", text), path


def test_behind_a_tls_proxy_cookies_are_secure_and_hsts_is_sent(tmp_path):
    """HTTPS=1: the proxy's scheme and client address are trusted, cookies are Secure, HSTS is on."""
    from flask import request

    from tests.conftest import make_app

    app = make_app(tmp_path, HTTPS=True)

    @app.get("/seen-by-app")
    def seen_by_app():
        return f"{request.scheme} {request.remote_addr}"

    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    client = app.test_client()
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    assert client.get("/seen-by-app", headers=proxied).get_data(as_text=True) == "https 203.0.113.7"
    response = client.get("/", headers=proxied)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert_security_headers(response, "HTTPS")
    with app.app_context():
        plan_service.db.engine.dispose()
    plan_service.revision_cache.clear()


def test_without_https_there_is_no_hsts(client):
    """Plain http (make run on a laptop) must not pin the browser to HTTPS."""
    assert "Strict-Transport-Security" not in client.get("/").headers
