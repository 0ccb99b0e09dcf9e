"""On a phone: tap from home to a person and call; read the checklist without scrolling sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from backend.services import phones
from tests.browser.conftest import PHONE, School
from tests.browser.flow_support import live_plan

pytestmark = pytest.mark.browser

MIN_TAP = 44  # px, WCAG 2.5.5 and the rule for tap targets


def visible_tap_targets(page: Page) -> list[dict]:
    """Every link and button a person can see on the page, with its size and a short label."""
    return page.evaluate(
        """() => [...document.querySelectorAll('a[href], button, summary, [role=button]')]
            .filter(el => {
                const r = el.getBoundingClientRect();
                const style = getComputedStyle(el);
                return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
                    && style.visibility !== 'hidden' && style.display !== 'none';
            })
            .map(el => {
                const r = el.getBoundingClientRect();
                return {label: (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 60),
                        href: el.getAttribute('href'), width: r.width, height: r.height};
            })"""
    )


def test_tap_from_home_to_contacts_and_call_someone(page: Page, live_server, school: School):
    """A teacher taps "Kontakter" on the home page and finds a call button big enough for a thumb."""
    plan = live_plan(live_server)
    page.goto(live_server.url + "/")
    tile = page.locator("main").get_by_role("link", name=re.compile("^" + re.escape(school.t("Kontakter"))))
    expect(tile).to_be_visible()
    tile.tap()
    expect(page).to_have_url(live_server.url + "/kontakter")
    expect(page.get_by_role("heading", level=1)).to_have_text(plan.contacts.title)
    person = plan.all_contacts()[0]
    first = page.locator(f'a[href="{phones.tel_href(person.phone)}"]').first
    expect(first).to_be_visible()
    expect(first).to_contain_text(person.name)
    expect(first).to_contain_text(phones.display(person.phone))
    box = first.bounding_box()
    assert box is not None and box["height"] >= MIN_TAP and box["width"] >= MIN_TAP, box
    calls = page.locator('a[href^="tel:"]')
    assert calls.count() >= len(plan.all_contacts()) + len(plan.services())  # people and service numbers
    for i in range(calls.count()):
        call = calls.nth(i)
        call.scroll_into_view_if_needed()
        expect(call).to_be_visible()
        box = call.bounding_box()
        assert box is not None and box["height"] >= MIN_TAP and box["width"] >= MIN_TAP, (
            call.get_attribute("href"),
            box,
        )


def test_akutt_is_one_tap_from_home_and_shows_the_first_in_the_chain_first(
    page: Page, live_server, school: School
):
    """The always-visible "Akutt" control leads straight to a big call button for the call chain's first."""
    first_person = live_plan(live_server).call_chain()[0]
    page.goto(live_server.url + "/")
    akutt = page.locator("header").get_by_role("link", name=school.t("Akutt"), exact=True)
    expect(akutt).to_be_in_viewport()
    akutt.tap()
    expect(page).to_have_url(live_server.url + "/akutt")
    first_call = page.locator('a[href^="tel:"]').first
    expect(first_call).to_be_in_viewport()
    expect(first_call).to_contain_text(first_person.name)
    assert first_call.get_attribute("href") == phones.tel_href(first_person.phone)
    box = first_call.bounding_box()
    assert box is not None and box["height"] >= 56, box


def test_every_tap_target_on_home_is_big_enough(page: Page, live_server):
    """Every link and button on the home page is at least 44 × 44 px."""
    page.goto(live_server.url + "/")
    targets = visible_tap_targets(page)
    assert len(targets) >= 10
    small = [t for t in targets if t["height"] < MIN_TAP or t["width"] < MIN_TAP]
    assert not small, small


@pytest.mark.parametrize("width,height", [(360, 640), (320, 568)])
def test_checklist_reads_without_sideways_scrolling(
    browser: Browser, live_server, school: School, width, height
):
    """At 360 px (and the smallest phones, 320 px) the checklist fits the width of the screen."""
    context = browser.new_context(**{**PHONE, "viewport": {"width": width, "height": height}})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/sjekkliste")
        checklists = live_plan(live_server).checklists()
        expect(page.get_by_role("heading", level=1)).to_have_text(checklists[0].title)
        signs = page.locator(".signs li")
        expect(signs).to_have_count(sum(len(checklist.signs) for checklist in checklists))
        sizes = page.evaluate(
            "() => ({scroll: document.scrollingElement.scrollWidth,"
            " client: document.scrollingElement.clientWidth})"
        )
        assert sizes["scroll"] <= sizes["client"], sizes
        for i in range(signs.count()):
            box = signs.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    finally:
        context.close()


def test_no_public_page_scrolls_sideways_at_360_px(browser: Browser, live_server, public_urls):
    """No page of the plan is wider than a 360 px phone."""
    context = browser.new_context(**{**PHONE, "viewport": {"width": 360, "height": 640}})
    try:
        page = context.new_page()
        too_wide = {}
        for url in public_urls:
            page.goto(live_server.url + url)
            sizes = page.evaluate(
                "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
            )
            if sizes[0] > sizes[1]:
                too_wide[url] = sizes
        assert not too_wide, too_wide
    finally:
        context.close()


def test_tap_targets_on_every_public_page_are_at_least_44_px_high(page: Page, live_server, public_urls):
    """Every link and button on every public page is tall enough to hit with a thumb."""
    small = {}
    for url in public_urls:
        page.goto(live_server.url + url)
        found = [t for t in visible_tap_targets(page) if t["height"] < MIN_TAP]
        if found:
            small[url] = found
    assert not small, small
