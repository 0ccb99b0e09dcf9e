"""The public pages: every page answers with its heading, errors look like the app, vCards download."""

from __future__ import annotations

import shutil

import pytest
from flask_migrate import upgrade

from backend import create_app
from backend.content.loader import load_plan
from backend.extensions import db
from backend.routes.common import info_pages, public_page_urls
from backend.services import plan as plan_service
from backend.services.language import title_in_sentence
from tests.conftest import CONTENT, make_app
from tests.pages import crawl, parse_page

HOME_HEADING = "Bekymret for en elev?"
EMERGENCY_HEADING = "Akutt: ring rektor"


def expected_heading(app, plan, url: str) -> str | None:
    """The <h1> a page must show, worked out from the plan; None for a page this test does not know."""
    endpoint, args = app.url_map.bind("localhost").match(url)
    alternative = plan.procedure(args["alternative_id"]) if "alternative_id" in args else None
    headings = {
        "public.home": lambda: HOME_HEADING,
        "public.checklist": lambda: plan.checklists()[0].title,
        "public.procedures": lambda: plan.procedure_list.title,
        "public.contacts": lambda: plan.contacts.title,
        "public.info": lambda: "Om planen",
        "public.find_help": lambda: plan.section("finn-hjelp").title,
        "public.alternative": lambda: f"{alternative.label}: {alternative.title}",
        "public.info_page": lambda: info_pages(plan)[args["slug"]],
        "emergency.index": lambda: EMERGENCY_HEADING,
        "emergency.alternative": lambda: f"{alternative.label}: {alternative.short}",
    }
    return headings[endpoint]() if endpoint in headings else None


@pytest.fixture
def plan(app):
    """The plan of the current revision."""
    with app.app_context():
        return plan_service.revision_cache.current().plan


@pytest.fixture
def public_urls(app):
    """Every public page of the current plan, as the offline cache and the tests see them."""
    with app.test_request_context():
        return public_page_urls(plan_service.revision_cache.current().plan)


def test_the_page_list_covers_every_area(plan, public_urls):
    """The list has the home page, checklist, all alternatives, contacts, information and emergency pages."""
    for url in ["/", "/sjekkliste", "/hva-gjor-vi", "/kontakter", "/om-planen", "/finn-hjelp", "/akutt"]:
        assert url in public_urls
    alternatives = [url for url in public_urls if url.startswith("/hva-gjor-vi/alternativ-")]
    questions = [url for url in public_urls if url.startswith("/hva-gjor-vi/sporsmal/")]
    assert len(alternatives) == 6
    assert len(questions) == len(load_plan(CONTENT).guide.questions)
    assert sum(url.startswith("/om-planen/") for url in public_urls) == len(info_pages(plan)) + 1
    assert "/om-planen/utskrift" in public_urls  # the whole plan on one page, for paper
    assert len(public_urls) == len(set(public_urls))


def test_every_public_page_answers_with_its_heading(app, client, plan, public_urls):
    """Each page is a full HTML page in Norwegian with one <h1>, the one its content calls for."""
    for url in public_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/html", url
        page = parse_page(url, response.get_data(as_text=True))
        assert '<html lang="nb">' in page.html, url
        assert len(page.h1) == 1 and page.h1[0], f"{url} has the headings {page.h1}"
        expected = expected_heading(app, plan, url)
        if expected is not None:
            assert page.h1[0] == expected, url
        assert "<title>" in page.html and "/static/css/app.css" in page.html, url


def test_every_public_page_has_the_akutt_link_and_the_menu(client, public_urls):
    """Wherever a teacher is, alternatives 3 and 4 are one tap away, and the menu leads everywhere."""
    for url in public_urls:
        page = parse_page(url, client.get(url).get_data(as_text=True))
        hrefs = {link.href for link in page.links}
        assert "/akutt" in hrefs, url
        assert {"/", "/sjekkliste", "/hva-gjor-vi", "/kontakter", "/finn-hjelp", "/om-planen"} <= hrefs, url


