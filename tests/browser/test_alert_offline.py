"""The emergency path without network: signed-in pages answer with the offline page and its numbers, and
«Varsle ledelsen» tapped offline says so, then offers to send when the network is back, once.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import Alert
from backend.services.phones import tel_href
from backend.services.plan import revision_cache
from tests.browser import test_push_loop
from tests.browser.conftest import PHONE, School
from tests.browser.offline_helpers import cache_contents, shown_text, tel_links, wait_until_controlled
from tests.browser.test_push_loop import alert_label, log_in
from tests.push_support import add_places, publish_urgent_elsewhere
from tests.support import make_user

pytestmark = pytest.mark.browser

push_server = test_push_loop.push_server
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 640}}
TEACHER = "laerer@skole.no"
CANNOT_SEND = "<strong>Uten nett kan varselet ikke sendes.</strong> Ring – det virker uten nett."


def plan_numbers(app) -> tuple[list[str], list[str]]:
    """Return the call chain's tel: links and the service numbers' (police …), from the server's plan."""
    with app.test_request_context():
        plan = revision_cache.current().plan
        chain = [tel_href(person.phone) for person in plan.call_chain()]
        return chain, [tel_href(service.phone) for service in plan.services()]


def first_urgent(school: School):
    """The school's first urgent procedure (Halden's alternative 3)."""
    return school.plan.urgent_procedures()[0]


def last_urgent(school: School):
    """The school's last urgent procedure (Halden's alternative 4)."""
    return school.plan.urgent_procedures()[-1]


def alert_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Alert.id))).scalar_one()


def test_signed_in_pages_offline_show_the_offline_page_with_the_numbers(browser, push_server, school: School):
    """Offline after one visit: /varsel/ny, /varsel/1, /konto/logg-inn and /admin show the app's numbers."""
    app, base = push_server.app, push_server.url
    make_user(app, TEACHER, ("staff",), totp=False, name="Lærer Lise")
    add_places(app, "Rom 204")
    chain, services = plan_numbers(app)
    urgent = first_urgent(school)
    context = browser.new_context(**SMALL_PHONE)
    try:
        page = context.new_page()
        log_in(page, base, TEACHER, school)
        page.goto(f"{base}/varsel/ny?alternativ={urgent.id}")
        wait_until_controlled(page)
        page.get_by_label("Rom 204").tap()
        page.get_by_role("button", name=school.t("Send varsel til ledelsen")).tap()
        page.wait_for_url(f"{base}/varsel/1")

        context.set_offline(True)
        for url in ("/varsel/ny", "/varsel/1", "/konto/logg-inn", "/admin"):
            response = page.goto(base + url)
            assert not page.url.startswith("chrome-error://"), url
            assert response is not None and response.ok and response.from_service_worker, url
            expect(page.locator("h1")).to_have_text(school.t("Du er uten nett"))
            links = tel_links(page)
            for number in ("tel:112", "tel:113", "tel:110", *chain, *services):
                assert number in links, (url, number)
            expect(page.locator(f"a[href='{chain[0]}']")).to_be_visible()
        # Nothing signed-in was written to the offline copy.
        for name, urls in cache_contents(page).items():
            for url in urls:
                assert not re.search(r"/(varsel|konto|admin)(/|$)", url.removeprefix(base)), (name, url)
    finally:
        context.close()


