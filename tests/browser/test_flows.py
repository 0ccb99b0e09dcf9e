"""Guided choice and tick lists on a phone, driven through Chromium."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from backend.services import guide, phones
from tests.browser.conftest import PHONE, School
from tests.browser.flow_support import (
    CLOCK,
    DATE,
    Taps,
    call_heights,
    first_step,
    has_both_ages,
    live_plan,
    serious_violations,
    text_pattern,
    ticking_procedure,
)

pytestmark = pytest.mark.browser

OSLO = ZoneInfo("Europe/Oslo")
# The national emergency numbers every emergency screen shows (emergency/_national.html): msgid, number.
NATIONAL = (("Politi", "112"), ("Ambulanse", "113"), ("Brann", "110"))


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


def done_at(school: School) -> re.Pattern:
    """A tick's time as the step shows it: «Gjort kl. 14:05» in the school's language."""
    return re.compile("^" + text_pattern(school, "Gjort kl. %(time)s", time=CLOCK) + "$")


def by_urgency(plan) -> list:
    """The plan's procedures, the urgent ones first (the cases a teacher meets under pressure)."""
    return plan.urgent_procedures() + [p for p in plan.procedures() if not p.urgent]


def has_age_switch(procedure) -> bool:
    """Does the procedure's page show the under/over-18 switch (flow/_age.html)?"""
    attendees = procedure.meeting.attendees if procedure.meeting else []
    return any(item.audience != "all" for item in [*procedure.steps, *attendees])


def reset_button(page: Page, school: School, procedure):
    return page.get_by_role("button", name=school.t("Nullstill %(label)s", label=procedure.label))


def confirm_reset(page: Page, school: School):
    return page.get_by_role("button", name=school.t("Ja, nullstill"))


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


def test_every_question_has_a_way_back_to_the_list(page: Page, live_server, school: School):
    """From the last question, «back» goes through every earlier question to the list of alternatives."""
    questions = school.plan.guide
    last = max(questions.questions, key=lambda q: guide.position(questions, q.id))
    earlier = []
    before = guide.previous(questions, last.id)
    while before is not None:
        earlier.append(before)
        before = guide.previous(questions, before.id)
    assert len(earlier) == guide.position(questions, last.id) - 1
    page.goto(f"{live_server.url}/hva-gjor-vi/sporsmal/{last.id}")
    expect(page.locator("h1")).to_have_text(last.text)
    for question in earlier:
        page.locator("a[data-back]").tap()
        expect(page).to_have_url(f"{live_server.url}/hva-gjor-vi/sporsmal/{question.id}")
        expect(page.locator("h1")).to_have_text(question.text)
    page.locator("a[data-back]").tap()
    expect(page).to_have_url(live_server.url + "/hva-gjor-vi")
    expect(page.get_by_role("link", name=school.t("Finn riktig alternativ"))).to_be_visible()


@pytest.mark.per_school("alternative_id", School.procedure_ids)
def test_every_alternative_is_one_tap_from_the_list(page: Page, live_server, alternative_id):
    """Each alternative, branches (2A and 2B) included, can be chosen directly without the questions."""
    label = live_plan(live_server).procedure(alternative_id).label
    page.goto(live_server.url + "/hva-gjor-vi")
    page.locator(f'main a.tile[href="/hva-gjor-vi/{alternative_id}"]').tap()
    expect(page).to_have_url(f"{live_server.url}/hva-gjor-vi/{alternative_id}")
    expect(page.locator("h1")).to_contain_text(label)