def test_home_leads_to_checklist_procedures_emergencies_contacts_and_help(client):
    """The home page offers the checklist, "Hva gjør vi?", alternatives 3 and 4, contacts and help."""
    page = parse_page("/", client.get("/").get_data(as_text=True))
    by_href = {link.href: link.text for link in page.links}
    assert "Sjekkliste" in by_href["/sjekkliste"]
    assert "Hva gjør vi?" in by_href["/hva-gjor-vi"]
    assert "Kontakter" in by_href["/kontakter"]
    assert "Finn hjelp" in by_href["/finn-hjelp"]
    assert "Alternativ 3" in by_href["/akutt/alternativ-3"]
    assert "Alternativ 4" in by_href["/akutt/alternativ-4"]


def test_every_public_page_is_reachable_from_home(client, public_urls):
    """Following links from the home page reaches every page in the list."""
    reachable = crawl(client, "/")
    assert not [url for url in public_urls if url not in reachable]


def test_alternative_2_leads_on_to_2a_and_2b(client):
    """After talking with the student, the teacher chooses between "admits" and "denies"."""
    page = parse_page("/", client.get("/hva-gjor-vi/alternativ-2").get_data(as_text=True))
    texts = {link.href: link.text for link in page.links}
    assert "Eleven har innrømmet bruk av rusmidler" in texts["/hva-gjor-vi/alternativ-2a"]
    assert "Eleven benekter bruk av rusmidler" in texts["/hva-gjor-vi/alternativ-2b"]


def test_contacts_page_lists_sixteen_people_and_the_police(client):
    """Everyone in the plan is on the contacts page, the drug-case person is marked, and 02800 is there."""
    page = parse_page("/kontakter", client.get("/kontakter").get_data(as_text=True))
    tel = [link for link in page.links if link.href.startswith("tel:+47")]
    assert len({link.href for link in tel}) == 16
    assert any(link.href == "tel:02800" for link in page.links)
    assert page.contains("Spesielt ansvar for rusrelaterte saker")
    marked = page.text.index("Spesielt ansvar for rusrelaterte saker")
    assert page.text.index("Åshild Sandtorp Johnsen") > marked


def test_find_help_says_staff_cannot_promise_secrecy(client):
    """A student reads plainly that adults at school cannot keep it secret, and who they can talk to."""
    page = parse_page("/finn-hjelp", client.get("/finn-hjelp").get_data(as_text=True))
    assert page.contains("De voksne på skolen kan ikke love å holde det hemmelig")
    for who in ["Helsesykepleier", "Rådgivere", "NAV-veileder", "Miljøveiledere"]:
        assert who in page.text
    assert any(link.href == "/hva-gjor-vi/alternativ-1" for link in page.links)


@pytest.mark.parametrize(
    "url",
    [
        "/finnes-ikke",
        "/hva-gjor-vi/alternativ-9",
        "/akutt/alternativ-1",
        "/om-planen/hemmelig",
        "/kontakter/ingen-her.vcf",
    ],
)
def test_unknown_address_gives_a_friendly_404(client, url):
    """A wrong address shows the app's own page with a way home, never a stack trace."""
    response = client.get(url)
    assert response.status_code == 404
    page = parse_page(url, response.get_data(as_text=True))
    assert page.h1 == ["Fant ikke siden"]
    assert "/static/css/app.css" in page.html
    assert {"/", "/akutt"} <= {link.href for link in page.links}
    assert "Traceback" not in page.html and "werkzeug" not in page.html.lower()


@pytest.mark.parametrize("url", ["/", "/sjekkliste", "/kontakter"])
def test_wrong_method_gives_a_friendly_405(client, url):
    """Posting to a page answers 405 in the app's style, with the methods that are allowed."""
    response = client.post(url)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    page = parse_page(url, response.get_data(as_text=True))
    assert page.h1 == ["Det går ikke an her"]
    assert "/static/css/app.css" in page.html
    assert "Traceback" not in page.html


def test_a_crash_shows_a_calm_page_without_a_traceback(tmp_path, caplog):
    """An unexpected error is logged for the operator; the user sees a calm page."""
    from tests.conftest import make_app

    app = make_app(tmp_path)
    # Alembic's fileConfig (run by the migrations) replaces the root handlers, so listen on the app's logger.
    app.logger.addHandler(caplog.handler)

    @app.get("/krasj")
    def crash():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/krasj")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Noe gikk galt" in body
    assert "secret detail" not in body and "Traceback" not in body
    assert "secret detail" in caplog.text
    app.logger.removeHandler(caplog.handler)
    with app.app_context():
        db.engine.dispose()
    plan_service.revision_cache.clear()


