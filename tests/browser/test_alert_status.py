"""The alert form and the alert screen on a small phone (360×640): what happened, read in one second.

A teacher who alerts while no leader can receive it must see that at once, in red, above the calls,
and never a screen that looks like success. Screenshots of both screens are saved in the test's
temporary folder (alert-nobody.png, alert-partly.png) for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from backend.extensions import db
from backend.services import alerts
from backend.services.phones import tel_href
from tests.browser import test_push_loop
from tests.browser.conftest import School
from tests.browser.offline_helpers import plural
from tests.browser.test_accessibility import label_in_name_problems
from tests.browser.test_push_loop import alert_label, log_in, sent_to
from tests.fakepush import Reply
from tests.push_support import add_places
from tests.support import make_user

pytestmark = pytest.mark.browser

# The app with a fake push service, as in the whole-loop test.
push_server = test_push_loop.push_server
fake_push = test_push_loop.fake_push

SMALL_PHONE = {
    "viewport": {"width": 360, "height": 640},
    "is_mobile": True,
    "has_touch": True,
    "locale": "nb-NO",
}


def fully_in_first_screen(page: Page, locator) -> dict:
    """Return the element's box at the top of the page, failing unless all of it is on the first screen."""
    page.evaluate("() => window.scrollTo(0, 0)")
    box = locator.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    return box


def send_alert(page: Page, base: str, place: str, school: School) -> None:
    page.get_by_label(place).tap()
    page.get_by_role("button", name=school.t("Send varsel til ledelsen")).tap()
    page.wait_for_url(re.compile(re.escape(base) + r"/varsel/\d+$"))


def test_alert_to_nobody_says_so_in_red_above_the_rectors_call(
    browser, push_server, tmp_path, school: School
):
    """No leader has alerts on: the form says so first, and the screen says «Ingen har fått varselet»."""
    app, base = push_server.app, push_server.url
    rector = school.plan.call_chain()[0]  # the first to call
    rector_tel = tel_href(rector.phone)
    urgent = school.plan.urgent_procedures()[0]
    make_user(app, "rektor@skole.no", ("leader",), totp=False, name=rector.name)
    make_user(app, "laerer@skole.no", ("staff",), totp=False, name="Lærer Lise")
    add_places(app, "Rom 204")
    phone = browser.new_context(**SMALL_PHONE)
    try:
        page = phone.new_page()
        log_in(page, base, "laerer@skole.no", school)
        page.goto(f"{base}/varsel/ny?alternativ={urgent.id}")
        warning = page.locator("[data-reach='alert'][data-reach-none]")
        expect(warning).to_contain_text(school.t("Ingen i ledelsen får varselet nå – ring"))
        warning_box = fully_in_first_screen(page, warning)
        rector_call = page.locator(f"a[href='{rector_tel}']")
        assert fully_in_first_screen(page, rector_call)["y"] > warning_box["y"]
        page.screenshot(path=str(tmp_path / "form-nobody.png"))
        assert not label_in_name_problems(page)

        send_alert(page, base, "Rom 204", school)
        headline = page.locator("[data-alert-delivery]")
        expect(headline).to_have_text(school.t("Ingen har fått varselet – ring"))
        expect(headline).to_have_class("alert-headline-box alert-headline-bad")
        headline_box = fully_in_first_screen(page, headline)
        rector_call = page.locator(f"a[href='{rector_tel}']")
        expect(rector_call).to_contain_text(rector.role)
        rector_box = fully_in_first_screen(page, rector_call)
        assert headline_box["y"] + headline_box["height"] <= rector_box["y"]
        # Red: the urgent colour, never the calm one.
        colour = headline.evaluate("el => getComputedStyle(el).borderTopColor")
        assert colour == "rgb(164, 22, 26)", colour
        expect(page.get_by_text(sent_to(school, 0), exact=False)).to_be_attached()
        page.screenshot(path=str(tmp_path / "alert-nobody.png"))
        assert not label_in_name_problems(page)
    finally:
        phone.close()