def test_ticks_and_times_survive_a_reload_and_closing_the_app(page: Page, live_server, school: School):
    """A tick shows its time; after a reload, and in a new tab of the same browser, both are still there."""
    procedure = ticking_procedure(school.plan)
    first = first_step(procedure).id
    url = f"{live_server.url}/hva-gjor-vi/{procedure.id}"
    page.goto(url)
    tick(page, first)
    stamp = step(page, first).locator("[data-tick-time] time")
    expect(stamp).to_have_text(done_at(school))
    iso = stamp.get_attribute("datetime")
    assert abs((datetime.now(OSLO) - datetime.fromisoformat(iso)).total_seconds()) < 60
    expect(page.locator("#hake-mote-innkalt")).not_to_be_checked()

    page.reload()
    expect(page.locator(f"#hake-{first}")).to_be_checked()
    assert step(page, first).locator("time").get_attribute("datetime") == iso
    expect(step(page, first)).to_have_class(re.compile(r"\bstep-done\b"))

    again = page.context.new_page()
    page.close()
    again.goto(url)
    expect(again.locator(f"#hake-{first}")).to_be_checked()
    assert step(again, first).locator("time").get_attribute("datetime") == iso
    stored = again.evaluate("(key) => JSON.parse(localStorage.getItem(key))", f"rusplan:flow:{procedure.id}")
    assert stored["ticks"] == {first: iso}


def test_a_tap_before_the_script_has_run_is_kept(browser: Browser, live_server, school: School):
    """On a slow phone the step text can be tapped before flow.js has run: the tick stays, with a time."""
    procedure = ticking_procedure(school.plan)
    first = first_step(procedure).id
    context = browser.new_context(**PHONE, service_workers="block")  # so page.route sees every request
    page = context.new_page()
    held = []
    page.route("**/static/js/flow.js*", lambda route: held.append(route))  # flow.js waits for the test
    page.goto(f"{live_server.url}/hva-gjor-vi/{procedure.id}", wait_until="commit")
    page.locator(f'label[for="hake-{first}"]').tap()
    expect(page.locator(f"#hake-{first}")).to_be_checked()  # the box is still hidden, the tap checked it
    for _ in range(250):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "flow.js was never requested"
    expect(page.locator("[data-flow].flow-ready")).to_have_count(0)  # the tap came before flow.js ran

    held[0].continue_()

    expect(page.locator("[data-flow].flow-ready")).to_have_count(1)
    expect(page.locator(f"#hake-{first}")).to_be_visible()
    expect(page.locator(f"#hake-{first}")).to_be_checked()
    expect(step(page, first)).to_have_class(re.compile(r"\bstep-done\b"))
    expect(step(page, first).locator("[data-tick-time] time")).to_have_text(done_at(school))
    stored = page.evaluate("(key) => JSON.parse(localStorage.getItem(key))", f"rusplan:flow:{procedure.id}")
    assert list(stored["ticks"]) == [first]
    context.close()


def _urgent_with_a_step(school: School) -> list[str]:
    """The first urgent procedure with a step for everyone ([] for a school without one)."""
    return [p.id for p in school.plan.urgent_procedures() if first_step(p)][:1]


@pytest.mark.per_school("alternative_id", _urgent_with_a_step)
def test_back_to_a_list_cleared_elsewhere_does_not_bring_its_ticks_back(
    page: Page, live_server, school: School, alternative_id
):
    """Ticks cleared on the emergency screen stay cleared when Back returns to the plan's page."""
    procedure = school.plan.procedure(alternative_id)
    first = first_step(procedure).id
    page.goto(f"{live_server.url}/hva-gjor-vi/{alternative_id}")
    tick(page, first)
    page.goto(f"{live_server.url}/akutt/{alternative_id}")
    expect(page.locator(f"[data-flow].flow-ready #hake-{first}")).to_be_checked()  # the same case
    reset_button(page, school, procedure).tap()
    confirm_reset(page, school).tap()
    expect(page.locator("[data-tick]:checked")).to_have_count(0)

    page.go_back()

    expect(page).to_have_url(f"{live_server.url}/hva-gjor-vi/{alternative_id}")
    expect(page.locator("[data-flow].flow-ready")).to_have_count(1)
    expect(page.locator("[data-tick]:checked")).to_have_count(0)
    assert page.evaluate("(key) => localStorage.getItem(key)", f"rusplan:flow:{alternative_id}") is None


def test_untick_removes_the_time(page: Page, live_server, school: School):
    """Taking a tick away takes its time away too."""
    procedure = ticking_procedure(school.plan)
    last = [s for s in procedure.steps if s.audience == "all"][-1].id
    page.goto(f"{live_server.url}/hva-gjor-vi/{procedure.id}")
    tick(page, last)
    page.locator(f'label[for="hake-{last}"]').tap()
    expect(page.locator(f"#hake-{last}")).not_to_be_checked()
    expect(step(page, last).locator("[data-tick-time]")).to_be_hidden()
    page.reload()
    expect(page.locator(f"#hake-{last}")).not_to_be_checked()