def test_alert_tapped_offline_says_so_and_is_offered_once_when_back_online(
    browser, push_server, school: School
):
    """Offline: «Varsle ledelsen» says it cannot be sent, calling works; online: one offer, one alert."""
    app, base = push_server.app, push_server.url
    urgent = first_urgent(school)
    make_user(app, TEACHER, ("staff",), totp=False, name="Lærer Lise")
    add_places(app, "Rom 204")
    context = browser.new_context(**SMALL_PHONE)
    try:
        page = context.new_page()
        log_in(page, base, TEACHER, school)
        page.goto(f"{base}/akutt/{urgent.id}")
        wait_until_controlled(page)

        context.set_offline(True)
        page.get_by_role("link", name=school.t("Varsle ledelsen")).tap()
        message = page.locator("[data-alert-offline]")
        expect(message).to_be_visible()
        expect(message).to_contain_text(shown_text(school.t(CANNOT_SEND)))
        assert page.url == f"{base}/akutt/{urgent.id}"
        # Only the alternative, its title and the time are kept, in this browser.
        stored = page.evaluate("() => JSON.parse(localStorage.getItem('rusplan:alert-queue'))")
        assert sorted(stored) == ["alternative", "at", "label"]
        assert stored["alternative"] == urgent.id
        assert stored["label"] == alert_label(urgent)
        assert alert_count(app) == 0

        context.set_offline(False)
        offer = page.locator("[data-alert-offer]")
        expect(offer).to_be_visible(timeout=20000)
        expect(offer).to_contain_text(school.t("Nettet er tilbake. Varselet til ledelsen er ikke sendt."))
        offer.get_by_role("link", name=school.t("Send varselet nå")).tap()
        page.wait_for_url(f"{base}/varsel/ny?alternativ={urgent.id}")
        expect(page.get_by_label(alert_label(urgent))).to_be_checked()
        expect(page.locator("[data-alert-offer]")).to_be_hidden()
        page.get_by_label("Rom 204").tap()
        page.get_by_role("button", name=school.t("Send varsel til ledelsen")).tap()
        page.wait_for_url(re.compile(re.escape(base) + r"/varsel/\d+$"))
        assert alert_count(app) == 1

        # Offered once: neither a new page nor the network coming back again offers it a second time.
        page.goto(f"{base}/akutt/{urgent.id}")
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        page.wait_for_timeout(500)
        expect(page.locator("[data-alert-offer]")).to_be_hidden()
        assert page.evaluate("() => localStorage.getItem('rusplan:alert-queue')") is None
        assert alert_count(app) == 1
    finally:
        context.close()


def test_an_offer_declined_is_gone_and_sends_nothing(browser, push_server, school: School):
    """«Ikke send» forgets the waiting alert: nothing is sent, nothing is offered again."""
    app, base = push_server.app, push_server.url
    make_user(app, TEACHER, ("staff",), totp=False, name="Lærer Lise")
    context = browser.new_context(**SMALL_PHONE)
    try:
        page = context.new_page()
        log_in(page, base, TEACHER, school)
        page.goto(f"{base}/akutt/{last_urgent(school).id}")
        context.set_offline(True)
        page.get_by_role("link", name=school.t("Varsle ledelsen")).tap()
        expect(page.locator("[data-alert-offline]")).to_be_visible()
        context.set_offline(False)
        offer = page.locator("[data-alert-offer]")
        expect(offer).to_be_visible(timeout=20000)
        offer.get_by_role("button", name=school.t("Ikke send")).tap()
        expect(offer).to_be_hidden()
        page.reload()
        page.wait_for_timeout(300)
        expect(page.locator("[data-alert-offer]")).to_be_hidden()
        assert alert_count(app) == 0
    finally:
        context.close()


def test_a_link_tapped_offline_on_a_signed_in_page_opens_the_offline_page(
    browser, push_server, school: School
):
    """Offline on «Min konto», tapping «Varsler» (an htmx-boosted link) shows the offline page."""
    app, base = push_server.app, push_server.url
    make_user(app, TEACHER, ("staff",), totp=False, name="Lærer Lise")
    chain, _ = plan_numbers(app)
    context = browser.new_context(**SMALL_PHONE)
    try:
        page = context.new_page()
        log_in(page, base, TEACHER, school)
        wait_until_controlled(page)
        context.set_offline(True)
        page.locator("a.tile", has_text=school.t("Varsler")).tap()
        expect(page.locator("h1")).to_have_text(school.t("Du er uten nett"))
        expect(page.locator(f"a[href='{chain[0]}']")).to_be_visible()
    finally:
        context.close()


