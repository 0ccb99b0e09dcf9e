"""Guided choice and tick lists on a phone, driven through Chromium."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from backend.content.loader import load_plan
from backend.services import guide
from tests.browser.conftest import PHONE, School
from tests.browser.flow_support import Taps, call_heights, live_plan, serious_violations
from tests.conftest import CONTENT

pytestmark = pytest.mark.browser

OSLO = ZoneInfo("Europe/Oslo")
# Halden's (still to be made per school: read them from `school`).
GUIDE = load_plan(CONTENT).guide
ALTERNATIVES = [p.id for p in load_plan(CONTENT).procedures()]


def landing(school: School, procedure_id: str) -> str:
    """Where a procedure opens when reached by the questions: an urgent one opens the emergency screen."""
    return f"/akutt/{procedure_id}" if procedure_id in school.urgent_ids() else f"/hva-gjor-vi/{procedure_id}"


def step(page: Page, step_id: str):
    return page.locator(f'li[data-step-id="{step_id}"]')


def tick(page: Page, step_id: str) -> None:
    """Tap a step's text, which is the label of its tick box, once the list can be ticked.

    A tap before flow.js has run is kept too (test_a_tap_before_the_script_has_run_is_kept), but then
    the box is hidden until the module runs; waiting for `.flow-ready` keeps the other tests about the
    list as a person sees it.
    """
    page.locator(f'[data-flow].flow-ready label[for="hake-{step_id}"]').tap()
    expect(page.locator(f"#hake-{step_id}")).to_be_checked()


def note_text(page: Page) -> str:
    return page.locator("[data-note-text]").input_value()


@pytest.mark.per_school("alternative_id", School.procedure_ids)
def test_questions_lead_from_home_to_each_alternative(
    page: Page, live_server, school: School, alternative_id
):
    """From home: «Hva gjør vi?», «Finn riktig alternativ», then plain answers, to the right alternative."""
    plan = live_plan(live_server)
    questions = school.plan.guide
    page.goto(live_server.url + "/")
    taps = Taps(page)
    taps.tap(page.locator("main a.tile", has_text=school.t("Hva gjør vi?")))
    taps.tap(page.get_by_role("link", name=school.t("Finn riktig alternativ")))
    for question_id, answer in guide.paths(questions)[alternative_id]:
        expect(page).to_have_url(f"{live_server.url}/hva-gjor-vi/sporsmal/{question_id}")
        expect(page.locator("h1")).to_have_text(guide.question(questions, question_id).text)
        taps.tap(page.locator("a[data-answer]", has_text=answer))
    expect(page).to_have_url(live_server.url + landing(school, alternative_id))
    alternative = plan.procedure(alternative_id)
    expect(page.locator("h1")).to_contain_text(alternative.label)
    expect(page.locator("li.step").first).to_be_visible()
    assert taps.count == 2 + len(guide.paths(questions)[alternative_id]) <= 6


def test_every_question_has_a_way_back_to_the_list(page: Page, live_server):
    """From the last question, «back» goes through every earlier question to the list of alternatives."""
    page.goto(live_server.url + "/hva-gjor-vi/sporsmal/samtale")
    for earlier in ("hjelp", "salg", "ruset"):
        page.locator("a[data-back]").tap()
        expect(page).to_have_url(f"{live_server.url}/hva-gjor-vi/sporsmal/{earlier}")
        expect(page.locator("h1")).to_have_text(guide.question(GUIDE, earlier).text)
    page.locator("a[data-back]").tap()
    expect(page).to_have_url(live_server.url + "/hva-gjor-vi")
    expect(page.get_by_role("link", name="Finn riktig alternativ")).to_be_visible()


@pytest.mark.per_school("alternative_id", School.procedure_ids)
def test_every_alternative_is_one_tap_from_the_list(page: Page, live_server, alternative_id):
    """Each alternative, 2A and 2B included, can be chosen directly without the questions."""
    label = live_plan(live_server).procedure(alternative_id).label
    page.goto(live_server.url + "/hva-gjor-vi")
    page.locator(f'main a.tile[href="/hva-gjor-vi/{alternative_id}"]').tap()
    expect(page).to_have_url(f"{live_server.url}/hva-gjor-vi/{alternative_id}")
    expect(page.locator("h1")).to_contain_text(label)


def test_ticks_and_times_survive_a_reload_and_closing_the_app(page: Page, live_server):
    """A tick shows its time; after a reload, and in a new tab of the same browser, both are still there."""
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-1")
    tick(page, "ta-videre")
    stamp = step(page, "ta-videre").locator("[data-tick-time] time")
    expect(stamp).to_have_text(re.compile(r"^Gjort kl\. \d\d:\d\d$"))
    iso = stamp.get_attribute("datetime")
    assert abs((datetime.now(OSLO) - datetime.fromisoformat(iso)).total_seconds()) < 60
    expect(page.locator("#hake-mote-innkalt")).not_to_be_checked()

    page.reload()
    expect(page.locator("#hake-ta-videre")).to_be_checked()
    assert step(page, "ta-videre").locator("time").get_attribute("datetime") == iso
    expect(step(page, "ta-videre")).to_have_class(re.compile(r"\bstep-done\b"))

    again = page.context.new_page()
    page.close()
    again.goto(live_server.url + "/hva-gjor-vi/alternativ-1")
    expect(again.locator("#hake-ta-videre")).to_be_checked()
    assert again.locator('li[data-step-id="ta-videre"] time').get_attribute("datetime") == iso
    stored = again.evaluate("JSON.parse(localStorage.getItem('rusplan:flow:alternativ-1'))")
    assert stored["ticks"] == {"ta-videre": iso}


def test_a_tap_before_the_script_has_run_is_kept(browser: Browser, live_server):
    """On a slow phone the step text can be tapped before flow.js has run: the tick stays, with a time."""
    context = browser.new_context(**PHONE, service_workers="block")  # so page.route sees every request
    page = context.new_page()
    held = []
    page.route("**/static/js/flow.js*", lambda route: held.append(route))  # flow.js waits for the test
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-1", wait_until="commit")
    page.locator('label[for="hake-ta-videre"]').tap()
    expect(page.locator("#hake-ta-videre")).to_be_checked()  # the box is still hidden, the tap checked it
    for _ in range(250):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "flow.js was never requested"
    expect(page.locator("[data-flow].flow-ready")).to_have_count(0)  # the tap came before flow.js ran

    held[0].continue_()

    expect(page.locator("[data-flow].flow-ready")).to_have_count(1)
    expect(page.locator("#hake-ta-videre")).to_be_visible()
    expect(page.locator("#hake-ta-videre")).to_be_checked()
    expect(step(page, "ta-videre")).to_have_class(re.compile(r"\bstep-done\b"))
    expect(step(page, "ta-videre").locator("[data-tick-time] time")).to_have_text(
        re.compile(r"^Gjort kl\. \d\d:\d\d$")
    )
    stored = page.evaluate("JSON.parse(localStorage.getItem('rusplan:flow:alternativ-1'))")
    assert list(stored["ticks"]) == ["ta-videre"]
    context.close()


def test_back_to_a_list_cleared_elsewhere_does_not_bring_its_ticks_back(page: Page, live_server):
    """Ticks cleared on the emergency screen stay cleared when Back returns to the plan's page."""
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-3")
    tick(page, "kontakt-ledelse")
    page.goto(live_server.url + "/akutt/alternativ-3")
    expect(page.locator("[data-flow].flow-ready #hake-kontakt-ledelse")).to_be_checked()  # the same case
    page.get_by_role("button", name="Nullstill Alternativ 3").tap()
    page.get_by_role("button", name="Ja, nullstill").tap()
    expect(page.locator("[data-tick]:checked")).to_have_count(0)

    page.go_back()

    expect(page).to_have_url(live_server.url + "/hva-gjor-vi/alternativ-3")
    expect(page.locator("[data-flow].flow-ready")).to_have_count(1)
    expect(page.locator("[data-tick]:checked")).to_have_count(0)
    assert page.evaluate("localStorage.getItem('rusplan:flow:alternativ-3')") is None


