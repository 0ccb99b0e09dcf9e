"""Every school's plan on a phone: the same promises for Halden and for a differently shaped school.

Each test runs once per school in BROWSER_SCHOOLS (tests/browser/conftest.py), each on a fresh app of
its own: two taps to the first person in the call chain for every urgent procedure, every public page
offline after one visit, axe clean, no sideways scrolling at 360 px, and `<html lang>` in the school's
language. With two databases each school's checks run in the pass that drives its browser tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from backend.content.schema import Plan
from backend.routes.common import public_page_urls
from backend.services.phones import tel_href
from backend.services.plan import revision_cache
from tests.browser.conftest import CHROMIUM, PHONE, LiveServer, School
from tests.browser.offline_helpers import PageFacts, tel_links, wait_until_controlled
from tests.browser.test_accessibility import BLOCKING, describe
from tests.conftest import make_app

pytestmark = pytest.mark.browser

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 640}}
MAX_TAPS = 2
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass
class Site:
    """One school's plan served by its own live server, with what the tests compare against."""

    folder: str
    server: LiveServer
    plan: Plan
    urls: list[str]

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def site(school: School, tmp_path_factory) -> Iterator[Site]:
    """The school's content folder imported into a fresh app of its own (no other test's edits), served
    on 127.0.0.1. Runs per school in BROWSER_SCHOOLS, as every browser test does."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make test` (it installs it)")
    app = make_app(tmp_path_factory.mktemp(f"site-{school.folder}"), school=school.folder)
    with app.test_request_context():
        plan = revision_cache.current().plan
        urls = public_page_urls(plan)
    assert plan.meta.language == school.language
    server = LiveServer(app).start()
    yield Site(school.folder, server, plan, urls)
    server.stop()


class _Links(HTMLParser):
    """The <h1> text and the same-site page links of an HTML page, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.facts = PageFacts(html)
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith("/") and not href.startswith("//") and "." not in href:
            self.links.append(href.split("#")[0])


def _path_to_call(site: Site, label: str, phone: str) -> list[str] | None:
    """Return the shortest list of links to tap from "/" to a page about `label` that calls `phone`.

    Searched with the test client (cheap), then tapped in the browser; None if more than MAX_TAPS.
    """
    client = site.server.app.test_client()
    frontier: list[tuple[str, list[str]]] = [("/", [])]
    seen = {"/"}
    for _ in range(MAX_TAPS + 1):
        following: list[tuple[str, list[str]]] = []
        for url, taps in frontier:
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            page = _Links(response.get_data(as_text=True))
            if label in page.facts.heading and phone in page.facts.tel:
                return taps
            for link in page.links:
                if link not in seen:
                    seen.add(link)
                    following.append((link, [*taps, link]))
        frontier = following
    return None


def test_two_taps_from_home_to_the_first_in_the_call_chain(browser: Browser, site: Site):
    """For every urgent procedure, two taps from home reach a link that calls the first in the call chain."""
    first = site.plan.call_chain()[0]
    phone = tel_href(first.phone)
    urgent = site.plan.urgent_procedures()
    assert len(urgent) >= 2, [p.id for p in urgent]
    context = browser.new_context(**SMALL_PHONE)
    try:
        page = context.new_page()
        for procedure in urgent:
            taps = _path_to_call(site, procedure.label, phone)
            assert taps is not None, f"{procedure.label}: {first.name} is more than {MAX_TAPS} taps from home"
            page.goto(site.url + "/")
            for href in taps:
                page.locator(f'a[href="{href}"]:visible').first.tap()
                page.wait_for_url(site.url + href)
            expect(page.locator("h1")).to_contain_text(procedure.label)
            call = page.locator(f'a[href="{phone}"]').first
            expect(call).to_be_visible()
            assert call.bounding_box()["height"] >= 44
    finally:
        context.close()


def test_every_public_page_opens_offline_after_one_visit(browser: Browser, site: Site):
    """After one visit to the home page, every public page of the school opens offline, numbers and all."""
    client = site.server.app.test_client()
    online = {url: PageFacts(client.get(url).get_data(as_text=True)) for url in site.urls}
    context = browser.new_context(**SMALL_PHONE)
    try:
        page = context.new_page()
        page.goto(site.url + "/")
        assert wait_until_controlled(page).endswith("/sw.js")
        context.set_offline(True)
        for url in site.urls:
            response = page.goto(site.url + url)
            assert response is not None and response.ok, url
            assert response.from_service_worker, f"{url} did not come from the offline copy"
            assert online[url].heading, f"{url} has no <h1> online"
            expect(page.locator("h1")).to_have_text(online[url].heading)
            assert tel_links(page) == online[url].tel, url
    finally:
        context.close()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_any_public_page(browser: Browser, site: Site, color_scheme):
    """Every public page of the school passes axe's WCAG 2.1 A/AA rules on a 360 px phone."""
    context = browser.new_context(**SMALL_PHONE, color_scheme=color_scheme)
    axe = Axe()
    problems = []
    try:
        page = context.new_page()
        for url in site.urls:
            page.goto(site.url + url)
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
            blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
            if blocking:
                problems.append(describe(url, blocking))
    finally:
        context.close()
    assert len(site.urls) > 10, site.urls
    assert not problems, "\n".join(problems)


def test_no_public_page_scrolls_sideways_at_360_px(browser: Browser, site: Site):
    """No page of the school's plan is wider than a 360 px phone."""
    context = browser.new_context(**SMALL_PHONE)
    too_wide = {}
    try:
        page = context.new_page()
        for url in site.urls:
            page.goto(site.url + url)
            width, visible = page.evaluate(
                "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
            )
            if width > visible:
                too_wide[url] = (width, visible)
    finally:
        context.close()
    assert not too_wide, too_wide


class _Language(HTMLParser):
    """The lang attribute of <html>."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")


def test_every_public_page_says_the_school_language(site: Site):
    """<html lang> on every public page is the language the school's plan is written in (nb, nn)."""
    client = site.server.app.test_client()
    wrong = {}
    for url in site.urls:
        lang = _Language(client.get(url).get_data(as_text=True)).lang
        if lang != site.plan.meta.language:
            wrong[url] = lang
    assert site.plan.meta.language in {"nb", "nn"}
    assert not wrong, f"<html lang> should be {site.plan.meta.language!r}: {wrong}"
