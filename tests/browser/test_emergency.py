"""Emergency mode ("Akutt") on a phone: taps to a ringing phone, the fold, button sizes, contrast.

The promise, for every school: from home, at most two taps to a ringing tel: link of the first person in
the school's call chain (whoever its plan puts first), for every urgent procedure of its plan.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from backend.services import guide, phones
from tests.browser.conftest import PHONE, School
from tests.browser.flow_support import RECORD_TEL_TAPS, Taps, call_heights, live_plan, serious_violations

pytestmark = pytest.mark.browser

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 640}}
NATIONAL_NUMBERS = ("112", "113", "110")


def emergency_pages(school: School) -> list[str]:
    """The emergency screen and the screen of each of the school's urgent procedures."""
    return ["/akutt", *(f"/akutt/{procedure_id}" for procedure_id in school.urgent_ids())]


def urgent_services(school: School) -> list[tuple[str, str]]:
    """(urgent procedure, service number shown with it): the numbers the leadership calls."""
    return [(p.id, service) for p in school.plan.urgent_procedures() for service in p.services]


def urgent_with_services(school: School) -> list[str]:
    return [p.id for p in school.plan.urgent_procedures() if p.services]


def urgent_with_meeting(school: School) -> list[str]:
    """Urgent procedures with a follow-up meeting and two steps for every student (to tick)."""
    return [
        p.id
        for p in school.plan.urgent_procedures()
        if p.meeting is not None and len([s for s in p.steps if s.audience == "all"]) >= 2
    ]


def first_in_chain_href(live_server) -> str:
    """The tel: link of the first person in the call chain of the plan the server shows."""
    chain = live_plan(live_server).call_chain()
    assert chain, "an urgent procedure without a call chain"
    return phones.tel_href(chain[0].phone)


def deepest_question(school: School) -> str:
    """The question furthest from the start of the school's guided questions."""
    return max(guide.paths(school.plan.guide).values(), key=len)[-1][0]


def plain(html: str) -> str:
    """A translated text with markup, as the page shows it."""
    return re.sub(r"<[^>]+>", "", html)


@pytest.fixture
def small_page(browser: Browser):
    """A page on a small phone (360×640) that records tel: taps instead of dialling."""
    context = browser.new_context(**SMALL_PHONE)
    context.add_init_script(RECORD_TEL_TAPS)
    yield context.new_page()
    context.close()


@pytest.mark.per_school("procedure_id", School.urgent_ids)
def test_home_to_ringing_the_first_in_the_chain_in_two_taps_by_the_tiles(
    small_page: Page, live_server, school: School, procedure_id
):
    """Home → the urgent procedure's tile → the first call button: visible after 1 tap, ringing after 2."""
    page = small_page
    first = first_in_chain_href(live_server)
    page.goto(live_server.url + "/")
    expect(page.locator("section.urgent h2")).to_have_text(school.t("Haster det?"))
    taps = Taps(page)
    tile = page.locator(f'section.urgent a.tile[href="/akutt/{procedure_id}"]')
    expect(tile).to_contain_text(school.plan.procedure(procedure_id).short)
    taps.tap(tile)
    expect(page).to_have_url(f"{live_server.url}/akutt/{procedure_id}")
    call = page.locator(f'main a[href="{first}"]').first
    expect(call).to_be_in_viewport(ratio=1)
    assert taps.count == 1
    taps.tap(call)
    assert taps.rang() == [first]
    assert taps.count == 2


def test_every_urgent_procedure_has_a_tile_on_home(page: Page, live_server, school: School):
    """Home shows one urgent tile per urgent procedure of the plan, and none for the others."""
    page.goto(live_server.url + "/")
    tiles = page.locator("section.urgent a.tile")
    hrefs = tiles.evaluate_all("tiles => tiles.map(t => t.getAttribute('href'))")
    assert hrefs == [f"/akutt/{procedure_id}" for procedure_id in school.urgent_ids()]
    assert hrefs


def test_home_to_ringing_the_first_in_the_chain_in_two_taps_by_the_akutt_control(
    small_page: Page, live_server
):
    """The header's «Akutt» is on every page: one tap to the call chain, the second rings its first."""
    page = small_page
    first = first_in_chain_href(live_server)
    page.goto(live_server.url + "/")
    taps = Taps(page)
    taps.tap(page.locator("header a.akutt-link"))
    expect(page).to_have_url(live_server.url + "/akutt")
    call = page.locator("main a.call").first
    assert call.get_attribute("href") == first
    expect(call).to_be_in_viewport(ratio=1)
    taps.tap(call)
    assert taps.rang() == [first]
    assert taps.count == 2