def test_untick_removes_the_time(page: Page, live_server):
    """Taking a tick away takes its time away too."""
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-2")
    tick(page, "snakk-med-eleven")
    page.locator('label[for="hake-snakk-med-eleven"]').tap()
    expect(page.locator("#hake-snakk-med-eleven")).not_to_be_checked()
    expect(step(page, "snakk-med-eleven").locator("[data-tick-time]")).to_be_hidden()
    page.reload()
    expect(page.locator("#hake-snakk-med-eleven")).not_to_be_checked()


def test_nullstill_asks_first_then_clears(page: Page, live_server):
    """«Nullstill» asks first; «Avbryt» keeps everything; «Ja, nullstill» clears ticks, times and age."""
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-3")
    tick(page, "kontakt-ledelse")
    tick(page, "ta-ut-av-undervisningen")
    page.locator("label.age-option", has_text="Under 18 år").tap()

    page.get_by_role("button", name="Nullstill Alternativ 3").tap()
    dialog = page.get_by_role("dialog", name="Nullstille Alternativ 3?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Avbryt").tap()
    expect(dialog).to_be_hidden()
    expect(page.locator("#hake-kontakt-ledelse")).to_be_checked()

    page.get_by_role("button", name="Nullstill Alternativ 3").tap()
    dialog.get_by_role("button", name="Ja, nullstill").tap()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-tick]:checked")).to_have_count(0)
    expect(page.locator("[data-tick-time]:visible")).to_have_count(0)
    expect(page.get_by_role("radio", name="Vet ikke – vis alt")).to_be_checked()
    expect(page.locator("[data-note-status]")).to_have_text("Alternativ 3 er nullstilt.")
    page.reload()
    expect(page.locator("[data-tick]:checked")).to_have_count(0)
    assert page.evaluate("localStorage.getItem('rusplan:flow:alternativ-3')") is None


