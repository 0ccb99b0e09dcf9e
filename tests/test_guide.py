"""The guided choice ("Hva gjør vi?") and the alternatives as tick lists, through the test client."""

from __future__ import annotations

import pytest

from backend.routes.common import public_page_urls
from backend.services import guide
from backend.services.plan import revision_cache
from tests.html_parse import find, parse

ALL_ALTERNATIVES = {
    "alternativ-1",
    "alternativ-2",
    "alternativ-2a",
    "alternativ-2b",
    "alternativ-3",
    "alternativ-4",
}


@pytest.fixture
def plan(app):
    with app.app_context():
        return revision_cache.current().plan


@pytest.fixture
def page_urls(app, plan):
    with app.test_request_context():
        return public_page_urls(plan)


def answers(client, url):
    """Return (label, href) of each answer on a question page."""
    response = client.get(url)
    assert response.status_code == 200, url
    return [(a.text, a.attrs["href"]) for a in find(parse(response.data), "a", data_answer=True)]


def test_questions_are_consistent_with_the_plan(plan):
    """Every answer leads to a known question or to an alternative of the plan."""
    assert guide.check(plan) == []


def test_every_question_page_is_in_the_public_list(page_urls):
    """The offline cache and the tests see every question page."""
    for question in guide.QUESTIONS:
        assert f"/hva-gjor-vi/sporsmal/{question.id}" in page_urls


def test_first_question_is_about_an_emergency(client):
    """The guide asks about an intoxicated student first, then about selling or keeping drugs."""
    page = parse(client.get("/hva-gjor-vi/sporsmal/ruset").data)
    assert find(page, "h1")[0].text == "Er eleven ruset på skolen nå?"
    first = answers(client, "/hva-gjor-vi/sporsmal/ruset")
    assert first[0] == (first[0][0], "/akutt/alternativ-3")
    second = dict((href, label) for label, href in answers(client, "/hva-gjor-vi/sporsmal/salg"))
    assert "/akutt/alternativ-4" in second