def test_without_content_the_site_says_the_plan_is_not_ready(tmp_path):
    """Before the first import, pages answer 503 with a plain message instead of crashing."""
    plan_service.revision_cache.clear()
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite3'}"}
    )
    with app.app_context():
        upgrade()
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert "Planen er ikke lastet inn ennå." in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_every_person_downloads_as_a_vcard(client, plan):
    """Each contact is a vCard with name, role, school and the number in E.164."""
    contacts_page = parse_page("/kontakter", client.get("/kontakter").get_data(as_text=True))
    download_links = {link.href for link in contacts_page.links if "download" in link.attrs}
    for contact in plan.all_contacts():
        url = f"/kontakter/{contact.id}.vcf"
        assert url in download_links
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "text/vcard"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{contact.id}.vcf"'
        body = response.get_data(as_text=True)
        lines = body.split("\r\n")
        assert lines[0] == "BEGIN:VCARD" and "VERSION:3.0" in lines
        assert lines[-1] == "END:VCARD" or (lines[-1] == "" and lines[-2] == "END:VCARD")
        assert f"FN:{contact.name}" in lines
        assert f"TITLE:{contact.role}" in lines
        assert f"TEL;TYPE=CELL,VOICE:{contact.phone}" in lines
        assert "ORG:Halden videregående skole" in lines
        assert "\n" not in body.replace("\r\n", "")


def test_vcard_of_kristin_stoten(client):
    """The rector's card holds her name split for the phone book and her number +4797083705."""
    lines = client.get("/kontakter/kristin-stoten.vcf").get_data(as_text=True).split("\r\n")
    assert "N:Støten;Kristin;;;" in lines
    assert "TEL;TYPE=CELL,VOICE:+4797083705" in lines


def test_vcard_escapes_commas_and_semicolons():
    """A role with a comma cannot break the card into extra fields."""
    from backend.services.vcard import escape

    assert escape("Rådgiver, studiespesialisering; VG1") == "Rådgiver\\, studiespesialisering\\; VG1"
    assert escape("linje\nto") == "linje\\nto"


def test_titles_keep_the_schools_capitals(app, client, tmp_path):
    """A title is shown with a capital first letter, and the rest exactly as the school wrote it."""
    folder = tmp_path / "halden-vgs"
    shutil.copytree(CONTENT, folder)
    alternatives = folder / "procedures.yaml"
    text = alternatives.read_text(encoding="utf-8")
    assert "title: eleven ber om hjelp med sitt rusproblem" in text
    text = text.replace("title: eleven ber om hjelp med sitt rusproblem", "title: eleven ber NAV om hjelp")
    alternatives.write_text(text, encoding="utf-8")
    plan = folder / "plan.yaml"
    plan_text = plan.read_text(encoding="utf-8")
    plan.write_text(
        plan_text.replace("responsible: skolens ledelse", "responsible: HVS-ledelsen"), encoding="utf-8"
    )
    with app.app_context():
        plan_service.import_folder(folder)
    tiles = parse_page("/hva-gjor-vi", client.get("/hva-gjor-vi").get_data(as_text=True))
    assert "Eleven ber NAV om hjelp" in tiles.text
    evaluation = parse_page(
        "/om-planen/evaluering", client.get("/om-planen/evaluering").get_data(as_text=True)
    )
    assert "HVS-ledelsen" in evaluation.text
    # The plan as shipped still reads as before: «skolens ledelse» becomes «Skolens ledelse».
    with app.app_context():
        plan_service.import_folder(CONTENT)
    shipped = client.get("/om-planen/evaluering").get_data(as_text=True)
    assert "Skolens ledelse" in parse_page("/om-planen/evaluering", shipped).text


