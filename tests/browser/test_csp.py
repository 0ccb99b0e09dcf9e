"""The Content-Security-Policy holds in Chromium: no page breaks it, and a page that did fails the suite."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import make_response
from playwright.sync_api import Page

from tests.browser.conftest import CSP_GUARD, LiveServer
from tests.conftest import make_app

pytestmark = pytest.mark.browser

INLINE_SCRIPT_PAGE = (
    '<!doctype html><html lang="nb"><title>Brudd</title><p>Side med innebygd skript</p>'
    "<script>document.title = 'kjørt'</script></html>"
)


@pytest.fixture
def breaking_server(school, tmp_path) -> Iterator[LiveServer]:
    """A live server with one extra page that breaks the policy (an inline script)."""
    app = make_app(tmp_path, school=school.folder)
    app.add_url_rule("/test/brudd", "test_breaking", lambda: make_response(INLINE_SCRIPT_PAGE))
    server = LiveServer(app).start()
    yield server
    server.stop()


def test_every_public_page_loads_without_a_violation_report(live_server, page: Page, public_urls):
    """Chromium opens every public page (with the service worker) and sends no report at all."""
    for url in public_urls:
        page.goto(live_server.url + url)
    page.goto(live_server.url + "/offline")
    time.sleep(0.5)
    assert live_server.csp_reports() == {}


def test_a_violation_reaches_the_server_and_the_guard(breaking_server: LiveServer, page: Page):
    """The guard every browser test runs sees both the server's report and Chromium's console message."""
    before = CSP_GUARD.snapshot()
    page.goto(breaking_server.url + "/test/brudd")
    assert page.title() == "Brudd", "the inline script ran: the policy did not block it"
    deadline = time.monotonic() + 5
    while not breaking_server.csp_reports() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert breaking_server.csp_reports() == {("script-src-elem", "inline"): 1}
    problems = CSP_GUARD.problems(before)
    assert any(p.startswith("report to ") and "script-src-elem blocked inline" in p for p in problems)
    assert any(p.startswith("console: ") for p in problems)
    # Expected here: take this server and its messages out of the guard before the teardown check.
    breaking_server.stop()
    CSP_GUARD.console.clear()
