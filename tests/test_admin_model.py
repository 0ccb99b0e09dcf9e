"""Admin editing of the general plan model: roles, procedures and steps, the guided questions, checklists,
service numbers, the annual wheel, sections and the school's language; all through the draft and «Publiser».

Forms are read back from the page and sent as a browser sends them (tests.support.form_values), so a
field the page forgets to fill is caught too.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from backend.services import draft as drafts
from tests.support import admin_client, csrf_token


@pytest.fixture
def admin(app):
    """A client logged in as an admin."""
    return admin_client(app)


class _Forms(HTMLParser):
    """Collect each POST form's fields with the values a browser would send (no button pressed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {"_action": a.get("action")}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self._form.setdefault(name, []).append(a.get("value", "y"))
            else:
                self._form[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
                self._form.setdefault(self._select, value)
            if "selected" in a:
                self._form[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self._form[name] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._form[self._textarea] = self._form[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_values(html: str, field: str) -> dict:
    """Return the values of the page's POST form that has `field`, as the browser would send them."""
    parser = _Forms()
    parser.feed(html)
    found = [f for f in parser.forms if field in f]
    assert found, f"no form with {field!r} on the page"
    values = dict(found[0])
    values.pop("_action")
    return {k: (v if not isinstance(v, list) or len(v) != 1 else v[0]) for k, v in values.items()}


def open_form(admin, url: str, field: str) -> dict:
    """GET a form page and return its form's values."""
    response = admin.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return form_values(response.get_data(as_text=True), field)


def draft(app) -> dict:
    with app.app_context():
        return drafts.current().data


def publish(admin, note: str = "Test") -> None:
    html = admin.get("/admin/utkast").get_data(as_text=True)
    version = html.split('id="version" name="version" type="hidden" value="')[1].split('"')[0]
    response = admin.post(
        "/admin/publiser", data={"csrf_token": csrf_token(html), "note": note, "version": version}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def confirm_remove(admin, url: str):
    """Open a «Fjern …?» page (it must ask first, changing nothing) and press its button."""
    page = admin.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ja, fjern" in html, "a removal must ask first"
    return admin.post(url, data=form_values(html, "base"))


# --- Roles ----------------------------------------------------------------------------------------


def test_roles_are_added_renamed_and_published(app, admin, client):
    """A new role and a renamed one reach the draft, then the public steps after «Publiser»."""
    form = open_form(admin, "/admin/roller/ny", "label")
    added = admin.post("/admin/roller/ny", data={**form, "label": "Helsesykepleier"})
    assert added.status_code == 302
    assert any(r["label"] == "Helsesykepleier" for r in draft(app)["roles"])
    form = open_form(admin, "/admin/roller/kontaktlaerer", "label")
    assert (
        admin.post("/admin/roller/kontaktlaerer", data={**form, "label": "Kontaktlærer/mentor"}).status_code
        == 302
    )
    assert "Kontaktlærer/mentor" not in client.get("/hva-gjor-vi/alternativ-2a").get_data(as_text=True)
    publish(admin, "Roller")
    assert "Kontaktlærer/mentor" in client.get("/hva-gjor-vi/alternativ-2a").get_data(as_text=True)


def test_a_role_in_use_is_not_removed_and_the_page_says_where(app, admin):
    """«Kontaktlærer» does steps: the removal page names them and the role stays."""
    page = admin.get("/admin/roller/kontaktlaerer/slett").get_data(as_text=True)
    assert "kan ikke fjernes ennå" in page and "Alternativ 2A, steget" in page
    assert "Ja, fjern" not in page
    forced = admin.post(
        "/admin/roller/kontaktlaerer/slett", data={"csrf_token": csrf_token(page), "base": ""}
    )
    assert forced.status_code == 409 and "brukes fortsatt" in forced.get_data(as_text=True)
    assert any(r["id"] == "kontaktlaerer" for r in draft(app)["roles"])


def test_an_unused_role_is_removed_after_asking(app, admin):
    form = open_form(admin, "/admin/roller/ny", "label")
    admin.post("/admin/roller/ny", data={**form, "label": "Vaktmester"})
    assert any(r["id"] == "vaktmester" for r in draft(app)["roles"])
    assert confirm_remove(admin, "/admin/roller/vaktmester/slett").status_code == 302
    assert not any(r["id"] == "vaktmester" for r in draft(app)["roles"])


def test_an_empty_role_name_is_refused_in_norwegian_and_nothing_is_saved(app, admin):
    form = open_form(admin, "/admin/roller/kontaktlaerer", "label")
    response = admin.post("/admin/roller/kontaktlaerer", data={**form, "label": "  ", "call_chain": "y"})
    assert response.status_code == 422
    assert "Dette feltet må fylles ut." in response.get_data(as_text=True)
    with app.app_context():
        assert drafts.current().changed is False


# --- Procedures and steps -------------------------------------------------------------------------


def test_a_new_procedure_with_its_answer_and_a_step_is_published(app, admin, client):
    """Add «Alternativ 5» reached from a question, give it a step, publish: the public pages show it."""
    form = open_form(admin, "/admin/alternativer/ny", "answer_label")
    response = admin.post(
        "/admin/alternativer/ny",
        data={
            **form,
            "label": "Alternativ 5",
            "title": "Eleven har med seg alkohol på tur",
            "short": "Alkohol på tur",
            "question": "salg",
            "answer_label": "Det gjelder alkohol på tur",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/admin/alternativer/alternativ-5")
    step = open_form(admin, "/admin/alternativer/alternativ-5/steg/ny", "text")
    saved = admin.post(
        "/admin/alternativer/alternativ-5/steg/ny",
        data={**step, "text": "Ring foresatte og avtal henting.", "role": "kontaktlaerer"},
    )
    assert saved.status_code == 302
    data = draft(app)
    salg = next(q for q in data["guide"]["questions"] if q["id"] == "salg")
    assert salg["answers"][-1] == {
        "label": "Det gjelder alkohol på tur",
        "next": None,
        "procedure": "alternativ-5",
    }
    publish(admin, "Nytt alternativ")
    page = client.get("/hva-gjor-vi/alternativ-5").get_data(as_text=True)
    assert "Eleven har med seg alkohol på tur" in page and "Ring foresatte og avtal henting." in page
    question = client.get("/hva-gjor-vi/sporsmal/salg").get_data(as_text=True)
    assert "Det gjelder alkohol på tur" in question and "/hva-gjor-vi/alternativ-5" in question


def test_a_new_procedure_needs_a_way_in(app, admin):
    """Without an answer that leads to it (or a parent), nothing is saved and the reason is in words."""
    form = open_form(admin, "/admin/alternativer/ny", "answer_label")
    response = admin.post(
        "/admin/alternativer/ny",
        data={**form, "label": "Alternativ 5", "title": "T", "short": "S", "question": "", "parent": ""},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Velg et spørsmål og skriv svaret som leder hit" in html
    assert 'value="Alternativ 5"' in html  # what was typed stays
    assert draft(app)["procedure_list"]["procedures"][-1]["id"] != "alternativ-5"


def test_a_procedure_edit_changes_label_short_and_urgent(app, admin):
    form = open_form(admin, "/admin/alternativer/alternativ-1", "short")
    assert form["label"] == "Alternativ 1"
    response = admin.post(
        "/admin/alternativer/alternativ-1", data={**form, "short": "Eleven ber selv om hjelp"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    procedure = next(p for p in draft(app)["procedure_list"]["procedures"] if p["id"] == "alternativ-1")
    assert procedure["short"] == "Eleven ber selv om hjelp" and procedure["label"] == "Alternativ 1"


def test_a_procedure_the_questions_lead_to_is_not_removed(app, admin):
    """Alternativ 1 is an answer of a question: the page says which, and nothing goes."""
    page = admin.get("/admin/alternativer/alternativ-1/slett").get_data(as_text=True)
    assert "kan ikke fjernes ennå" in page and "Ja, eleven ber om hjelp" in page
    assert "Ja, fjern" not in page
    parent = admin.get("/admin/alternativer/alternativ-2/slett").get_data(as_text=True)
    assert "Alternativ 2A hører under dette alternativet" in parent


def test_a_procedure_is_removed_after_the_page_says_what_goes(app, admin):
    form = open_form(admin, "/admin/alternativer/ny", "answer_label")
    admin.post(
        "/admin/alternativer/ny",
        data={
            **form,
            "label": "Alternativ 9",
            "title": "T",
            "short": "S",
            "question": "",
            "parent": "alternativ-2",
        },
    )
    step = open_form(admin, "/admin/alternativer/alternativ-9/steg/ny", "text")
    admin.post(
        "/admin/alternativer/alternativ-9/steg/ny", data={**step, "text": "Et steg som går", "role": "deg"}
    )
    page = admin.get("/admin/alternativer/alternativ-9/slett").get_data(as_text=True)
    assert "Steg: Et steg som går" in page
    assert confirm_remove(admin, "/admin/alternativer/alternativ-9/slett").status_code == 302
    assert all(p["id"] != "alternativ-9" for p in draft(app)["procedure_list"]["procedures"])


def test_a_step_is_removed_only_from_its_confirmation_page(app, admin):
    steps = lambda: [s["id"] for s in draft(app)["procedure_list"]["procedures"][1]["steps"]]  # noqa: E731
    before = steps()
    page = admin.get(f"/admin/alternativer/alternativ-2/steg/{before[0]}/slett")
    assert page.status_code == 200 and steps() == before  # asking changes nothing
    assert (
        confirm_remove(admin, f"/admin/alternativer/alternativ-2/steg/{before[0]}/slett").status_code == 302
    )
    assert steps() == before[1:]


# --- The guided questions -------------------------------------------------------------------------


def test_a_question_edit_is_saved_and_published(app, admin, client):
    overview = admin.get("/admin/sporsmal")
    assert overview.status_code == 200
    text = overview.get_data(as_text=True)
    assert "Ja, salg eller oppbevaring → Alternativ 4" in text and "Nei → Spørsmål:" in text
    start = admin.post("/admin/sporsmal", data=form_values(text, "start"))
    assert start.status_code == 302  # the same start again is no error
    form = open_form(admin, "/admin/sporsmal/salg", "text")
    assert form["answers-0-target"] == "alternativ:alternativ-4"
    response = admin.post("/admin/sporsmal/salg", data={**form, "text": "Gjelder det salg av rusmidler?"})
    assert response.status_code == 302, response.get_data(as_text=True)
    publish(admin, "Spørsmål")
    assert "Gjelder det salg av rusmidler?" in client.get("/hva-gjor-vi/sporsmal/salg").get_data(as_text=True)


def test_a_circle_of_questions_is_refused_in_words_and_the_form_keeps_what_was_typed(app, admin):
    form = open_form(admin, "/admin/sporsmal/samtale", "text")
    response = admin.post(
        "/admin/sporsmal/samtale",
        data={**form, "text": "Nytt spørsmål her", "answers-0-target": "sporsmal:ruset"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "går i ring" in html and "Spørsmålene er ikke lagret" in html
    assert 'value="Nytt spørsmål her"' in html
    assert draft(app)["guide"] == admin_plan_guide(app)


def test_an_unreachable_procedure_is_refused_in_words(app, admin):
    form = open_form(admin, "/admin/sporsmal/salg", "text")
    response = admin.post(
        "/admin/sporsmal/salg", data={**form, "answers-0-target": "alternativ:alternativ-3"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Ingen vei gjennom spørsmålene leder til alternativet «Alternativ 4: " in html
    assert "(alternativ-4); hvert alternativ må kunne nås" in html
    assert draft(app)["guide"] == admin_plan_guide(app)


def admin_plan_guide(app) -> dict:
    """The published guide (the draft must still equal it after a refused edit)."""
    with app.app_context():
        return drafts.revision(drafts.current().latest_revision_id).data["guide"]


def test_answer_rows_move_and_are_added_without_saving(app, admin):
    form = open_form(admin, "/admin/sporsmal/ruset", "text")
    moved = admin.post("/admin/sporsmal/ruset", data={**form, "handling": "ned-0"})
    assert moved.status_code == 200
    again = form_values(moved.get_data(as_text=True), "text")
    assert again["answers-0-label"] == "Nei" and again["answers-1-label"] == "Ja, eleven er ruset nå"
    assert draft(app)["guide"] == admin_plan_guide(app)  # nothing saved yet
    # Saving that order puts a calm answer before an urgent one: refused with the rule in words.
    refused = admin.post("/admin/sporsmal/ruset", data=again)
    assert refused.status_code == 422 and "må stå før svaret" in refused.get_data(as_text=True)
    added = admin.post("/admin/sporsmal/ruset", data={**form, "handling": "nytt-svar"})
    assert "answers-2-label" in form_values(added.get_data(as_text=True), "text")


def test_a_question_is_inserted_after_an_answer_and_removed_again(app, admin):
    form = open_form(admin, "/admin/sporsmal/ny", "via")
    response = admin.post(
        "/admin/sporsmal/ny",
        data={
            **form,
            "via": "salg:1",  # «Nei» on the sale question now leads to the new question
            "text": "Er det første gang?",
            "answers-0-label": "Ja",
            "answers-0-target": "sporsmal:hjelp",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    guide = draft(app)["guide"]
    new = next(q for q in guide["questions"] if q["text"] == "Er det første gang?")
    salg = next(q for q in guide["questions"] if q["id"] == "salg")
    assert salg["answers"][1]["next"] == new["id"]
    blocked = admin.get(f"/admin/sporsmal/{new['id']}/slett").get_data(as_text=True)
    assert "leder hit" in blocked and "Ja, fjern" not in blocked


# --- Checklists, service numbers, the annual wheel, sections, settings --------------------------------


def test_a_second_checklist_is_added_published_and_removed(app, admin, client):
    form = open_form(admin, "/admin/sjekklister/ny", "signs")
    response = admin.post(
        "/admin/sjekklister/ny",
        data={
            **form,
            "title": "Tegn på spill",
            "quote": "Spill kan også bli et problem.",
            "signs": "Lite søvn\nLåner penger",
        },
    )
    assert response.status_code == 302
    assert [c["title"] for c in draft(app)["checklist_list"]["checklists"]][-1] == "Tegn på spill"
    publish(admin, "Ny sjekkliste")
    with app.app_context():
        assert drafts.current().plan.checklists()[-1].signs == ["Lite søvn", "Låner penger"]
    assert confirm_remove(admin, "/admin/sjekklister/tegn-pa-spill/slett").status_code == 302
    only = admin.get(f"/admin/sjekklister/{draft(app)['checklist_list']['checklists'][0]['id']}/slett")
    assert "Planen må ha minst én sjekkliste." in only.get_data(as_text=True)


def test_service_numbers_are_added_edited_and_removed(app, admin, client):
    form = open_form(admin, "/admin/numre/ny", "phone")
    bad = admin.post(
        "/admin/numre/ny", data={**form, "label": "Legevakten", "description": "Skade", "phone": "55"}
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Skriv et gyldig telefonnummer" in html and 'value="Legevakten"' in html
    good = admin.post(
        "/admin/numre/ny",
        data={**form, "label": "Legevakten", "description": "Ved skade eller sykdom", "phone": "69 30 30 30"},
    )
    assert good.status_code == 302
    assert [s["id"] for s in draft(app)["contacts"]["services"]][-1] == "legevakten"
    publish(admin, "Legevakt")
    assert "Legevakten" in client.get("/kontakter").get_data(as_text=True)
    used = admin.get("/admin/numre/politi/slett").get_data(as_text=True)
    assert "Nummeret vises med Alternativ 4" in used and "Ja, fjern" not in used
    assert confirm_remove(admin, "/admin/numre/legevakten/slett").status_code == 302
    assert [s["id"] for s in draft(app)["contacts"]["services"]] == ["politi"]


def test_an_annual_wheel_is_made_published_and_removed(app, admin, client):
    assert client.get("/arshjul").status_code == 404
    form = open_form(admin, "/admin/arshjul/aktivitet/ny", "text")
    without_title = admin.post(
        "/admin/arshjul/aktivitet/ny", data={**form, "month": "9", "text": "Foreldremøte"}
    )
    assert (
        without_title.status_code == 422
        and "Skriv en overskrift for årshjulet." in without_title.get_data(as_text=True)
    )
    made = admin.post(
        "/admin/arshjul/aktivitet/ny",
        data={
            **form,
            "wheel_title": "Årshjul",
            "month": "9",
            "text": "Foreldremøte om rus",
            "responsible": "ledelse",
        },
    )
    assert made.status_code == 302
    admin.post(
        "/admin/arshjul/aktivitet/ny",
        data={**form, "month": "8", "text": "Planen gjennomgås med alle ansatte", "responsible": "ledelse"},
    )
    assert [m["month"] for m in draft(app)["annual_wheel"]["months"]] == [8, 9]
    publish(admin, "Årshjul")
    page = client.get("/arshjul")
    assert page.status_code == 200 and "Foreldremøte om rus" in page.get_data(as_text=True)
    last = admin.get("/admin/arshjul/9/0/slett").get_data(as_text=True)
    assert "Foreldremøte om rus" in last
    assert confirm_remove(admin, "/admin/arshjul/9/0/slett").status_code == 302
    assert [m["month"] for m in draft(app)["annual_wheel"]["months"]] == [8]
    assert confirm_remove(admin, "/admin/arshjul/slett").status_code == 302
    assert draft(app)["annual_wheel"] is None


def test_sections_are_added_and_removed_but_not_the_statements(app, admin, client):
    form = open_form(admin, "/admin/tekster/ny", "slug")
    taken = admin.post("/admin/tekster/ny", data={**form, "slug": "lovverk", "title": "T", "body": "Tekst."})
    assert taken.status_code == 422 and "er allerede i bruk" in taken.get_data(as_text=True)
    bad = admin.post(
        "/admin/tekster/ny", data={**form, "slug": "Våre Rutiner", "title": "T", "body": "Tekst."}
    )
    assert bad.status_code == 422 and "små bokstaver" in bad.get_data(as_text=True)
    added = admin.post(
        "/admin/tekster/ny",
        data={**form, "slug": "rutiner", "title": "Våre rutiner", "body": "Slik gjør vi det."},
    )
    assert added.status_code == 302
    publish(admin, "Ny tekst")
    assert "Slik gjør vi det." in client.get("/om-planen/rutiner").get_data(as_text=True)
    required = admin.get("/admin/tekster/personvern/slett").get_data(as_text=True)
    assert "påkrevd" in required and "Ja, fjern" not in required
    assert confirm_remove(admin, "/admin/tekster/rutiner/slett").status_code == 302
    assert all(s["slug"] != "rutiner" for s in draft(app)["sections"])


def test_the_school_language_is_set_in_the_settings(app, admin, client):
    form = open_form(admin, "/admin/innstillinger", "archive_name")
    assert form["language"] == "nb" and form["archive_name"] == "Elements"
    response = admin.post("/admin/innstillinger", data={**form, "language": "nn"})
    assert response.status_code == 302
    publish(admin, "Nynorsk")
    assert '<html lang="nn"' in client.get("/").get_data(as_text=True)
    wrong = admin.post("/admin/innstillinger", data={**form, "language": "sv"})
    assert wrong.status_code == 422


def test_a_row_button_with_a_strange_value_only_shows_the_form_again(admin):
    """A forged «handling» (a superscript digit, a huge number) is no 500: the form comes back unsaved."""
    form = open_form(admin, "/admin/sporsmal/salg", "text")
    for action in ("opp-²", "ned-" + "9" * 5000, "fjern-", "ukjent"):
        assert admin.post("/admin/sporsmal/salg", data={**form, "handling": action}).status_code == 200


# --- Section page titles and English versions; moving roles and checklists; editing an activity -----


def test_a_section_page_title_and_english_body_are_saved_and_published(app, admin, client):
    """The page title names the page under «Om planen»; the English body is what /en/ shows."""
    form = open_form(admin, "/admin/tekster/innledning", "body_en")
    assert form["page_title"] == "Innledning og mål" and not form["body_en"].strip()
    response = admin.post(
        "/admin/tekster/innledning",
        data={**form, "page_title": "Om planen vår", "body_en": "This plan is about **drugs**."},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    section = next(s for s in draft(app)["sections"] if s["slug"] == "innledning")
    assert section["page_title"] == "Om planen vår"
    assert section["body_en"] == "This plan is about **drugs**."
    assert "This plan is about" not in client.get("/en/om-planen/innledning").get_data(as_text=True)
    publish(admin, "Engelsk innledning")
    assert "Om planen vår" in client.get("/om-planen").get_data(as_text=True)
    own = client.get("/om-planen/innledning").get_data(as_text=True)
    assert "Om planen vår" in own and "This plan is about" not in own
    english = client.get("/en/om-planen/innledning").get_data(as_text=True)
    assert "This plan is about <strong>drugs</strong>." in english
    # Emptied again: no English version (English visitors see the school's text), the title names the page.
    form = open_form(admin, "/admin/tekster/innledning", "body_en")
    cleared = admin.post("/admin/tekster/innledning", data={**form, "page_title": "", "body_en": "  "})
    assert cleared.status_code == 302
    section = next(s for s in draft(app)["sections"] if s["slug"] == "innledning")
    assert section["page_title"] is None and section["body_en"] is None


def test_the_student_page_gets_an_english_body_but_no_page_title_field(app, admin, client):
    form = open_form(admin, "/admin/tekster/finn-hjelp", "body_en")
    assert "page_title" not in form  # its page has its own heading
    response = admin.post("/admin/tekster/finn-hjelp", data={**form, "body_en": "Talk to someone you trust."})
    assert response.status_code == 302, response.get_data(as_text=True)
    publish(admin, "Engelsk elevside")
    assert "Talk to someone you trust." in client.get("/en/finn-hjelp").get_data(as_text=True)


def test_a_stale_section_form_is_refused_and_keeps_what_was_typed(app, admin):
    first = open_form(admin, "/admin/tekster/innledning", "body_en")
    second = dict(first)
    assert admin.post("/admin/tekster/innledning", data={**first, "title": "Innledningen"}).status_code == 302
    clash = admin.post(
        "/admin/tekster/innledning", data={**second, "body_en": "My English text that must not be lost"}
    )
    assert clash.status_code == 409
    html = clash.get_data(as_text=True)
    assert "Noen andre har endret" in html and "My English text that must not be lost" in html
    section = next(s for s in draft(app)["sections"] if s["slug"] == "innledning")
    assert section["title"] == "Innledningen" and section["body_en"] is None


def test_a_bad_page_title_or_english_body_is_refused_beside_the_field(app, admin):
    form = open_form(admin, "/admin/tekster/innledning", "body_en")
    too_long = admin.post(
        "/admin/tekster/innledning", data={**form, "page_title": "Ny tittel", "body_en": "x" * 50001}
    )
    assert too_long.status_code == 422
    html = too_long.get_data(as_text=True)
    assert 'id="body_en-error"' in html and "Høyst 50000 tegn." in html and 'value="Ny tittel"' in html
    two_lines = admin.post("/admin/tekster/innledning", data={**form, "page_title": "En\nto"})
    assert two_lines.status_code == 422 and 'id="page_title-error"' in two_lines.get_data(as_text=True)
    with app.app_context():
        assert drafts.current().changed is False


def role_ids(app) -> list[str]:
    return [r["id"] for r in draft(app)["roles"]]


def test_roles_move_up_and_down_in_the_draft_and_the_published_plan(app, admin):
    """Roles are listed (and offered for a step) in the order the admin gives them."""
    before = role_ids(app)
    page = admin.get("/admin/roller").get_data(as_text=True)
    assert 'aria-label="Flytt rollen Rektor/ledelse opp"' in page
    moved = admin.post("/admin/roller/ledelse/flytt", data={"csrf_token": csrf_token(page), "retning": "opp"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/admin/roller#rolle-ledelse")
    at = before.index("ledelse")
    expected = [*before[: at - 1], "ledelse", before[at - 1], *before[at + 1 :]]
    assert role_ids(app) == expected
    step = admin.get("/admin/alternativer/alternativ-1/steg/ny").get_data(as_text=True)
    assert step.index('value="ledelse"') < step.index(f'value="{before[at - 1]}"')
    assert "Roller: rekkefølgen er endret" in admin.get("/admin/utkast").get_data(as_text=True)
    publish(admin, "Rollene i ny rekkefølge")
    with app.app_context():
        assert [r.id for r in drafts.current().plan.roles] == expected
    admin.post("/admin/roller/ledelse/flytt", data={"csrf_token": csrf_token(page), "retning": "ned"})
    assert role_ids(app) == before
    last = before[-1]
    admin.post(f"/admin/roller/{last}/flytt", data={"csrf_token": csrf_token(page), "retning": "ned"})
    assert role_ids(app) == before  # the last stays last
    odd = admin.post(
        "/admin/roller/ledelse/flytt", data={"csrf_token": csrf_token(page), "retning": "sidelengs"}
    )
    assert odd.status_code == 302 and role_ids(app) == before
    assert "Ukjent retning." in admin.get("/admin/roller").get_data(as_text=True)
    assert admin.post("/admin/roller/ledelse/flytt", data={"retning": "opp"}).status_code == 400  # CSRF
    assert role_ids(app) == before


def test_checklists_move_and_the_public_page_shows_the_new_order(app, admin, client):
    form = open_form(admin, "/admin/sjekklister/ny", "signs")
    admin.post(
        "/admin/sjekklister/ny",
        data={
            **form,
            "title": "Tegn på spill",
            "quote": "Spill kan også bli et problem.",
            "signs": "Lite søvn",
        },
    )
    publish(admin, "Ny sjekkliste")
    first = draft(app)["checklist_list"]["checklists"][0]["id"]
    page = admin.get("/admin/sjekklister").get_data(as_text=True)
    assert 'aria-label="Flytt sjekklisten Tegn på spill opp"' in page
    moved = admin.post(
        "/admin/sjekklister/tegn-pa-spill/flytt", data={"csrf_token": csrf_token(page), "retning": "opp"}
    )
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/admin/sjekklister#tegn-pa-spill")
    assert [c["id"] for c in draft(app)["checklist_list"]["checklists"]] == ["tegn-pa-spill", first]
    assert "Sjekklister: rekkefølgen er endret" in admin.get("/admin/utkast").get_data(as_text=True)
    publish(admin, "Sjekklister i ny rekkefølge")
    public = client.get("/sjekkliste").get_data(as_text=True)
    assert public.index("Tegn på spill") < public.index(
        draft(app)["checklist_list"]["checklists"][1]["title"]
    )


def make_wheel(admin) -> None:
    form = open_form(admin, "/admin/arshjul/aktivitet/ny", "text")
    for month, text in (("9", "Foreldremøte om rus"), ("9", "Temadag"), ("10", "Elevrådet drøfter planen")):
        response = admin.post(
            "/admin/arshjul/aktivitet/ny",
            data={**form, "wheel_title": "Årshjul", "month": month, "text": text, "responsible": "ledelse"},
        )
        assert response.status_code == 302


def months(app) -> dict[int, list[tuple[str, str]]]:
    wheel = draft(app)["annual_wheel"]
    return {m["month"]: [(a["text"], a["responsible"]) for a in m["activities"]] for m in wheel["months"]}


def test_an_activity_is_edited_in_place_and_published(app, admin, client):
    make_wheel(admin)
    wheel = admin.get("/admin/arshjul").get_data(as_text=True)
    assert 'href="/admin/arshjul/9/0"' in wheel
    form = open_form(admin, "/admin/arshjul/9/0", "text")
    assert form["month"] == "9" and form["text"] == "Foreldremøte om rus" and form["responsible"] == "ledelse"
    response = admin.post(
        "/admin/arshjul/9/0",
        data={**form, "text": "Foreldremøte om rus og spill", "responsible": "kontaktlaerer"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/arshjul#maned-9")
    assert months(app)[9] == [("Foreldremøte om rus og spill", "kontaktlaerer"), ("Temadag", "ledelse")]
    publish(admin, "Årshjul endret")
    page = client.get("/arshjul").get_data(as_text=True)
    assert "Foreldremøte om rus og spill" in page and "Kontaktlærer" in page


def test_an_activity_moved_to_another_month_goes_last_there(app, admin, client):
    make_wheel(admin)
    form = open_form(admin, "/admin/arshjul/9/1", "text")
    moved = admin.post("/admin/arshjul/9/1", data={**form, "month": "10"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("#maned-10")
    assert months(app) == {
        9: [("Foreldremøte om rus", "ledelse")],
        10: [("Elevrådet drøfter planen", "ledelse"), ("Temadag", "ledelse")],
    }
    # The last activity of a month moved to a new month: the empty month goes, the new one comes in
    # school-year order (August first).
    form = open_form(admin, "/admin/arshjul/9/0", "text")
    assert admin.post("/admin/arshjul/9/0", data={**form, "month": "8"}).status_code == 302
    assert list(months(app)) == [8, 10]
    publish(admin, "Årshjul flyttet")
    assert "Temadag" in client.get("/arshjul").get_data(as_text=True)


def test_a_stale_activity_form_is_refused_and_keeps_what_was_typed(app, admin):
    make_wheel(admin)
    first = open_form(admin, "/admin/arshjul/9/0", "text")
    second = open_form(admin, "/admin/arshjul/9/0", "text")
    assert admin.post("/admin/arshjul/9/0", data={**first, "text": "Foreldremøte"}).status_code == 302
    clash = admin.post("/admin/arshjul/9/0", data={**second, "text": "Mitt eget forslag"})
    assert clash.status_code == 409
    html = clash.get_data(as_text=True)
    assert "Noen andre har endret" in html and 'value="Mitt eget forslag"' in html
    assert months(app)[9][0] == ("Foreldremøte", "ledelse")
    # Removed meanwhile: a conflict too, never a new activity in its place.
    assert confirm_remove(admin, "/admin/arshjul/10/0/slett").status_code == 302
    gone = open_form(admin, "/admin/arshjul/9/1", "text")
    gone_base = {**gone}
    assert confirm_remove(admin, "/admin/arshjul/9/1/slett").status_code == 302
    refused = admin.post("/admin/arshjul/9/1", data={**gone_base, "text": "Temadag om spill"})
    assert refused.status_code == 409 and 'value="Temadag om spill"' in refused.get_data(as_text=True)
    assert months(app) == {9: [("Foreldremøte", "ledelse")]}


def test_a_bad_activity_edit_is_refused_beside_the_field(app, admin):
    make_wheel(admin)
    form = open_form(admin, "/admin/arshjul/9/0", "text")
    empty = admin.post("/admin/arshjul/9/0", data={**form, "text": " ", "month": "10"})
    assert empty.status_code == 422
    assert 'id="text-error"' in empty.get_data(as_text=True)
    unknown = admin.post("/admin/arshjul/9/0", data={**form, "text": "Ny tekst", "responsible": "vaktmester"})
    assert unknown.status_code == 422
    html = unknown.get_data(as_text=True)
    assert 'id="responsible-error"' in html and 'value="Ny tekst"' in html
    assert months(app)[9][0] == ("Foreldremøte om rus", "ledelse")
    stale_link = admin.get("/admin/arshjul/5/0")
    assert stale_link.status_code == 302 and stale_link.headers["Location"].endswith("/admin/arshjul")