def test_alert_delivered_to_some_says_how_many_and_who_not(
    browser, push_server, fake_push, tmp_path, school: School
):
    """Two leaders have alerts on, one device is gone (410): «Levert til 1 av 2 ledere», the other named."""
    app, base = push_server.app, push_server.url
    rector, other = school.plan.call_chain()[:2]  # the first two to call
    rector_tel = tel_href(rector.phone)
    urgent = school.plan.urgent_procedures()[-1]
    rector_id, _ = make_user(app, "rektor@skole.no", ("leader",), totp=False, name=rector.name)
    other_id, _ = make_user(app, "leder@skole.no", ("leader",), totp=False, name=other.name)
    make_user(app, "laerer@skole.no", ("staff",), totp=False, name="Lærer Lise")
    add_places(app, "Rom 204")
    reachable = fake_push.new_subscriber()
    dropped = fake_push.new_subscriber(Reply(410))
    with app.app_context():
        alerts.subscribe(reachable.subscription_json(), user_id=rector_id, alerts=True)
        alerts.subscribe(dropped.subscription_json(), user_id=other_id, alerts=True)
        db.session.commit()
    phone = browser.new_context(**SMALL_PHONE)
    try:
        page = phone.new_page()
        log_in(page, base, "laerer@skole.no", school)
        page.goto(f"{base}/varsel/ny?alternativ={urgent.id}")
        reach = page.locator("[data-reach='alert']")
        two_devices = plural(school, "%(num)d enhet", "%(num)d enheter", 2)
        expect(reach).to_contain_text(
            plural(
                school,
                "Varselet går nå til %(num)d leder, på %(devices)s",
                "Varselet går nå til %(num)d ledere, på %(devices)s",
                2,
                devices=two_devices,
            )
        )
        one_device = plural(school, "%(num)d enhet", "%(num)d enheter", 1)
        by_name = sorted((rector.name, other.name), key=str.casefold)
        expect(reach).to_contain_text(f"{by_name[0]} ({one_device}), {by_name[1]} ({one_device}).")

        send_alert(page, base, "Rom 204", school)
        headline = page.locator("[data-alert-delivery]")
        # The screen updates itself (htmx polling) as the push service answers.
        delivered = plural(
            school,
            "Levert til %(reached)s av %(num)d leder",
            "Levert til %(reached)s av %(num)d ledere",
            2,
            reached=1,
        )
        expect(headline).to_contain_text(delivered, timeout=15000)
        expect(headline).to_contain_text(school.t("Ikke levert til %(names)s. Ring.", names=other.name))
        expect(headline).to_have_class("alert-headline-box alert-headline-bad")
        headline_box = fully_in_first_screen(page, headline)
        rector_box = fully_in_first_screen(page, page.locator(f"a[href='{rector_tel}']"))
        assert headline_box["y"] + headline_box["height"] <= rector_box["y"]
        page.screenshot(path=str(tmp_path / "alert-partly.png"))
        alert_url = page.url
    finally:
        phone.close()

    # The rektor's phone: the alternative, the place and «Jeg kommer» first, within the first screen.
    leader_phone = browser.new_context(**SMALL_PHONE)
    try:
        page = leader_phone.new_page()
        log_in(page, base, "rektor@skole.no", school)
        page.goto(alert_url)
        expect(page.locator("[data-alert-what]")).to_have_text(f"{alert_label(urgent)} – Rom 204")
        answer = page.get_by_role("button", name=school.t("Jeg kommer"))
        answer_box = fully_in_first_screen(page, answer)
        first_call = page.locator("a[href^='tel:']").first.bounding_box()
        assert answer_box["y"] + answer_box["height"] <= first_call["y"]
        page.screenshot(path=str(tmp_path / "alert-leader.png"))
        answer.tap()
        expect(page.locator("[data-alert-coming]")).to_have_text(
            school.t("%(name)s kommer", name=rector.name)
        )
    finally:
        leader_phone.close()
