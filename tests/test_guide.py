"""The guided choice ("Hva gjør vi?") and the alternatives as tick lists, through the test client."""

from __future__ import annotations

import shutil

import pytest
import yaml

from backend.content.guide_schema import check_guide, plan_procedures
from backend.content.loader import load_plan
from backend.routes.common import public_page_urls
from backend.services import guide
from backend.services import plan as plan_service
from backend.services.plan import revision_cache
from tests.conftest import CONTENT
from tests.html_parse import find, parse

# The school's questions as content (guide.yaml), read once for the parametrised tests.
GUIDE = load_plan(CONTENT).guide

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
    assert check_guide(plan.guide, plan_procedures(plan)) == []


def test_every_question_page_is_in_the_public_list(page_urls):
    """The offline cache and the tests see every question page."""
    for question in GUIDE.questions:
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
    assert seen == {f"/hva-gjor-vi/sporsmal/{q.id}" for q in GUIDE.questions}


def test_paths_take_at_most_four_answers():
    """The longest way to an alternative is four answers; emergencies come after one and two."""
    paths = guide.paths(GUIDE)
    assert set(paths) == ALL_ALTERNATIVES
    assert len(paths["alternativ-3"]) == 1
    assert len(paths["alternativ-4"]) == 2
    assert len(paths["alternativ-1"]) == 3
    assert max(len(p) for p in paths.values()) == 4


@pytest.mark.parametrize("question", GUIDE.questions, ids=lambda q: q.id)
def test_every_question_has_a_way_back_and_a_way_out(client, question):
    """Each question links back (to the previous question or the list) and to choosing directly."""
    page = parse(client.get(f"/hva-gjor-vi/sporsmal/{question.id}").data)
    back = find(page, "a", data_back=True)
    assert len(back) == 1
    before = guide.previous(GUIDE, question.id)
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


# Today's questions as they were written in Python before they became content: guide.yaml must say the same.
HALDEN_QUESTIONS = [
    (
        "ruset",
        "Er eleven ruset på skolen nå?",
        "Alternativ 3 i planen: eleven opptrer ruset på skolen.",
        [("Ja, eleven er ruset nå", None, "alternativ-3"), ("Nei", "salg", None)],
    ),
    (
        "salg",
        "Gjelder det salg eller oppbevaring av rusmidler på skolen?",
        "Alternativ 4 i planen: bekymring for omsetning/oppbevaring av rusmidler på skolen. "
        "Det er nok at du er bekymret.",
        [("Ja, salg eller oppbevaring", None, "alternativ-4"), ("Nei", "hjelp", None)],
    ),
    (
        "hjelp",
        "Har eleven selv bedt om hjelp med et rusproblem?",
        "Alternativ 1 i planen: eleven ber om hjelp med sitt rusproblem.",
        [
            ("Ja, eleven ber om hjelp", None, "alternativ-1"),
            ("Nei, det er noen andre som er bekymret", "samtale", None),
        ],
    ),
    (
        "samtale",
        "Har eleven innrømmet bruk av rusmidler etter samtalen?",
        "Alternativ 2 i planen: når noen er bekymret, snakker dere først med eleven om bekymringen.",
        [
            ("Vi har ikke snakket med eleven ennå", None, "alternativ-2"),
            ("Ja, eleven har innrømmet bruk", None, "alternativ-2a"),
            ("Nei, eleven benekter bruk", None, "alternativ-2b"),
        ],
    ),
]


def test_the_schools_questions_are_the_same_as_before_they_became_content():
    """guide.yaml holds Halden's questions exactly: same texts, same order, same outcomes."""
    assert GUIDE.start == "ruset"
    assert [
        (q.id, q.text, q.help, [(a.label, a.next, a.procedure) for a in q.answers]) for q in GUIDE.questions
    ] == HALDEN_QUESTIONS


def test_urgent_answers_are_marked_on_the_page(client):
    """The answers that lead to an urgent procedure are the red tiles, and say to call the leaders."""
    page = parse(client.get("/hva-gjor-vi/sporsmal/ruset").data)
    urgent = [a for a in find(page, "a", data_answer=True) if "tile-urgent" in a.attrs["class"]]
    assert [a.attrs["href"] for a in urgent] == ["/akutt/alternativ-3"]
    assert "Alternativ 3: ring ledelsen nå" in urgent[0].text
    progress = find(page, "p", class_="guide-progress")[0].text
    assert progress == "Spørsmål 1 av høyst 4"