WHEEL = """title: Årshjul for rusforebygging
intro: Det forebyggende arbeidet gjennom skoleåret.
months:
  - month: 8
    activities:
      - text: Gjennomgang av rusplanen med nye elever
        responsible: kontaktlaerer
  - month: 2
    activities:
      - text: Foreldremøte med rus som tema
        responsible: ledelse
"""


def test_an_annual_wheel_is_its_own_page_linked_under_about_the_plan_and_kept_offline(app, client, tmp_path):
    """With annual_wheel.yaml the plan gets /arshjul (months, activities, the role responsible), a tile
    under «Om planen», a place in the printout and in the offline list; without it, /arshjul is 404."""
    assert client.get("/arshjul").status_code == 404
    assert "/arshjul" not in parse_page("/om-planen", client.get("/om-planen").get_data(as_text=True)).text
    folder = tmp_path / "halden-vgs"
    shutil.copytree(CONTENT, folder)
    (folder / "annual_wheel.yaml").write_text(WHEEL, encoding="utf-8")
    with app.app_context():
        plan_service.import_folder(folder)
    page = parse_page("/arshjul", client.get("/arshjul").get_data(as_text=True))
    assert page.h1 == ["Årshjul for rusforebygging"]
    assert "August Gjennomgang av rusplanen med nye elever Kontaktlærer" in page.text
    assert "Februar Foreldremøte med rus som tema Rektor/ledelse" in page.text
    info = parse_page("/om-planen", client.get("/om-planen").get_data(as_text=True))
    assert any(link.href == "/arshjul" and "Årshjul for rusforebygging" in link.text for link in info.links)
    printout = parse_page("/om-planen/utskrift", client.get("/om-planen/utskrift").get_data(as_text=True))
    assert "Foreldremøte med rus som tema" in printout.text
    precache = client.get("/precache.json").get_json()
    assert "/arshjul" in precache["urls"]


def other_school(data: dict) -> dict:
    """Halden's plan data reshaped as another school's: its own roles, three procedures without children,
    barnevernvakt and legevakt, another archive system, one prevention list and no student page."""
    data["meta"]["archive"] = {
        "name": "Public 360",
        "note_title": "Notat til Public 360",
        "note_hint": "Referatet skal arkiveres i Public 360.",
    }
    data["roles"] = [
        {"id": "radgiver", "label": "Sosialrådgiver", "call_chain": False},
        {"id": "rektor", "label": "Rektor", "call_chain": True},
    ]
    for contact in (c for g in data["contacts"]["groups"] for c in g["contacts"]):
        contact["roles"] = ["rektor"] if contact["id"] == "kristin-stoten" else []
    data["contacts"]["services"] = [
        {"id": "barnevernvakt", "label": "Barnevernvakten", "description": "Hele døgnet.", "phone": "116123"},
        {"id": "legevakt", "label": "Legevakten", "description": "Ved skade.", "phone": "116117"},
    ]

    def step(number: int, role: str) -> dict:
        return {"id": f"steg-{number}", "text": f"Gjør steg {number}.", "role": role, "audience": "all"}

    data["procedure_list"]["procedures"] = [
        {
            "id": f"rutine-{letter}",
            "label": f"Rutine {letter.upper()}",
            "title": f"rutine {letter}",
            "short": f"Rutine {letter}",
            "urgent": letter == "a",
            "steps": [step(1, "radgiver"), step(2, "rektor")],
            "services": ["barnevernvakt", "legevakt"] if letter == "a" else [],
            "meeting": {
                "called_by": "radgiver",
                "minutes_by": "radgiver",
                "text": "Sosialrådgiveren kaller inn.",
                "attendees": [{"label": "Eleven"}],
                "agenda": ["Individuell avtale"],
            },
        }
        for letter in "abc"
    ]
    data["guide"] = {
        "start": "akutt",
        "questions": [
            {
                "id": "akutt",
                "text": "Haster det?",
                "answers": [{"label": "Ja", "procedure": "rutine-a"}, {"label": "Nei", "next": "hvem"}],
            },
            {
                "id": "hvem",
                "text": "Hvem tok kontakt?",
                "answers": [
                    {"label": "Eleven", "procedure": "rutine-b"},
                    {"label": "Andre", "procedure": "rutine-c"},
                ],
            },
        ],
    }
    data["prevention"]["lists"] = data["prevention"]["lists"][:1]
    data["sections"] = [
        {"slug": "om-oss", "title": "Om skolen", "body": "Vi er en annen skole."},
        *(s for s in data["sections"] if s["slug"] in ("tilgjengelighet", "personvern")),
    ]
    return data