def _age_switch_and_two_steps(school: School) -> list[str]:
    """The first procedure (urgent first) with the age switch and two steps for everyone."""
    return [
        p.id
        for p in by_urgency(school.plan)
        if has_age_switch(p) and len([s for s in p.steps if s.audience == "all"]) >= 2
    ][:1]


@pytest.mark.per_school("alternative_id", _age_switch_and_two_steps)
def test_nullstill_asks_first_then_clears(page: Page, live_server, school: School, alternative_id):
    """«Nullstill» asks first; «Avbryt» keeps everything; «Ja, nullstill» clears ticks, times and age."""
    procedure = school.plan.procedure(alternative_id)
    one, two = [s.id for s in procedure.steps if s.audience == "all"][:2]
    page.goto(f"{live_server.url}/hva-gjor-vi/{alternative_id}")
    tick(page, one)
    tick(page, two)
    page.locator("label.age-option", has_text=school.t("Under 18 år")).tap()

    reset_button(page, school, procedure).tap()
    dialog = page.get_by_role("dialog", name=school.t("Nullstille %(label)s?", label=procedure.label))
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=school.t("Avbryt")).tap()
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#hake-{one}")).to_be_checked()

    reset_button(page, school, procedure).tap()
    dialog.get_by_role("button", name=school.t("Ja, nullstill")).tap()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-tick]:checked")).to_have_count(0)
    expect(page.locator("[data-tick-time]:visible")).to_have_count(0)
    expect(page.get_by_role("radio", name=school.t("Vet ikke – vis alt"))).to_be_checked()
    expect(page.locator("[data-note-status]")).to_have_text(
        school.t("%(label)s er nullstilt.", label=procedure.label)
    )
    page.reload()
    expect(page.locator("[data-tick]:checked")).to_have_count(0)
    assert page.evaluate("(key) => localStorage.getItem(key)", f"rusplan:flow:{alternative_id}") is None


def _two_sharing_a_step(school: School) -> list[tuple[str, str, str]]:
    """Two procedures (urgent first) with a step for everyone of the same id: (cleared, kept, step id)."""
    procedures = by_urgency(school.plan)
    for n, cleared in enumerate(procedures):
        for kept in procedures[n + 1 :]:
            kept_ids = {s.id for s in kept.steps if s.audience == "all"}
            shared = [s.id for s in cleared.steps if s.audience == "all" and s.id in kept_ids]
            if shared:
                return [(cleared.id, kept.id, shared[0])]
    return []


@pytest.mark.per_school("cleared_id, kept_id, step_id", _two_sharing_a_step)
def test_nullstill_only_clears_its_own_alternative(
    page: Page, live_server, school: School, cleared_id, kept_id, step_id
):
    """State is kept per alternative: clearing one leaves the ticks of another with the same step alone."""
    page.goto(f"{live_server.url}/hva-gjor-vi/{kept_id}")
    tick(page, step_id)
    page.goto(f"{live_server.url}/hva-gjor-vi/{cleared_id}")
    expect(page.locator(f"#hake-{step_id}")).not_to_be_checked()
    tick(page, step_id)
    reset_button(page, school, school.plan.procedure(cleared_id)).tap()
    confirm_reset(page, school).tap()
    expect(page.locator(f"#hake-{step_id}")).not_to_be_checked()
    page.goto(f"{live_server.url}/hva-gjor-vi/{kept_id}")
    expect(page.locator(f"#hake-{step_id}")).to_be_checked()


def _both_ages_and_guardians_at_the_meeting(school: School) -> list[str]:
    """The first procedure (urgent first) with steps for each age and an attendee only under 18."""
    return [
        p.id
        for p in by_urgency(school.plan)
        if has_both_ages(p) and p.meeting and any(a.audience == "under_18" for a in p.meeting.attendees)
    ][:1]


