"""Emergency mode ("Akutt") for alternatives 3 and 4, through the test client."""

from __future__ import annotations

import pytest

from backend.routes.common import public_page_urls
from backend.services import phones
from backend.services.plan import revision_cache
from tests.html_parse import find, parse

EMERGENCY_PAGES = ["/akutt", "/akutt/alternativ-3", "/akutt/alternativ-4"]


@pytest.fixture
def plan(app):
    with app.app_context():
        return revision_cache.current().plan


def tel_links(page):
    """Return the tel: links inside <main>, in page order."""
    return [a for a in find(page, "a") if (a.attrs.get("href") or "").startswith("tel:") and a.inside("main")]


def test_emergency_pages_are_in_the_public_list(app, plan):
    """The offline cache and the tests include /akutt and the screens of 3 and 4, not the others."""
    with app.test_request_context():
        urls = public_page_urls(plan)
    for url in EMERGENCY_PAGES:
        assert url in urls
    assert not [u for u in urls if u.startswith("/akutt/") and u not in EMERGENCY_PAGES]


@pytest.mark.parametrize("url", EMERGENCY_PAGES)
def test_call_chain_comes_first_rektor_on_top(client, plan, url):
    """The first numbers on the screen are the plan's call chain: rektor, assisterende rektor, the leaders."""
    page = parse(client.get(url).data)
    chain = plan.call_chain()
    assert [c.role for c in chain[:2]] == ["Rektor", "Assisterende rektor"]
    links = tel_links(page)
    assert [a.attrs["href"] for a in links[: len(chain)]] == [f"tel:{c.phone}" for c in chain]
    first = links[0]
    assert first.has_class("call-big")
    rektor = chain[0]
    assert rektor.name in first.text and "Rektor" in first.text and phones.display(rektor.phone) in first.text
    for link in links:
        # Named by what it shows, after a hidden «Ring » (WCAG 2.5.3 Label in Name): no aria-label.
        assert "aria-label" not in link.attrs
        assert " ".join(link.text.split()).startswith("Ring ")


@pytest.mark.parametrize("url", EMERGENCY_PAGES)
def test_national_emergency_numbers_are_marked_as_such(client, url):
    """112, 113 and 110 sit under «Akutt fare for liv og helse», marked as national numbers."""
    page = parse(client.get(url).data)
    section = next(s for s in find(page, "section") if s.has_class("national"))
    assert "Akutt fare for liv og helse" in section.text
    assert "Nasjonale nødnumre gjelder alltid" in section.text
    national = [a for a in tel_links(page) if a.inside("section", class_="national")]
    assert [a.attrs["href"] for a in national] == ["tel:112", "tel:113", "tel:110"]
    assert "Politi" in national[0].text and "Ambulanse" in national[1].text and "Brann" in national[2].text


def test_police_non_emergency_number_only_in_alternative_4(client):
    """Alternative 4 has the leadership's police step with tel:02800, labelled as not an emergency number."""
    four = parse(client.get("/akutt/alternativ-4").data)
    police = [a for a in tel_links(four) if a.attrs["href"] == "tel:02800"]
    assert len(police) == 1
    assert "ikke nødnummer" in police[0].text.lower()
    assert "aria-label" not in police[0].attrs  # its name is what it shows (WCAG 2.5.3)
    assert police[0].inside("section", class_="police")
    section = next(s for s in find(four, "section") if s.has_class("police"))
    assert "Ledelsen kontakter politiet" in section.text
    assert "tel:02800" not in {
        a.attrs["href"] for a in tel_links(parse(client.get("/akutt/alternativ-3").data))
    }


@pytest.mark.parametrize("alternative_id", ["alternativ-3", "alternativ-4"])
def test_emergency_screen_has_the_plan_steps_to_tick_and_the_meeting(client, plan, alternative_id):
    """Below the numbers: the plan's steps in order (tickable), who calls the meeting and its agenda."""
    alternative = plan.procedure(alternative_id)
    page = parse(client.get(f"/akutt/{alternative_id}").data)
    assert find(page, "div", data_flow=alternative_id)
    ids = [e.attrs["data-step-id"] for e in find(page, "li", data_step_id=True)]
    assert ids == [s.id for s in alternative.steps] + ["mote-innkalt"]
    for step in alternative.steps:
        assert find(page, "input", id=f"hake-{step.id}", data_tick=True)
    meeting = find(page, "section", data_meeting=True)[0]
    assert "Kaller inn: Kontaktlærer" in meeting.text
    assert [li.text for li in find(page, "li", data_agenda_item=True)] == list(alternative.meeting.agenda)
    assert find(page, "section", data_flow_tools=True)
    assert "/static/js/flow.js" in [s.attrs.get("src") for s in find(page, "script")]


def test_emergency_steps_come_after_the_numbers(client):
    """The steps never push the call buttons down: every tel: link of the chain is before the first step."""
    page = parse(client.get("/akutt/alternativ-3").data)
    order = [
        ("tel" if (e.attrs.get("href") or "").startswith("tel:") else "step")
        for e in page
        if (e.tag == "a" and (e.attrs.get("href") or "").startswith("tel:")) or "data-step-id" in e.attrs
    ]
    assert order.index("step") > max(i for i, kind in enumerate(order) if kind == "tel")


@pytest.mark.parametrize("alternative_id", ["alternativ-1", "alternativ-2", "alternativ-2a", "finnes-ikke"])
def test_only_alternatives_3_and_4_have_an_emergency_screen(client, alternative_id):
    """Alternatives that are not emergencies, and unknown ones, have no /akutt page."""
    assert client.get(f"/akutt/{alternative_id}").status_code == 404


def test_home_offers_both_emergencies_and_every_page_the_akutt_control(client, app, plan):
    """Home has «Haster det?» tiles to 3 and 4; every public page has the Akutt link in its header."""
    home = parse(client.get("/").data)
    hrefs = [a.attrs.get("href") for a in find(home, "a") if a.inside("section", class_="urgent")]
    assert hrefs == ["/akutt/alternativ-3", "/akutt/alternativ-4"]
    with app.test_request_context():
        urls = public_page_urls(plan)
    for url in urls:
        page = parse(client.get(url).data)
        akutt = [a for a in find(page, "a", href="/akutt") if a.inside("header")]
        assert len(akutt) == 1 and akutt[0].text == "Akutt", url


def test_emergency_screen_is_the_same_for_everyone_and_sends_nothing(client):
    """The screen holds no form and no per-user data, so it can be cached and used offline."""
    first = client.get("/akutt/alternativ-4")
    assert find(parse(first.data), "form") == []
    client.set_cookie("session", "someone-else")
    assert client.get("/akutt/alternativ-4").data == first.data