def test_the_alert_form_opened_offline_says_so_and_offers_to_send_when_back(
    browser, push_server, school: School
):
    """When the offline page stands in for the alert form, it says so and keeps the alert to offer."""
    app, base = push_server.app, push_server.url
    urgent = last_urgent(school)
    make_user(app, TEACHER, ("staff",), totp=False, name="Lærer Lise")
    context = browser.new_context(**SMALL_PHONE)
    try:
        page = context.new_page()
        log_in(page, base, TEACHER, school)
        wait_until_controlled(page)
        context.set_offline(True)
        page.goto(f"{base}/varsel/ny?alternativ={urgent.id}")
        expect(page.locator("h1")).to_have_text(school.t("Du er uten nett"))
        expect(page.locator("[data-alert-offline]")).to_contain_text(shown_text(school.t(CANNOT_SEND)))
        stored = page.evaluate("() => JSON.parse(localStorage.getItem('rusplan:alert-queue'))")
        assert stored["alternative"] == urgent.id
        assert stored["label"] == alert_label(urgent)
        context.set_offline(False)
        offer = page.locator("[data-alert-offer]")
        expect(offer).to_be_visible(timeout=20000)
        expect(offer.get_by_role("link", name=school.t("Send varselet nå"))).to_have_attribute(
            "href", f"/varsel/ny?alternativ={urgent.id}"
        )
        assert alert_count(app) == 0
    finally:
        context.close()


def test_the_offline_queue_keeps_only_the_plans_urgent_procedures(browser, push_server, school: School):
    """Another school's urgent procedures (akutt-a/b/c): the offline page keeps one of them with the
    plan's text and offers it back; an id the plan does not have as urgent is not kept."""
    app, base = push_server.app, push_server.url
    no_longer_urgent = first_urgent(school).id  # published under another id below
    texts = publish_urgent_elsewhere(app)
    make_user(app, TEACHER, ("staff",), totp=False, name="Lærer Lise")
    add_places(app, "Rom 204")
    context = browser.new_context(**SMALL_PHONE)
    try:
        page = context.new_page()
        log_in(page, base, TEACHER, school)
        wait_until_controlled(page)
        context.set_offline(True)
        page.goto(f"{base}/varsel/ny?alternativ={no_longer_urgent}")
        expect(page.locator("h1")).to_have_text(school.t("Du er uten nett"))
        expect(page.locator("[data-urgent-procedures] a")).to_have_count(3)
        assert page.evaluate("() => localStorage.getItem('rusplan:alert-queue')") is None

        page.goto(f"{base}/varsel/ny?alternativ=akutt-b")
        expect(page.locator("[data-alert-offline]")).to_be_visible()
        stored = page.evaluate("() => JSON.parse(localStorage.getItem('rusplan:alert-queue'))")
        assert (stored["alternative"], stored["label"]) == ("akutt-b", texts["akutt-b"])

        context.set_offline(False)
        offer = page.locator("[data-alert-offer]")
        expect(offer).to_be_visible(timeout=20000)
        expect(offer).to_contain_text(texts["akutt-b"])
        offer.get_by_role("link", name=school.t("Send varselet nå")).tap()
        page.wait_for_url(f"{base}/varsel/ny?alternativ=akutt-b")
        expect(page.get_by_label(texts["akutt-b"])).to_be_checked()
        page.get_by_label("Rom 204").tap()
        page.get_by_role("button", name=school.t("Send varsel til ledelsen")).tap()
        page.wait_for_url(re.compile(re.escape(base) + r"/varsel/\d+$"))
        expect(page.locator("[data-alert-what]")).to_contain_text(texts["akutt-b"])
        assert alert_count(app) == 1
    finally:
        context.close()