def test_a_differently_shaped_plan_is_served_without_halden_in_it(app, client):
    """Another school's shape: every public page answers, shows its roles, numbers and archive, and nothing
    of Halden's procedures or archive system; there is no student page when the school has none."""
    from backend.content.schema import Plan

    with app.app_context():
        data = other_school(plan_service.latest_revision().data)
        plan_service.publish(Plan.model_validate(data), author=None, note="annen skole")
        db.session.commit()
    with app.test_request_context():
        urls = public_page_urls(plan_service.revision_cache.current().plan)
    assert "/finn-hjelp" not in urls and client.get("/finn-hjelp").status_code == 404
    assert "/akutt/rutine-a" in urls and "/akutt/rutine-b" not in urls
    for url in urls:
        if url.startswith("/hva-gjor-vi/sporsmal/"):
            continue  # the guided questions are content of their own (guide.yaml)
        page = parse_page(url, client.get(url).get_data(as_text=True))
        assert "Elements" not in page.text and "Alternativ" not in page.text, url
        assert not any(link.href == "/finn-hjelp" for link in page.links), url
    urgent = parse_page("/akutt/rutine-a", client.get("/akutt/rutine-a").get_data(as_text=True))
    assert "Barnevernvakten" in urgent.text and "Legevakten" in urgent.text
    assert "Notat til Public 360" in urgent.text and "Referatet skal arkiveres i Public 360." in urgent.text
    assert "Sosialrådgiver" in urgent.text and "Referat: Sosialrådgiver, i Public 360." in urgent.text
    info = parse_page("/om-planen", client.get("/om-planen").get_data(as_text=True))
    assert any(link.href == "/om-planen/om-oss" for link in info.links)


def test_the_emergency_screens_name_the_first_in_the_schools_call_chain(tmp_path):
    """Whom to call first comes from the call chain («rektor» at both schools today), never a fixed word."""
    app = make_app(tmp_path, school="eksempel-vgs")
    client = app.test_client()
    assert "Akutt: ring rektor" in client.get("/akutt").get_data(as_text=True)
    folder = tmp_path / "eksempel-vgs"
    shutil.copytree(CONTENT.parent / "eksempel-vgs", folder)
    contacts = folder / "contacts.yaml"
    text = contacts.read_text(encoding="utf-8")
    assert text.count("roles: [rektor]") == 1
    contacts.write_text(text.replace("roles: [rektor]", "roles: []"), encoding="utf-8")
    with app.app_context():
        plan_service.import_folder(folder)
        plan = plan_service.revision_cache.current().plan
        first = plan.call_chain()[0]
        urgent = plan.urgent_procedures()[0].id
    assert first.role == "Avdelingsleiar studiespesialisering"
    home = client.get("/akutt").get_data(as_text=True)
    assert "Akutt: ring avdelingsleiar studiespesialisering</h1>" in home
    assert "Svarar ikkje avdelingsleiar studiespesialisering, ring nestemann på lista." in home
    assert "rektor" not in home.lower().replace("rektor og", "")
    procedure = client.get(f"/akutt/{urgent}").get_data(as_text=True)
    assert "Ring avdelingsleiar studiespesialisering først." in procedure
    english = client.get("/en/akutt").get_data(as_text=True)
    assert "Urgent: call Avdelingsleiar studiespesialisering</h1>" in english
    manifest = client.get("/manifest.webmanifest").get_json()
    shortcut = manifest["shortcuts"][0]["description"]
    assert shortcut == "Ring leiinga: avdelingsleiar studiespesialisering først"


def test_a_title_that_starts_with_an_acronym_keeps_its_capitals():
    assert title_in_sentence("Rektor") == "rektor"
    assert title_in_sentence("NAV-rettleiar") == "NAV-rettleiar"
    assert title_in_sentence("") == ""