def test_nullstill_only_clears_its_own_alternative(page: Page, live_server):
    """State is kept per alternative: clearing 3 leaves the ticks of 4 alone."""
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-4")
    tick(page, "kontakt-ledelse")
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-3")
    expect(page.locator("#hake-kontakt-ledelse")).not_to_be_checked()
    tick(page, "kontakt-ledelse")
    page.get_by_role("button", name="Nullstill Alternativ 3").tap()
    page.get_by_role("button", name="Ja, nullstill").tap()
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-4")
    expect(page.locator("#hake-kontakt-ledelse")).to_be_checked()


def test_age_switch_changes_the_steps_and_the_meeting(page: Page, live_server):
    """Under 18: guardians are contacted and attend. 18 and over: the student's consent is asked instead."""
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-3")
    guardians_step, consent_step = step(page, "kontakt-foresatte"), step(page, "samtykke-foresatte")
    guardians_meeting = page.locator('li[data-attendee="Foresatte"]')
    expect(guardians_step).to_be_visible()
    expect(consent_step).to_be_visible()
    visible_all = page.locator("li.step:visible").count()

    page.locator("label.age-option", has_text="Under 18 år").tap()
    expect(guardians_step).to_be_visible()
    expect(consent_step).to_be_hidden()
    expect(guardians_meeting).to_be_visible()
    assert page.locator("li.step:visible").count() == visible_all - 1

    page.locator("label.age-option", has_text="18 år eller eldre").tap()
    expect(guardians_step).to_be_hidden()
    expect(consent_step).to_be_visible()
    expect(consent_step).to_contain_text("be om samtykke til å informere foresatte")
    expect(guardians_meeting).to_be_hidden()

    page.reload()
    expect(page.get_by_role("radio", name="18 år eller eldre")).to_be_checked()
    expect(guardians_step).to_be_hidden()
    page.locator("label.age-option", has_text="Vet ikke").tap()
    expect(guardians_step).to_be_visible()
    expect(consent_step).to_be_visible()