def test_akutt_control_reaches_the_first_in_the_chain_from_any_page(
    small_page: Page, live_server, school: School
):
    """From a page deep in the app (the last question, the contacts) the same two taps ring the first."""
    first = first_in_chain_href(live_server)
    for start in (f"/hva-gjor-vi/sporsmal/{deepest_question(school)}", "/kontakter", "/om-planen"):
        page = small_page
        page.goto(live_server.url + start)
        expect(page.locator("header a.akutt-link")).to_be_in_viewport()
        taps = Taps(page)
        taps.tap(page.locator("header a.akutt-link"))
        taps.tap(page.locator("main a.call").first)
        assert taps.rang() == [first] and taps.count == 2, start


@pytest.mark.per_school("procedure_id, service_id", urgent_services)
def test_home_to_a_service_number_of_an_urgent_procedure(
    small_page: Page, live_server, school: School, procedure_id, service_id
):
    """Home → the urgent tile → a number the leadership calls (such as the police's 02800): two taps."""
    page = small_page
    service = live_plan(live_server).service(service_id)
    href = phones.tel_href(service.phone)
    page.goto(live_server.url + "/")
    taps = Taps(page)
    taps.tap(page.locator(f'section.urgent a.tile[href="/akutt/{procedure_id}"]'))
    call = page.locator(f'main a[href="{href}"]')
    expect(call).to_have_count(1)
    expect(call).to_contain_text(service.label)
    expect(call).to_contain_text(school.t("Ikke nødnummer"), ignore_case=True)
    expect(call).to_contain_text(phones.display(service.phone))
    section = page.locator("section.police", has=page.locator(f'a[href="{href}"]'))
    expect(section.locator("h2")).to_have_text(
        school.t("Ledelsen kontakter %(service)s", service=service.label.lower())
    )
    expect(section).to_contain_text(service.description)
    taps.tap(call)  # tapping scrolls it into view first, as a thumb would
    assert taps.rang() == [href]
    assert taps.count == 2 <= 3


@pytest.mark.per_school("procedure_id", School.urgent_ids)
def test_guided_questions_to_the_first_in_the_chain(
    small_page: Page, live_server, school: School, procedure_id
):
    """The long way, through the questions, still rings the first in the chain: one tap after the answers."""
    page = small_page
    first = first_in_chain_href(live_server)
    answers = guide.paths(school.plan.guide)[procedure_id]
    page.goto(live_server.url + "/")
    taps = Taps(page)
    taps.tap(page.locator("main nav a.tile", has_text=school.t("Hva gjør vi?")))
    taps.tap(page.get_by_role("link", name=school.t("Finn riktig alternativ")))
    for _question_id, answer in answers:
        taps.tap(page.locator("a[data-answer]", has_text=answer))
    expect(page).to_have_url(f"{live_server.url}/akutt/{procedure_id}")
    call = page.locator("main a.call").first
    assert call.get_attribute("href") == first
    expect(call).to_be_in_viewport(ratio=1)
    taps.tap(call)
    assert taps.rang() == [first]
    assert taps.count == 2 + len(answers) + 1


@pytest.mark.parametrize("drill", [False, True], ids=["normal", "drill"])
@pytest.mark.per_school("url", emergency_pages)
def test_first_call_button_is_above_the_fold_at_360x640(small_page: Page, live_server, url, drill):
    """Header, heading and the first call button fit on 360×640 without scrolling, drill banner too."""
    page = small_page
    first = first_in_chain_href(live_server)
    if drill:
        page.goto(live_server.url + "/hva-gjor-vi")
        page.locator("label.switch").tap()
    page.goto(live_server.url + url)
    if drill:
        expect(page.locator("[data-drill-banner]")).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    call = page.locator("main a.call").first
    assert call.get_attribute("href") == first
    box = call.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640, box
    header = page.locator("header.topbar").bounding_box()
    assert box["y"] >= header["y"] + header["height"]  # not under the sticky header
    h1 = page.locator("main h1").bounding_box()
    assert h1["y"] + h1["height"] <= box["y"]
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('a')?.getAttribute('href')",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit == first


@pytest.mark.per_school("url", emergency_pages)
def test_call_buttons_are_big(small_page: Page, live_server, url):
    """Every call button is at least 44 px tall; the chain's are 56 px or more, the first bigger still."""
    page = small_page
    page.goto(live_server.url + url)
    heights = call_heights(page)
    chain_people = live_plan(live_server).call_chain()
    assert len(heights) >= len(chain_people) + len(NATIONAL_NUMBERS)
    assert all(height >= 44 for _href, height in heights), heights
    chain = page.locator("ol.calls-chain a.call").all()
    assert [link.get_attribute("href") for link in chain] == [phones.tel_href(p.phone) for p in chain_people]
    assert all(link.bounding_box()["height"] >= 56 for link in chain)
    assert chain[0].bounding_box()["height"] >= 72
    assert all(link.bounding_box()["width"] >= 300 for link in chain)