@pytest.mark.per_school("alternative_id", _both_ages_and_guardians_at_the_meeting)
def test_age_switch_changes_the_steps_and_the_meeting(
    page: Page, live_server, school: School, alternative_id
):
    """Under 18: guardians are contacted and attend. 18 and over: the student's consent is asked instead."""
    procedure = school.plan.procedure(alternative_id)
    under = [s for s in procedure.steps if s.audience == "under_18"]
    over = [s for s in procedure.steps if s.audience == "over_18"]
    guardians = next(a for a in procedure.meeting.attendees if a.audience == "under_18")
    page.goto(f"{live_server.url}/hva-gjor-vi/{alternative_id}")
    guardians_step, consent_step = step(page, under[0].id), step(page, over[0].id)
    guardians_meeting = page.locator(f'li[data-attendee="{guardians.label}"]')
    expect(guardians_step).to_be_visible()
    expect(consent_step).to_be_visible()
    visible_all = page.locator("li.step:visible").count()

    page.locator("label.age-option", has_text=school.t("Under 18 år")).tap()
    expect(guardians_step).to_be_visible()
    expect(consent_step).to_be_hidden()
    expect(guardians_meeting).to_be_visible()
    assert page.locator("li.step:visible").count() == visible_all - len(over)

    page.locator("label.age-option", has_text=school.t("18 år eller eldre")).tap()
    for hidden in under:
        expect(step(page, hidden.id)).to_be_hidden()
    expect(consent_step).to_be_visible()
    expect(consent_step).to_contain_text(over[0].text)
    expect(guardians_meeting).to_be_hidden()
    assert page.locator("li.step:visible").count() == visible_all - len(under)

    page.reload()
    expect(page.get_by_role("radio", name=school.t("18 år eller eldre"))).to_be_checked()
    expect(guardians_step).to_be_hidden()
    page.locator("label.age-option", has_text=school.t("Vet ikke – vis alt")).tap()
    expect(guardians_step).to_be_visible()
    expect(consent_step).to_be_visible()


def _urgent_with_services(school: School) -> list[str]:
    """The urgent procedures that show service numbers (the police for sale of drugs, ...)."""
    return [p.id for p in school.plan.urgent_procedures() if p.services]


@pytest.mark.per_school("alternative_id", _urgent_with_services)
def test_without_javascript_every_step_and_number_shows(
    browser: Browser, live_server, school: School, alternative_id
):
    """With JavaScript off, both ages' steps show with their labels, and every number can be tapped."""
    plan = school.plan
    procedure = plan.procedure(alternative_id)
    services = plan.procedure_services(procedure)
    assert services
    age_labels = {"under_18": school.t("Under 18 år"), "over_18": school.t("18 år eller eldre")}
    context = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/akutt/{alternative_id}")
        for each in procedure.steps:
            expect(step(page, each.id)).to_be_visible()
            if each.audience in age_labels:
                expect(step(page, each.id)).to_contain_text(age_labels[each.audience])
        for service in services:
            expect(page.locator(f'a[href="{phones.tel_href(service.phone)}"]').first).to_be_visible()
        for _name, number in NATIONAL:
            expect(page.locator(f'a[href="tel:{number}"]')).to_be_visible()
        expect(page.locator("main a.call").first).to_be_visible()
        expect(page.locator("[data-tick]:visible")).to_have_count(0)  # no boxes that could not be kept
        expect(page.locator("[data-flow-tools]")).to_be_hidden()
        question_id, answer = guide.paths(plan.guide)[alternative_id][-1]
        page.goto(f"{live_server.url}/hva-gjor-vi/sporsmal/{question_id}")
        page.locator("a[data-answer]", has_text=answer).click()
        expect(page).to_have_url(f"{live_server.url}/akutt/{alternative_id}")
    finally:
        context.close()


def _callees(plan, school: School) -> list[str]:
    """Who a call from Rusplan names in the note: the call chain's roles, service and national numbers."""
    return [
        *(person.role for person in plan.call_chain()),
        *(f"{service.label} {phones.display(service.phone)}" for service in plan.services()),
        *(f"{school.t(name)} {number}" for name, number in NATIONAL),
    ]