def test_without_javascript_every_step_and_number_shows(browser: Browser, live_server):
    """With JavaScript off, both ages' steps show with their labels, and every number can be tapped."""
    context = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/akutt/alternativ-4")
        for step_id in ("kontakt-ledelse", "kontakt-politiet", "kontakt-foresatte", "samtykke-foresatte"):
            expect(step(page, step_id)).to_be_visible()
        expect(step(page, "kontakt-foresatte")).to_contain_text("Under 18 år")
        expect(step(page, "samtykke-foresatte")).to_contain_text("18 år eller eldre")
        expect(page.locator('a[href="tel:02800"]')).to_be_visible()
        expect(page.locator('a[href="tel:112"]')).to_be_visible()
        expect(page.locator("main a.call").first).to_be_visible()
        expect(page.locator("[data-tick]:visible")).to_have_count(0)  # no boxes that could not be kept
        expect(page.locator("[data-flow-tools]")).to_be_hidden()
        page.goto(live_server.url + "/hva-gjor-vi/sporsmal/ruset")
        page.locator("a[data-answer]").first.click()
        expect(page).to_have_url(live_server.url + "/akutt/alternativ-3")
    finally:
        context.close()


REMINDER = (
    "Referatet skal føres i Elements. Ikke skriv elevens navn eller andre opplysninger om eleven i Rusplan."
)
CALLEES = [
    "Rektor",
    "Assisterende rektor",
    "Leder",
    "Politiet 02800",
    "Politi 112",
    "Ambulanse 113",
    "Brann 110",
]


def _allowed_note_line(line: str, alternative, plan) -> bool:
    """Is this line of the note something the plan or the app wrote (never typed by the user)?"""
    time = r"\d\d\.\d\d\.\d{4} kl\. \d\d:\d\d"
    actors = "|".join(re.escape(role.label) for role in plan.roles)
    texts = "|".join(
        re.escape(text) for text in [s.text for s in alternative.steps] + [alternative.meeting.text]
    )
    roles = "|".join(re.escape(s.contacted) for s in alternative.steps if s.contacted)
    callees = "|".join(re.escape(f"{who}, ringt fra Rusplan") for who in CALLEES)
    agenda = "|".join(re.escape(f"{n}. {item}") for n, item in enumerate(alternative.meeting.agenda, start=1))
    attendees = "|".join(re.escape(a.label) for a in alternative.meeting.attendees)
    fixed = {
        "",
        f"NOTAT TIL ELEMENTS – {alternative.label}: {alternative.title}",
        "ØVELSE – dette er ikke en ekte sak",
        "Eleven er under 18 år.",
        "Eleven er 18 år eller eldre.",
        "Elevens alder er ikke valgt.",
        "Gjort:",
        "Ikke krysset av:",
        "Kontaktet (rolle):",
        "- Ingen steg er krysset av ennå.",
        "- Ingen registrert ennå.",
        "Møtet kalles inn av: Kontaktlærer",
        f"Dagsorden – {alternative.meeting.agenda_intro}",
        REMINDER,
    }
    patterns = [
        rf"Laget {time}\.",
        rf"- (?:{time}: )?(?:{texts}) \((?:{actors})\)",
        rf"- {time}: (?:{roles}|{callees})",
        rf"Deltar: (?:{attendees})(?:, (?:{attendees}))*",
        agenda,
    ]
    return line in fixed or any(re.fullmatch(pattern, line) for pattern in patterns)


