"""Offline: a teacher who opened the app once can open every public page again without network."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from backend.routes import public
from backend.routes.common import public_page_urls
from backend.services.phones import tel_href
from backend.services.plan import revision_cache
from tests.browser.conftest import School
from tests.browser.offline_helpers import PageFacts, cache_contents, tel_links, wait_until_controlled

pytestmark = pytest.mark.browser


def _server_facts(live_server) -> tuple[list[str], dict[str, PageFacts], list[str], list[str]]:
    """Ask the server (not the browser) for every public page, so the browser has visited only "/"."""
    app = live_server.app
    with app.test_request_context():
        plan = revision_cache.current().plan
        urls = public_page_urls(plan)
        vcards = public.downloads(plan)
        chain = [tel_href(person.phone) for person in plan.call_chain()]
        assert chain, "the plan has nobody to call first"
    client = app.test_client()
    facts = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        facts[url] = PageFacts(response.get_data(as_text=True))
    return urls, facts, vcards, chain


def test_every_public_page_opens_offline_after_one_visit(live_server, context: BrowserContext, page: Page):
    """After one visit to the home page, every public page opens offline with its heading and numbers."""
    urls, facts, _, _ = _server_facts(live_server)
    page.goto(live_server.url + "/")
    assert wait_until_controlled(page).endswith("/sw.js")

    context.set_offline(True)
    for url in urls:
        response = page.goto(live_server.url + url)
        assert response is not None and response.ok, url
        assert response.from_service_worker, f"{url} did not come from the offline copy"
        expected = facts[url]
        assert expected.heading, f"{url} has no <h1> online"
        expect(page.locator("h1")).to_have_text(expected.heading)
        assert tel_links(page) == expected.tel, url
        # Every page says which content version it shows.
        expect(page.locator("footer time[data-content-version]")).to_be_visible()


def test_contacts_offline_can_still_be_called_and_saved(
    live_server, school: School, context: BrowserContext, page: Page
):
    """Offline, the contacts page keeps one tap to call, and the vCards to save are stored too."""
    _, facts, vcards, _ = _server_facts(live_server)
    page.goto(live_server.url + "/")
    wait_until_controlled(page)
    context.set_offline(True)

    page.goto(live_server.url + "/kontakter")
    calls = page.get_by_role("link", name=school.t("Ring"), exact=False)
    expect(calls.first).to_be_visible()
    assert tel_links(page) == facts["/kontakter"].tel
    for url in vcards:
        card = page.evaluate(
            "async (url) => { const r = await fetch(url); return { ok: r.ok, text: await r.text() }; }", url
        )
        assert card["ok"], url
        assert card["text"].startswith("BEGIN:VCARD"), url


def test_uncached_address_offline_shows_the_emergency_numbers(
    live_server, school: School, context: BrowserContext, page: Page
):
    """Offline, an address that was never stored shows the offline page: 112, 113, 110, the leaders and
    the plan's service numbers."""
    _, _, _, chain = _server_facts(live_server)
    first = school.plan.call_chain()[0]
    services = [tel_href(service.phone) for service in school.plan.services()]
    page.goto(live_server.url + "/")
    wait_until_controlled(page)
    context.set_offline(True)

    page.goto(live_server.url + "/hva-gjor-vi/finnes-ikke?fra=test")
    expect(page.locator("h1")).to_have_text(school.t("Du er uten nett"))
    links = tel_links(page)
    for number in ("tel:112", "tel:113", "tel:110"):
        assert number in links
        expect(page.locator(f"a[href='{number}']")).to_be_visible()
    first_call = page.locator(f"a[href='{chain[0]}']")
    expect(first_call).to_be_visible()
    expect(first_call).to_contain_text(first.name)
    expect(first_call).to_contain_text(first.role)
    # The whole call chain, in the plan's order, after the national numbers; then the service numbers
    # (Halden's police, the example school's police, child welfare on call and casualty clinic).
    assert links[3 : 3 + len(chain)] == chain
    assert services and links[3 + len(chain) :] == services


def test_offline_copy_holds_only_the_precache_list(live_server, context: BrowserContext, page: Page):
    """No personal, admin or htmx response ends up in the cache: only what the server listed."""
    page.goto(live_server.url + "/")
    wait_until_controlled(page)
    listed = page.evaluate("async () => (await (await fetch('/precache.json')).json())")

    # Online: ask for personal pages and for htmx fragments, as a logged-in teacher's phone would.
    for url in ("/konto/logg-inn", "/admin/", "/varsel/abonnement"):
        page.goto(live_server.url + url)
    statuses = page.evaluate(
        """async () => {
          const asks = [
            fetch('/konto/innstillinger'),
            fetch('/admin/plan', { headers: { 'HX-Request': 'true' } }),
            fetch('/kontakter', { headers: { 'HX-Request': 'true' } }),
            fetch('/kontakter?fragment=1', { headers: { 'HX-Request': 'true' } }),
            fetch('/sjekkliste?fra=lenke'),
          ];
          return (await Promise.all(asks)).map((r) => r.status);
        }"""
    )
    assert statuses[2] == 200  # the htmx request reached the server

    caches = cache_contents(page)
    ours = {name: urls for name, urls in caches.items() if name.startswith("rusplan-")}
    assert list(ours) == [f"rusplan-{listed['version']}"]
    stored = sorted(url.removeprefix(live_server.url) for url in ours[f"rusplan-{listed['version']}"])
    assert stored == sorted(listed["urls"])
    for url in stored:
        assert not url.startswith(("/konto", "/admin", "/varsel")), url
        assert "fragment" not in url and "fra=" not in url, url


def test_htmx_request_offline_is_never_answered_with_a_full_page(
    live_server, context: BrowserContext, page: Page
):
    """Offline, an htmx request fails (htmx shows nothing) instead of getting a whole cached page."""
    page.goto(live_server.url + "/")
    wait_until_controlled(page)
    context.set_offline(True)
    outcome = page.evaluate(
        """async () => {
          const plain = await fetch('/kontakter');
          let htmx;
          try {
            const response = await fetch('/kontakter', { headers: { 'HX-Request': 'true' } });
            htmx = 'answered ' + response.status;
          } catch (error) {
            htmx = 'network error';
          }
          return { plain: plain.status, htmx };
        }"""
    )
    assert outcome == {"plain": 200, "htmx": "network error"}