def test_following_the_answers_reaches_every_alternative(client):
    """Walking every answer from the first question reaches 1, 2, 2A, 2B, 3 and 4, and nothing else."""
    reached, seen, queue = set(), set(), ["/hva-gjor-vi/sporsmal/ruset"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        for _label, href in answers(client, url):
            if href.startswith("/hva-gjor-vi/sporsmal/"):
                queue.append(href)
            else:
                assert client.get(href).status_code == 200, href
                reached.add(href.rsplit("/", 1)[1])
    assert reached == ALL_ALTERNATIVES
    assert seen == {f"/hva-gjor-vi/sporsmal/{q.id}" for q in guide.QUESTIONS}


def test_paths_take_at_most_four_answers():
    """The longest way to an alternative is four answers; emergencies come after one and two."""
    paths = guide.paths()
    assert set(paths) == ALL_ALTERNATIVES
    assert len(paths["alternativ-3"]) == 1
    assert len(paths["alternativ-4"]) == 2
    assert len(paths["alternativ-1"]) == 3
    assert max(len(p) for p in paths.values()) == 4


@pytest.mark.parametrize("question", guide.QUESTIONS, ids=lambda q: q.id)
def test_every_question_has_a_way_back_and_a_way_out(client, question):
    """Each question links back (to the previous question or the list) and to choosing directly."""
    page = parse(client.get(f"/hva-gjor-vi/sporsmal/{question.id}").data)
    back = find(page, "a", data_back=True)
    assert len(back) == 1
    before = guide.previous(question.id)
    assert back[0].attrs["href"] == (f"/hva-gjor-vi/sporsmal/{before.id}" if before else "/hva-gjor-vi")
    hrefs = {a.attrs.get("href") for a in find(page, "a")}
    assert "/hva-gjor-vi" in hrefs  # "velg alternativ selv"
    assert "/kontakter" in hrefs
    assert len(find(page, "a", data_answer=True)) >= 2


def test_unknown_question_is_not_found(client):
    """A mistyped question address gives the app's 404 page."""
    assert client.get("/hva-gjor-vi/sporsmal/finnes-ikke").status_code == 404


def test_procedures_page_starts_the_guide_and_links_every_alternative(client, plan):
    """The list page offers the questions first, and every alternative, 2A and 2B included, directly."""
    page = parse(client.get("/hva-gjor-vi").data)
    hrefs = [a.attrs.get("href") for a in find(page, "a")]
    assert "/hva-gjor-vi/sporsmal/ruset" in hrefs
    for alternative in plan.procedures():
        assert f"/hva-gjor-vi/{alternative.id}" in hrefs


@pytest.mark.parametrize("alternative_id", sorted(ALL_ALTERNATIVES))
def test_alternative_page_is_a_tick_list_that_reads_without_javascript(client, plan, alternative_id):
    """Every step is there in the plan's order; the tick boxes and tools wait for flow.js, hidden."""
    alternative = plan.procedure(alternative_id)
    response = client.get(f"/hva-gjor-vi/{alternative_id}")
    page = parse(response.data)
    root = find(page, "div", data_flow=alternative_id)
    assert len(root) == 1
    steps = [e for e in find(page, "li", data_step_id=True) if e.attrs["data-step-id"] != "mote-innkalt"]
    assert [s.attrs["data-step-id"] for s in steps] == [s.id for s in alternative.steps]
    for step, element in zip(alternative.steps, steps, strict=True):
        assert "hidden" not in element.attrs
        assert step.text in element.text
        box = find(page, "input", id=f"hake-{step.id}")[0]
        assert box.attrs["type"] == "checkbox" and "hidden" in box.attrs
        assert find(page, "label", for_=f"hake-{step.id}")[0].text == step.text
    assert all("hidden" in e.attrs for e in find(page, "section", data_flow_tools=True))
    assert "readonly" in find(page, "textarea", data_note_text=True)[0].attrs  # no typing about the student
    scripts = find(page, "script")
    assert "/static/js/flow.js" in [s.attrs.get("src") for s in scripts]
    assert all(s.attrs.get("src") and s.attrs.get("type") == "module" and not s.text for s in scripts)
    assert find(page, "form") == []  # nothing on this page can send the case anywhere
    hrefs = {a.attrs.get("href") for a in find(page, "a")}
    assert "/hva-gjor-vi/sporsmal/ruset" in hrefs  # back to the questions: no dead end


def test_meeting_is_listed_with_caller_attendees_and_agenda(client, plan):
    """The meeting shows who calls it, who attends (guardians labelled under 18) and the agenda in order."""
    alternative = plan.procedure("alternativ-1")
    page = parse(client.get("/hva-gjor-vi/alternativ-1").data)
    meeting = find(page, "section", data_meeting=True)[0]
    assert meeting.attrs["data-called-by"] == "Kontaktlærer"
    assert "Kaller inn: Kontaktlærer" in meeting.text
    assert [a.attrs["data-attendee"] for a in find(page, "li", data_attendee=True)] == [
        "Eleven",
        "Kontaktlærer",
        "Miljøveileder",
        "Foresatte",
    ]
    guardians = find(page, "li", data_attendee="Foresatte")[0]
    assert guardians.attrs["data-audience"] == "under_18" and "Under 18 år" in guardians.text
    agenda = [li.text for li in find(page, "li", data_agenda_item=True)]
    assert agenda == list(alternative.meeting.agenda)
    assert find(page, "label", for_="hake-mote-innkalt")[0].text == alternative.meeting.text


def test_both_ages_are_shown_and_labelled_without_javascript(client):
    """Without the switch, the under-18 and the 18-and-over steps both show, each labelled."""
    page = parse(client.get("/hva-gjor-vi/alternativ-3").data)
    under = find(page, "li", data_step_id="kontakt-foresatte")[0]
    over = find(page, "li", data_step_id="samtykke-foresatte")[0]
    assert "Under 18 år" in under.text and "hidden" not in under.attrs
    assert "18 år eller eldre" in over.text and "hidden" not in over.attrs
    switch = find(page, "fieldset", data_age_switch=True)[0]
    assert "hidden" in switch.attrs
    assert {r.attrs["value"] for r in find(page, "input", data_age=True)} == {"all", "under_18", "over_18"}


def test_age_switch_is_left_out_where_age_changes_nothing(client):
    """Alternative 2 has no age-specific steps, so it has no age switch."""
    page = parse(client.get("/hva-gjor-vi/alternativ-2").data)
    assert find(page, "fieldset", data_age_switch=True) == []


def test_step_roles_for_the_note_come_from_the_content(client):
    """Steps that contact someone carry the role, so the note can say who was contacted."""
    page = parse(client.get("/hva-gjor-vi/alternativ-4").data)
    contacted = {
        e.attrs["data-step-id"]: e.attrs.get("data-contacted") for e in find(page, "li", data_step_id=True)
    }
    assert contacted["kontakt-ledelse"] == "Rektor/ledelse"
    assert contacted["kontakt-politiet"] == "Politiet (02800)"
    assert contacted["kontakt-foresatte"] == "Foresatte"
    assert contacted["avklar-med-politiet"] is None


def test_every_page_has_an_empty_drill_banner_and_loads_drill_mode(client, page_urls):
    """Every public page has an empty, hidden drill banner in its header; app.js loads drill.js."""
    for url in page_urls:
        page = parse(client.get(url).data)
        banner = find(page, None, data_drill_banner=True)
        assert len(banner) == 1, url
        assert "hidden" in banner[0].attrs and banner[0].text == ""
        assert banner[0].inside("header"), url
        assert any("js/app.js" in (s.attrs.get("src") or "") for s in find(page, "script")), url
    app_js = client.get("/static/js/app.js")
    assert b'import "./drill.js";' in app_js.data
    app_js.close()


def test_new_pages_have_no_inline_script_or_style(client, page_urls):
    """The strict CSP holds: no inline script, no style attributes, no hx-on on any public page."""
    for url in page_urls:
        response = client.get(url)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        for element in parse(response.data):
            assert "style" not in element.attrs, (url, element.tag)
            assert not any(name.startswith("hx-on") for name in element.attrs), url
            if element.tag == "script":
                assert element.attrs.get("src") and not element.text, url


def test_flow_modules_are_served(client):
    """The ES modules behind the tick lists, the note and drill mode are served from our origin."""
    for name in ("flow.js", "note.js", "drill.js", "store.js"):
        response = client.get(f"/static/js/{name}")
        assert response.status_code == 200
        assert "javascript" in response.headers["Content-Type"]
        response.close()
    drill = client.get("/static/js/drill.js")
    assert b"export function isDrill()" in drill.data
    drill.close()
