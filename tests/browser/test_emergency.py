"""Emergency mode ("Akutt") on a phone: taps to a ringing phone, the fold, button sizes, contrast."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.flow_support import RECORD_TEL_TAPS, Taps, call_heights, live_plan, serious_violations

pytestmark = pytest.mark.browser

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 640}}
EMERGENCY_PAGES = ["/akutt", "/akutt/alternativ-3", "/akutt/alternativ-4"]


def rektor_href(live_server) -> str:
    chain = live_plan(live_server).call_chain()
    assert chain[0].role == "Rektor"
    return f"tel:{chain[0].phone}"


@pytest.fixture
def small_page(browser: Browser):
    """A page on a small phone (360×640) that records tel: taps instead of dialling."""
    context = browser.new_context(**SMALL_PHONE)
    context.add_init_script(RECORD_TEL_TAPS)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("tile", ["Eleven er ruset nå", "Salg eller oppbevaring"])
def test_home_to_ringing_rektor_in_two_taps_by_the_tiles(small_page: Page, live_server, tile):
    """Home → «Haster det?» tile → rektor's button: a visible tel: link after 1 tap, ringing after 2."""
    page = small_page
    page.goto(live_server.url + "/")
    taps = Taps(page)
    taps.tap(page.locator("section.urgent a.tile", has_text=tile))
    rektor = page.locator(f'main a[href="{rektor_href(live_server)}"]').first
    expect(rektor).to_be_in_viewport(ratio=1)
    assert taps.count == 1
    taps.tap(rektor)
    assert taps.rang() == [rektor_href(live_server)]
    assert taps.count == 2


def test_home_to_ringing_rektor_in_two_taps_by_the_akutt_control(small_page: Page, live_server):
    """The header's «Akutt» is on every page: one tap to the call chain, the second rings rektor."""
    page = small_page
    page.goto(live_server.url + "/")
    taps = Taps(page)
    taps.tap(page.locator("header a.akutt-link"))
    expect(page).to_have_url(live_server.url + "/akutt")
    rektor = page.locator("main a.call").first
    assert rektor.get_attribute("href") == rektor_href(live_server)
    expect(rektor).to_be_in_viewport(ratio=1)
    taps.tap(rektor)
    assert taps.rang() == [rektor_href(live_server)]
    assert taps.count == 2


def test_akutt_control_reaches_rektor_from_any_page(small_page: Page, live_server):
    """From a page deep in the app (a question, the contacts) the same two taps ring rektor."""
    for start in ("/hva-gjor-vi/sporsmal/samtale", "/kontakter", "/om-planen"):
        page = small_page
        page.goto(live_server.url + start)
        expect(page.locator("header a.akutt-link")).to_be_in_viewport()
        taps = Taps(page)
        taps.tap(page.locator("header a.akutt-link"))
        taps.tap(page.locator("main a.call").first)
        assert taps.rang() == [rektor_href(live_server)] and taps.count == 2


def test_home_to_police_non_emergency_number_in_alternative_4(small_page: Page, live_server):
    """Home → «Salg eller oppbevaring» → the police's 02800: two taps (at most three allowed)."""
    page = small_page
    page.goto(live_server.url + "/")
    taps = Taps(page)
    taps.tap(page.locator("section.urgent a.tile", has_text="Salg eller oppbevaring"))
    police = page.locator('main a[href="tel:02800"]')
    expect(police).to_have_count(1)
    expect(police).to_contain_text("ikke nødnummer", ignore_case=True)
    expect(page.locator("section.police h2")).to_have_text("Ledelsen kontakter politiet")
    taps.tap(police)  # tapping scrolls it into view first, as a thumb would
    assert taps.rang() == ["tel:02800"]
    assert taps.count == 2 <= 3


def test_guided_questions_to_rektor(small_page: Page, live_server):
    """The long way, through the questions, still rings rektor in four taps."""
    page = small_page
    page.goto(live_server.url + "/")
    taps = Taps(page)
    taps.tap(page.locator("main nav a.tile", has_text="Hva gjør vi?"))
    taps.tap(page.get_by_role("link", name="Finn riktig alternativ"))
    taps.tap(page.locator("a[data-answer]", has_text="Ja, eleven er ruset nå"))
    rektor = page.locator("main a.call").first
    expect(rektor).to_be_in_viewport(ratio=1)
    taps.tap(rektor)
    assert taps.rang() == [rektor_href(live_server)]
    assert taps.count == 4