def _allowed_note_line(line: str, alternative, plan, school: School) -> bool:
    """Is this line of the note something the plan or the app wrote (never typed by the user)?"""
    time = text_pattern(school, "%(date)s kl. %(time)s", date=DATE, time=CLOCK)
    actors = "|".join(re.escape(role.label) for role in plan.roles)
    texts = "|".join(
        re.escape(text) for text in [s.text for s in alternative.steps] + [alternative.meeting.text]
    )
    roles = "|".join(re.escape(s.contacted) for s in alternative.steps if s.contacted)
    callees = "|".join(
        re.escape(school.t("%(who)s, ringt fra Rusplan", who=who)) for who in _callees(plan, school)
    )
    agenda = "|".join(re.escape(f"{n}. {item}") for n, item in enumerate(alternative.meeting.agenda, start=1))
    attendees = "|".join(re.escape(a.label) for a in alternative.meeting.attendees)
    fixed = {
        "",
        f"{plan.meta.archive.note_title.upper()} – {alternative.label}: {alternative.title}",
        school.t("ØVELSE – dette er ikke en ekte sak"),
        school.t("Eleven er under 18 år."),
        school.t("Eleven er 18 år eller eldre."),
        school.t("Elevens alder er ikke valgt."),
        school.t("Gjort:"),
        school.t("Ikke krysset av:"),
        school.t("Kontaktet (rolle):"),
        "- " + school.t("Ingen steg er krysset av ennå."),
        "- " + school.t("Ingen registrert ennå."),
        school.t("Møtet kalles inn av: %(who)s", who=plan.role_label(alternative.meeting.called_by)),
        school.t("Dagsorden – %(intro)s", intro=alternative.meeting.agenda_intro),
        reminder(plan, school),
    }
    patterns = [
        text_pattern(school, "Laget %(time)s.", time=time),
        rf"- (?:{time}: )?(?:{texts}) \((?:{actors})\)",
        rf"- {time}: (?:{roles}|{callees})",
        text_pattern(school, "Deltar: %(who)s", who=rf"(?:{attendees})(?:, (?:{attendees}))*"),
        agenda,
    ]
    return line in fixed or any(re.fullmatch(pattern, line) for pattern in patterns)


def reminder(plan, school: School) -> str:
    """The note's last line: the school's hint about its archive, and never to write the student's name."""
    return f"{plan.meta.archive.note_hint} " + school.t(
        "Ikke skriv elevens navn eller andre opplysninger om eleven i Rusplan."
    )


def _meeting_and_contacts_for_each_age(school: School) -> list[str]:
    """The first procedure (urgent first) with a meeting, contacts made for everyone and only under 18,
    and a step only for students of 18 and over."""
    return [
        p.id
        for p in by_urgency(school.plan)
        if p.meeting
        and has_both_ages(p)
        and any(s.contacted and s.audience == "all" for s in p.steps)
        and any(s.contacted and s.audience == "under_18" for s in p.steps)
    ][:1]