OTHER_PROCEDURES = {
    "alternativ-1": "samtale-med-eleven",
    "alternativ-2": "bekymring",
    "alternativ-3": "ruset-na",
}
OTHER_GUIDE = """\
start: hast
questions:
  - id: hast
    text: Haster det?
    help: Velg ja om eleven trenger hjelp nå.
    answers:
      - label: Ja, nå
        procedure: ruset-na
      - label: Nei
        next: hvem
  - id: hvem
    text: Hvem tok kontakt?
    answers:
      - label: Eleven selv
        procedure: samtale-med-eleven
      - label: Noen andre
        procedure: bekymring
"""


@pytest.fixture
def other_school(tmp_path):
    """An app on a school with three procedures under other ids and a two-question guide of its own."""
    from tests.conftest import make_app

    folder = tmp_path / "content" / "annen-vgs"
    shutil.copytree(CONTENT, folder)
    data = yaml.safe_load((folder / "procedures.yaml").read_text(encoding="utf-8"))
    kept = []
    for procedure in data["procedures"]:
        if procedure["id"] in OTHER_PROCEDURES:
            kept.append({**procedure, "id": OTHER_PROCEDURES[procedure["id"]]})
    data["procedures"] = kept
    (folder / "procedures.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    sections = yaml.safe_load((folder / "sections.yaml").read_text(encoding="utf-8"))
    for section in sections["sections"] if isinstance(sections, dict) else sections:
        if section.get("procedure") in OTHER_PROCEDURES:
            section["procedure"] = OTHER_PROCEDURES[section["procedure"]]
    (folder / "sections.yaml").write_text(yaml.safe_dump(sections, allow_unicode=True), encoding="utf-8")
    (folder / "guide.yaml").write_text(OTHER_GUIDE, encoding="utf-8")
    (tmp_path / "db").mkdir()
    app = make_app(tmp_path / "db", CONTENT_DIR=str(folder.parent), SCHOOL="annen-vgs")
    with app.app_context():
        revision_cache.clear()
        plan_service.import_folder(folder)
    yield app
    with app.app_context():
        plan_service.db.engine.dispose()
    revision_cache.clear()


def test_a_differently_shaped_tree_works_through_the_routes(other_school):
    """Another school's questions and procedure ids drive the pages: no Halden id is needed anywhere."""
    client = other_school.test_client()
    procedures = parse(client.get("/hva-gjor-vi").data)
    assert "/hva-gjor-vi/sporsmal/hast" in [a.attrs.get("href") for a in find(procedures, "a")]
    assert client.get("/hva-gjor-vi/sporsmal/ruset").status_code == 404

    first = parse(client.get("/hva-gjor-vi/sporsmal/hast").data)
    assert find(first, "h1")[0].text == "Haster det?"
    assert find(first, "p", class_="lead")[0].text == "Velg ja om eleven trenger hjelp nå."
    assert find(first, "p", class_="guide-progress")[0].text == "Spørsmål 1 av høyst 2"
    assert find(first, "a", data_back=True)[0].attrs["href"] == "/hva-gjor-vi"
    assert answers(client, "/hva-gjor-vi/sporsmal/hast") == [
        ("Ja, nå Alternativ 3: ring ledelsen nå", "/akutt/ruset-na"),
        ("Nei Neste spørsmål", "/hva-gjor-vi/sporsmal/hvem"),
    ]

    second = parse(client.get("/hva-gjor-vi/sporsmal/hvem").data)
    assert find(second, "p", class_="lead") == []  # no help sentence written, none shown
    assert find(second, "p", class_="guide-progress")[0].text == "Spørsmål 2 av høyst 2"
    assert find(second, "a", data_back=True)[0].attrs["href"] == "/hva-gjor-vi/sporsmal/hast"
    leads = answers(client, "/hva-gjor-vi/sporsmal/hvem")
    assert [href for _label, href in leads] == ["/hva-gjor-vi/samtale-med-eleven", "/hva-gjor-vi/bekymring"]
    for href in ["/akutt/ruset-na", *[href for _label, href in leads]]:
        assert client.get(href).status_code == 200, href

    with other_school.test_request_context():
        urls = public_page_urls(revision_cache.current().plan)
    assert [u for u in urls if u.startswith("/hva-gjor-vi/sporsmal/")] == [
        "/hva-gjor-vi/sporsmal/hast",
        "/hva-gjor-vi/sporsmal/hvem",
    ]