@pytest.mark.per_school("url", emergency_pages)
def test_emergency_screen_is_calm_large_and_passes_axe(small_page: Page, live_server, school: School, url):
    """Large type, national numbers marked as such, and no serious or critical axe violations."""
    page = small_page
    page.goto(live_server.url + url)
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 18
    national = page.locator("section.national")
    expect(national.locator("h2")).to_have_text(school.t("Akutt fare for liv og helse"))
    expect(national).to_contain_text(school.t("Nasjonale nødnumre gjelder alltid, uansett hva planen sier."))
    for number in NATIONAL_NUMBERS:
        expect(national.locator(f'a[href="tel:{number}"]')).to_be_visible()
    assert serious_violations(page) == []


@pytest.mark.per_school("procedure_id", urgent_with_meeting)
def test_emergency_steps_tick_with_times_and_match_the_plan_page(
    page: Page, live_server, school: School, procedure_id
):
    """Ticks made on the emergency screen are the same ticks on the plan's page of that procedure."""
    plan = live_plan(live_server)
    procedure = plan.procedure(procedure_id)
    first, second = [s.id for s in procedure.steps if s.audience == "all"][-2:]
    page.goto(f"{live_server.url}/akutt/{procedure_id}")
    meeting = procedure.meeting
    caller = school.t(
        "<strong>Kaller inn:</strong> %(caller)s. <strong>Referat:</strong> %(writer)s, i %(archive)s.",
        caller=plan.role_label(meeting.called_by),
        writer=plan.role_label(meeting.minutes_by),
        archive=plan.meta.archive.name,
    )
    expect(page.locator("section.meeting")).to_contain_text(plain(caller))
    # Once flow.js has shown the tick boxes (a tap before that is lost, see test_flows.tick).
    page.locator(f'[data-flow].flow-ready label[for="hake-{first}"]').tap()
    page.locator(f'[data-flow].flow-ready label[for="hake-{second}"]').tap()
    stamp = page.locator(f'li[data-step-id="{second}"] [data-tick-time] time')
    expect(stamp).to_contain_text(school.t("Gjort kl. %(time)s", time="").strip())
    iso = stamp.get_attribute("datetime")
    page.goto(f"{live_server.url}/hva-gjor-vi/{procedure_id}")
    expect(page.locator(f"#hake-{first}")).to_be_checked()
    expect(page.locator(f"#hake-{second}")).to_be_checked()
    assert page.locator(f'li[data-step-id="{second}"] time').get_attribute("datetime") == iso


@pytest.mark.per_school("procedure_id", urgent_with_services)
def test_call_taps_are_noted_by_role_not_by_name(small_page: Page, live_server, school: School, procedure_id):
    """A tap on the first call button or a service's goes into the archive note by role, with its time."""
    page = small_page
    plan = live_plan(live_server)
    person = plan.call_chain()[0]
    services = plan.procedure_services(plan.procedure(procedure_id))
    page.goto(f"{live_server.url}/akutt/{procedure_id}")
    page.locator("main a.call").first.tap()
    for service in services:
        page.locator(f'main a[href="{phones.tel_href(service.phone)}"]').tap()
    note = page.locator("[data-note-text]").input_value()
    called = school.t("%(who)s, ringt fra Rusplan", who=person.role)
    assert called in note
    for service in services:
        who = f"{service.label} {phones.display(service.phone)}"
        assert school.t("%(who)s, ringt fra Rusplan", who=who) in note
    assert person.name not in note
    page.reload()
    assert called in page.locator("[data-note-text]").input_value()


@pytest.mark.per_school("procedure_id", School.urgent_ids)
def test_emergency_screen_without_javascript(browser: Browser, live_server, procedure_id):
    """With JavaScript off the emergency screen still has every number and every step."""
    plan = live_plan(live_server)
    procedure = plan.procedure(procedure_id)
    context = browser.new_context(**SMALL_PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/akutt/{procedure_id}")
        first = page.locator("main a.call").first
        assert first.get_attribute("href") == first_in_chain_href(live_server)
        expect(first).to_be_in_viewport(ratio=1)
        assert procedure.steps
        for step in procedure.steps:
            expect(page.locator(f'li[data-step-id="{step.id}"]')).to_be_visible()
        for number in [*(s.phone for s in plan.procedure_services(procedure)), *NATIONAL_NUMBERS]:
            expect(page.locator(f'a[href="{phones.tel_href(number)}"]')).to_be_visible()
    finally:
        context.close()