@pytest.mark.per_school("alternative_id", _meeting_and_contacts_for_each_age)
def test_elements_note_has_the_steps_and_times_and_nothing_typed(
    browser: Browser, live_server, school: School, alternative_id
):
    """The note lists the ticked steps with their times, who was contacted, the agenda; nothing else."""
    plan = live_plan(live_server)
    alternative = plan.procedure(alternative_id)
    contacted = [
        next(s for s in alternative.steps if s.contacted and s.audience == audience)
        for audience in ("all", "under_18")
    ]
    context = browser.new_context(**PHONE, timezone_id="Europe/Oslo",
                                  permissions=["clipboard-read", "clipboard-write"])  # fmt: skip
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/hva-gjor-vi/{alternative_id}")
        assert (
            page.locator("main input[type=text], main textarea:not([readonly]), [contenteditable]").count()
            == 0
        )
        page.locator("label.age-option", has_text=school.t("Under 18 år")).tap()
        for each in contacted:
            tick(page, each.id)
        note = page.locator("[data-note-text]")
        note.scroll_into_view_if_needed()
        note.tap()
        page.keyboard.type("Ola Nordmann 2STA")  # a readonly note takes no typing

        text = note_text(page)
        assert "Ola" not in text and "2STA" not in text
        title = f"{plan.meta.archive.note_title.upper()} – {alternative.label}: {alternative.title}"
        assert text.startswith(title)
        for each in contacted:
            iso = step(page, each.id).locator("time").get_attribute("datetime")
            at = datetime.fromisoformat(iso).astimezone(OSLO)
            when = school.t("%(date)s kl. %(time)s", date=f"{at:%d.%m.%Y}", time=f"{at:%H:%M}")
            assert f"- {when}: {each.text} (" in text
            assert f"- {when}: {each.contacted}" in text
        assert school.t("Eleven er under 18 år.") in text
        for older in (s for s in alternative.steps if s.audience == "over_18"):
            assert older.text not in text  # the 18-and-over steps do not apply
        for item in alternative.meeting.agenda:
            assert f". {item}\n" in text + "\n"
        assert text.endswith(reminder(plan, school))
        strange = [
            line for line in text.splitlines() if not _allowed_note_line(line, alternative, plan, school)
        ]
        assert strange == []

        page.get_by_role("button", name=school.t("Kopier notatet")).tap()
        expect(page.locator("[data-note-status]")).to_have_text(
            school.t("Notatet er kopiert. Lim det inn i %(archive)s.", archive=plan.meta.archive.name)
        )
        assert page.evaluate("navigator.clipboard.readText()") == note_text(page)
    finally:
        context.close()


def test_copy_falls_back_to_selecting_the_note(page: Page, live_server, school: School):
    """Without clipboard access the note's text is selected, so the phone's own «Kopier» can take it."""
    procedure = ticking_procedure(school.plan)
    first = first_step(procedure)
    page.add_init_script("navigator.clipboard.writeText = () => Promise.reject(new Error('denied'));")
    page.goto(f"{live_server.url}/hva-gjor-vi/{procedure.id}")
    tick(page, first.id)
    page.get_by_role("button", name=school.t("Kopier notatet")).tap()
    expect(page.locator("[data-note-status]")).to_have_text(
        school.t("Teksten er merket. Velg «Kopier» på telefonen.")
    )
    selected = page.evaluate(
        "(actor) => { const t = document.querySelector('[data-note-text]');"
        " return document.activeElement === t && t.selectionStart === 0 && t.selectionEnd === t.value.length"
        " && t.value.includes(actor); }",
        school.plan.role_label(first.role),
    )
    assert selected


def test_drill_banner_on_every_screen_while_drill_is_on(page: Page, live_server, school: School):
    """Turning on «Øvelse» shows the banner on every screen and in the note, until it is turned off."""
    drill = school.t("ØVELSE – dette er ikke en ekte sak")
    questions = school.plan.guide.questions
    shown = (school.urgent_ids() or school.procedure_ids())[0]
    page.goto(live_server.url + "/hva-gjor-vi")
    banner = page.locator("[data-drill-banner]")
    expect(banner).to_be_hidden()
    page.locator("label.switch").tap()
    expect(banner).to_have_text(drill)
    expect(banner).to_be_in_viewport()
    for url in (
        "/",
        "/akutt",
        *[f"/akutt/{urgent}" for urgent in school.urgent_ids()[:1]],
        "/kontakter",
        "/sjekkliste",
        f"/hva-gjor-vi/sporsmal/{questions[min(1, len(questions) - 1)].id}",
    ):
        page.goto(live_server.url + url)
        expect(banner).to_have_text(drill)
        expect(banner).to_be_in_viewport()
    page.goto(f"{live_server.url}/hva-gjor-vi/{shown}")
    assert drill in note_text(page).splitlines()[1]
    assert page.evaluate("import('/static/js/drill.js').then((drill) => drill.isDrill())") is True
    page.get_by_role("switch").tap()
    expect(banner).to_be_hidden()
    assert drill not in note_text(page)
    page.goto(live_server.url + "/")
    expect(banner).to_be_hidden()
    assert page.evaluate("import('/static/js/drill.js').then((drill) => drill.isDrill())") is False