def test_elements_note_has_the_steps_and_times_and_nothing_typed(browser: Browser, live_server):
    """The note lists the ticked steps with their times, who was contacted, the agenda; nothing else."""
    plan = live_plan(live_server)
    alternative = plan.procedure("alternativ-3")
    context = browser.new_context(**PHONE, timezone_id="Europe/Oslo",
                                  permissions=["clipboard-read", "clipboard-write"])  # fmt: skip
    try:
        page = context.new_page()
        page.goto(live_server.url + "/hva-gjor-vi/alternativ-3")
        assert (
            page.locator("main input[type=text], main textarea:not([readonly]), [contenteditable]").count()
            == 0
        )
        page.locator("label.age-option", has_text="Under 18 år").tap()
        tick(page, "kontakt-ledelse")
        tick(page, "kontakt-foresatte")
        note = page.locator("[data-note-text]")
        note.scroll_into_view_if_needed()
        note.tap()
        page.keyboard.type("Ola Nordmann 2STA")  # a readonly note takes no typing

        text = note_text(page)
        assert "Ola" not in text and "2STA" not in text
        assert text.startswith("NOTAT TIL ELEMENTS – Alternativ 3: eleven opptrer ruset på skolen")
        for step_id, role in (("kontakt-ledelse", "Rektor/ledelse"), ("kontakt-foresatte", "Foresatte")):
            iso = step(page, step_id).locator("time").get_attribute("datetime")
            when = datetime.fromisoformat(iso).astimezone(OSLO).strftime("%d.%m.%Y kl. %H:%M")
            step_text = next(s.text for s in alternative.steps if s.id == step_id)
            assert f"- {when}: {step_text} (" in text
            assert f"- {when}: {role}" in text
        assert "Eleven er under 18 år." in text
        assert "samtykke" not in text  # the 18-and-over step does not apply
        for item in alternative.meeting.agenda:
            assert f". {item}\n" in text + "\n"
        assert text.endswith(REMINDER)
        strange = [line for line in text.splitlines() if not _allowed_note_line(line, alternative, plan)]
        assert strange == []

        page.get_by_role("button", name="Kopier notatet").tap()
        expect(page.locator("[data-note-status]")).to_have_text("Notatet er kopiert. Lim det inn i Elements.")
        assert page.evaluate("navigator.clipboard.readText()") == note_text(page)
    finally:
        context.close()


def test_copy_falls_back_to_selecting_the_note(page: Page, live_server):
    """Without clipboard access the note's text is selected, so the phone's own «Kopier» can take it."""
    page.add_init_script("navigator.clipboard.writeText = () => Promise.reject(new Error('denied'));")
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-1")
    tick(page, "ta-videre")
    page.get_by_role("button", name="Kopier notatet").tap()
    expect(page.locator("[data-note-status]")).to_have_text("Teksten er merket. Velg «Kopier» på telefonen.")
    selected = page.evaluate(
        "(() => { const t = document.querySelector('[data-note-text]');"
        " return document.activeElement === t && t.selectionStart === 0 && t.selectionEnd === t.value.length"
        " && t.value.includes('Den som mottar henvendelsen'); })()"
    )
    assert selected


def test_drill_banner_on_every_screen_while_drill_is_on(page: Page, live_server):
    """Turning on «Øvelse» shows the banner on every screen and in the note, until it is turned off."""
    page.goto(live_server.url + "/hva-gjor-vi")
    banner = page.locator("[data-drill-banner]")
    expect(banner).to_be_hidden()
    page.locator("label.switch").tap()
    expect(banner).to_have_text("ØVELSE – dette er ikke en ekte sak")
    expect(banner).to_be_in_viewport()
    for url in (
        "/",
        "/akutt",
        "/akutt/alternativ-3",
        "/kontakter",
        "/sjekkliste",
        "/hva-gjor-vi/sporsmal/salg",
    ):
        page.goto(live_server.url + url)
        expect(banner).to_have_text("ØVELSE – dette er ikke en ekte sak")
        expect(banner).to_be_in_viewport()
    page.goto(live_server.url + "/hva-gjor-vi/alternativ-3")
    assert "ØVELSE – dette er ikke en ekte sak" in note_text(page).splitlines()[1]
    assert page.evaluate("import('/static/js/drill.js').then((drill) => drill.isDrill())") is True
    page.get_by_role("switch").tap()
    expect(banner).to_be_hidden()
    assert "ØVELSE" not in note_text(page)
    page.goto(live_server.url + "/")
    expect(banner).to_be_hidden()
    assert page.evaluate("import('/static/js/drill.js').then((drill) => drill.isDrill())") is False