@pytest.mark.parametrize("drill", [False, True], ids=["normal", "drill"])
@pytest.mark.parametrize("url", EMERGENCY_PAGES)
def test_first_call_button_is_above_the_fold_at_360x640(small_page: Page, live_server, url, drill):
    """Header, heading and rektor's whole button fit on 360×640 without scrolling, drill banner too."""
    page = small_page
    if drill:
        page.goto(live_server.url + "/hva-gjor-vi")
        page.locator("label.switch").tap()
    page.goto(live_server.url + url)
    if drill:
        expect(page.locator("[data-drill-banner]")).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    first = page.locator("main a.call").first
    assert first.get_attribute("href") == rektor_href(live_server)
    box = first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640, box
    header = page.locator("header.topbar").bounding_box()
    assert box["y"] >= header["y"] + header["height"]  # not under the sticky header
    h1 = page.locator("main h1").bounding_box()
    assert h1["y"] + h1["height"] <= box["y"]
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('a')?.getAttribute('href')",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit == rektor_href(live_server)


@pytest.mark.parametrize("url", EMERGENCY_PAGES)
def test_call_buttons_are_big(small_page: Page, live_server, url):
    """Every call button is at least 44 px tall; the call chain's are 56 px or more, rektor's bigger still."""
    page = small_page
    page.goto(live_server.url + url)
    heights = call_heights(page)
    assert len(heights) >= len(live_plan(live_server).call_chain()) + 3
    assert all(height >= 44 for _href, height in heights), heights
    chain = page.locator("ol.calls-chain a.call").all()
    assert all(link.bounding_box()["height"] >= 56 for link in chain)
    assert chain[0].bounding_box()["height"] >= 72
    assert all(link.bounding_box()["width"] >= 300 for link in chain)


@pytest.mark.parametrize("url", EMERGENCY_PAGES)
def test_emergency_screen_is_calm_large_and_passes_axe(small_page: Page, live_server, url):
    """Large type, national numbers marked as such, and no serious or critical axe violations."""
    page = small_page
    page.goto(live_server.url + url)
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 18
    national = page.locator("section.national")
    expect(national.locator("h2")).to_have_text("Akutt fare for liv og helse")
    expect(national).to_contain_text("Nasjonale nødnumre gjelder alltid")
    for number in ("112", "113", "110"):
        expect(national.locator(f'a[href="tel:{number}"]')).to_be_visible()
    assert serious_violations(page) == []


def test_emergency_steps_tick_with_times_and_match_the_plan_page(page: Page, live_server):
    """Ticks made on the emergency screen are the same ticks on the plan's page of that alternative."""
    page.goto(live_server.url + "/akutt/alternativ-4")
    expect(page.locator("section.meeting")).to_contain_text("Kaller inn: Kontaktlærer")
    # Once flow.js has shown the tick boxes (a tap before that is lost, see test_flows.tick).
    page.locator('[data-flow].flow-ready label[for="hake-kontakt-ledelse"]').tap()
    page.locator('[data-flow].flow-ready label[for="hake-kontakt-politiet"]').tap()
    stamp = page.locator('li[data-step-id="kontakt-politiet"] [data-tick-time] time')
    expect(stamp).to_contain_text("Gjort kl.")
    iso = stamp.get_attribute("datetime")
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-4")
    expect(page.locator("#hake-kontakt-ledelse")).to_be_checked()
    expect(page.locator("#hake-kontakt-politiet")).to_be_checked()
    assert page.locator('li[data-step-id="kontakt-politiet"] time').get_attribute("datetime") == iso


def test_call_taps_are_noted_by_role_not_by_name(small_page: Page, live_server):
    """A tap on rektor's or the police's button goes into the Elements note by role, with its time."""
    page = small_page
    page.goto(live_server.url + "/akutt/alternativ-4")
    page.locator("main a.call").first.tap()
    page.locator('main a[href="tel:02800"]').tap()
    note = page.locator("[data-note-text]").input_value()
    assert "Rektor, ringt fra Rusplan" in note
    assert "Politiet 02800, ringt fra Rusplan" in note
    assert live_plan(live_server).call_chain()[0].name not in note
    page.reload()
    assert "Rektor, ringt fra Rusplan" in page.locator("[data-note-text]").input_value()


def test_emergency_screen_without_javascript(browser: Browser, live_server):
    """With JavaScript off the emergency screen still has every number and every step."""
    context = browser.new_context(**SMALL_PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/akutt/alternativ-3")
        first = page.locator("main a.call").first
        assert first.get_attribute("href") == rektor_href(live_server)
        expect(first).to_be_in_viewport(ratio=1)
        expect(page.locator('li[data-step-id="vurder-melding-barnevern"]')).to_be_visible()
        expect(page.locator('a[href="tel:113"]')).to_be_visible()
    finally:
        context.close()