def _deepest_with_consent_and_meeting(school: School) -> list[str]:
    """The procedure the questions reach last that has an 18-and-over step and a meeting, when the plan
    also has an urgent procedure (the flow goes on to Akutt)."""
    paths = guide.paths(school.plan.guide)
    found = [
        p
        for p in school.plan.procedures()
        if p.id in paths and p.meeting and first_step(p) and first_step(p, "over_18")
    ]
    if not found or not _urgent_with_a_step(school):
        return []
    return [max(found, key=lambda p: len(paths[p.id])).id]


@pytest.mark.per_school("alternative_id", _deepest_with_consent_and_meeting)
def test_no_request_carries_flow_state(page: Page, live_server, school: School, alternative_id):
    """Over a whole flow, the browser only GETs pages and static files: no POST, no state in any URL."""
    plan = live_plan(live_server)
    procedure = plan.procedure(alternative_id)
    urgent = plan.procedure(_urgent_with_a_step(school)[0])
    step_ids = {s.id for a in plan.procedures() for s in a.steps} | {"mote-innkalt"}
    requests = []
    page.context.on("request", lambda request: requests.append(request))

    page.goto(live_server.url + "/")
    page.locator("main a.tile", has_text=school.t("Hva gjør vi?")).tap()
    page.locator("label.switch").tap()  # drill on
    page.get_by_role("link", name=school.t("Finn riktig alternativ")).tap()
    for _question, answer in guide.paths(plan.guide)[alternative_id]:
        page.locator("a[data-answer]", has_text=answer).tap()
    expect(page).to_have_url(f"{live_server.url}/hva-gjor-vi/{alternative_id}")
    page.wait_for_load_state("networkidle")
    before = len(requests)
    page.locator("label.age-option", has_text=school.t("18 år eller eldre")).tap()
    tick(page, first_step(procedure).id)
    tick(page, first_step(procedure, "over_18").id)
    tick(page, "mote-innkalt")
    page.get_by_role("button", name=school.t("Kopier notatet")).tap()
    reset_button(page, school, procedure).tap()
    page.get_by_role("button", name=school.t("Avbryt")).tap()
    page.wait_for_timeout(300)
    assert requests[before:] == []  # ticking, choosing age, copying: no network at all

    page.locator("a.akutt-link").tap()
    page.locator("main a.tile", has_text=urgent.short).tap()
    tick(page, first_step(urgent).id)
    reset_button(page, school, urgent).tap()
    confirm_reset(page, school).tap()
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


def new_screens(school: School) -> list[str]:
    """The screens of the guided choice and the emergency mode, for this school's plan."""
    return [
        "/hva-gjor-vi",
        *[f"/hva-gjor-vi/sporsmal/{q.id}" for q in school.plan.guide.questions],
        *[f"/hva-gjor-vi/{a}" for a in school.procedure_ids()],
        "/akutt",
        *[f"/akutt/{a}" for a in school.urgent_ids()],
    ]


@pytest.mark.per_school("url", new_screens)
def test_new_screens_pass_axe(page: Page, live_server, school: School, url):
    """axe-core finds nothing serious or critical, with ticks, age and drill on; call buttons are >= 44 px."""
    page.goto(live_server.url + url)
    if page.locator("[data-flow]").count():
        page.locator("label.switch").tap()
        if page.locator("label.age-option").count():
            page.locator("label.age-option", has_text=school.t("Under 18 år")).tap()
        first = page.locator("[data-step-id]").first.get_attribute("data-step-id")
        tick(page, first)
    assert serious_violations(page) == []
    for href, height in call_heights(page):
        assert height >= 44, href


@pytest.mark.per_school("alternative_id", lambda school: school.urgent_ids()[-1:])
def test_reset_dialog_passes_axe(page: Page, live_server, school: School, alternative_id):
    """The confirmation step of «Nullstill» is accessible too, and takes the focus."""
    page.goto(f"{live_server.url}/akutt/{alternative_id}")
    reset_button(page, school, school.plan.procedure(alternative_id)).tap()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_role("button", name=school.t("Avbryt"))).to_be_focused()
    assert serious_violations(page) == []
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