def test_no_request_carries_flow_state(page: Page, live_server):
    """Over a whole flow, the browser only GETs pages and static files: no POST, no state in any URL."""
    plan = live_plan(live_server)
    step_ids = {s.id for a in plan.procedures() for s in a.steps} | {"mote-innkalt"}
    requests = []
    page.context.on("request", lambda request: requests.append(request))

    page.goto(live_server.url + "/")
    page.locator("main a.tile", has_text="Hva gjør vi?").tap()
    page.locator("label.switch").tap()  # drill on
    page.get_by_role("link", name="Finn riktig alternativ").tap()
    for _question, answer in guide.paths(GUIDE)["alternativ-2a"]:
        page.locator("a[data-answer]", has_text=answer).tap()
    expect(page).to_have_url(live_server.url + "/hva-gjor-vi/alternativ-2a")
    page.wait_for_load_state("networkidle")
    before = len(requests)
    page.locator("label.age-option", has_text="18 år eller eldre").tap()
    tick(page, "ta-opp-med-ledelse")
    tick(page, "samtykke-foresatte")
    tick(page, "mote-innkalt")
    page.get_by_role("button", name="Kopier notatet").tap()
    page.get_by_role("button", name="Nullstill Alternativ 2A").tap()
    page.get_by_role("button", name="Avbryt").tap()
    page.wait_for_timeout(300)
    assert requests[before:] == []  # ticking, choosing age, copying: no network at all

    page.locator("a.akutt-link").tap()
    page.locator("main a.tile", has_text="Eleven er ruset nå").tap()
    tick(page, "kontakt-ledelse")
    page.get_by_role("button", name="Nullstill Alternativ 3").tap()
    page.get_by_role("button", name="Ja, nullstill").tap()
    page.reload()
    page.wait_for_load_state("networkidle")

    assert len(requests) > 10
    today = datetime.now(OSLO).date().isoformat()
    for request in requests:
        url = urlsplit(request.url)
        assert request.method == "GET", request.url
        assert request.post_data is None, request.url
        assert f"{url.scheme}://{url.netloc}" == live_server.url, request.url
        assert url.query == "" or url.path.startswith("/static/"), request.url
        carried = f"{url.path}?{url.query}"
        assert not any(step_id in carried for step_id in step_ids), request.url
        assert not any(word in carried for word in ("under_18", "over_18", "tick", today)), request.url
        assert "rusplan:" not in (request.headers.get("cookie") or ""), request.url
    keys = page.evaluate("Object.keys(localStorage)")
    assert keys and all(key.startswith("rusplan:") for key in keys)


NEW_SCREENS = [
    "/hva-gjor-vi",
    *[f"/hva-gjor-vi/sporsmal/{q.id}" for q in GUIDE.questions],
    *[f"/hva-gjor-vi/{a}" for a in ALTERNATIVES],
    "/akutt",
    "/akutt/alternativ-3",
    "/akutt/alternativ-4",
]


@pytest.mark.parametrize("url", NEW_SCREENS)
def test_new_screens_pass_axe(page: Page, live_server, url):
    """axe-core finds nothing serious or critical, with ticks, age and drill on; call buttons are >= 44 px."""
    page.goto(live_server.url + url)
    if page.locator("[data-flow]").count():
        page.locator("label.switch").tap()
        if page.locator("label.age-option").count():
            page.locator("label.age-option", has_text="Under 18 år").tap()
        first = page.locator("[data-step-id]").first.get_attribute("data-step-id")
        tick(page, first)
    assert serious_violations(page) == []
    for href, height in call_heights(page):
        assert height >= 44, href


def test_reset_dialog_passes_axe(page: Page, live_server):
    """The confirmation step of «Nullstill» is accessible too, and takes the focus."""
    page.goto(live_server.url + "/akutt/alternativ-4")
    page.get_by_role("button", name="Nullstill Alternativ 4").tap()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("button", name="Avbryt")).to_be_focused()
    assert serious_violations(page) == []
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
