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
from tests.browser import test_push_loop
from tests.browser.test_accessibility import label_in_name_problems
from tests.browser.test_push_loop import log_in
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
RECTOR_TEL = "tel:+4797083705"


def fully_in_first_screen(page: Page, locator) -> dict:
    """Return the element's box at the top of the page, failing unless all of it is on the first screen."""
    page.evaluate("() => window.scrollTo(0, 0)")
    box = locator.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    return box


def send_alert(page: Page, base: str, place: str) -> None:
    page.get_by_label(place).tap()
    page.get_by_role("button", name="Send varsel til ledelsen").tap()
    page.wait_for_url(re.compile(re.escape(base) + r"/varsel/\d+$"))


def test_alert_to_nobody_says_so_in_red_above_the_rectors_call(browser, push_server, tmp_path):
    """No leader has alerts on: the form says so first, and the screen says «Ingen har fått varselet»."""
    app, base = push_server.app, push_server.url
    make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    make_user(app, "laerer@skole.no", ("staff",), totp=False, name="Lærer Lise")
    add_places(app, "Rom 204")
    phone = browser.new_context(**SMALL_PHONE)
    try:
        page = phone.new_page()
        log_in(page, base, "laerer@skole.no")
        page.goto(f"{base}/varsel/ny?alternativ=alternativ-3")
        warning = page.locator("[data-reach='alert'][data-reach-none]")
        expect(warning).to_contain_text("Ingen i ledelsen får varselet nå – ring")
        warning_box = fully_in_first_screen(page, warning)
        rector = page.locator(f"a[href='{RECTOR_TEL}']")
        assert fully_in_first_screen(page, rector)["y"] > warning_box["y"]
        page.screenshot(path=str(tmp_path / "form-nobody.png"))
        assert not label_in_name_problems(page)

        send_alert(page, base, "Rom 204")
        headline = page.locator("[data-alert-delivery]")
        expect(headline).to_have_text("Ingen har fått varselet – ring")
        expect(headline).to_have_class("alert-headline-box alert-headline-bad")
        headline_box = fully_in_first_screen(page, headline)
        rector = page.locator(f"a[href='{RECTOR_TEL}']")
        expect(rector).to_contain_text("Rektor")
        rector_box = fully_in_first_screen(page, rector)
        assert headline_box["y"] + headline_box["height"] <= rector_box["y"]
        # Red: the urgent colour, never the calm one.
        colour = headline.evaluate("el => getComputedStyle(el).borderTopColor")
        assert colour == "rgb(164, 22, 26)", colour
        expect(page.get_by_text("Sendt til 0 enheter", exact=False)).to_be_attached()
        page.screenshot(path=str(tmp_path / "alert-nobody.png"))
        assert not label_in_name_problems(page)
    finally:
        phone.close()


def test_alert_delivered_to_some_says_how_many_and_who_not(browser, push_server, fake_push, tmp_path):
    """Two leaders have alerts on, one device is gone (410): «Levert til 1 av 2 ledere», the other named."""
    app, base = push_server.app, push_server.url
    kristin, _ = make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    hilde, _ = make_user(app, "hilde@skole.no", ("leader",), totp=False, name="Hilde B Hansen")
    make_user(app, "laerer@skole.no", ("staff",), totp=False, name="Lærer Lise")
    add_places(app, "Rom 204")
    reachable = fake_push.new_subscriber()
    dropped = fake_push.new_subscriber(Reply(410))
    with app.app_context():
        alerts.subscribe(reachable.subscription_json(), user_id=kristin, alerts=True)
        alerts.subscribe(dropped.subscription_json(), user_id=hilde, alerts=True)
        db.session.commit()
    phone = browser.new_context(**SMALL_PHONE)
    try:
        page = phone.new_page()
        log_in(page, base, "laerer@skole.no")
        page.goto(f"{base}/varsel/ny?alternativ=alternativ-4")
        reach = page.locator("[data-reach='alert']")
        expect(reach).to_contain_text("Varselet går nå til 2 ledere, på 2 enheter")
        expect(reach).to_contain_text("Hilde B Hansen (1 enhet), Kristin Støten (1 enhet).")

        send_alert(page, base, "Rom 204")
        headline = page.locator("[data-alert-delivery]")
        # The screen updates itself (htmx polling) as the push service answers.
        expect(headline).to_contain_text("Levert til 1 av 2 ledere", timeout=15000)
        expect(headline).to_contain_text("Ikke levert til Hilde B Hansen. Ring.")
        expect(headline).to_have_class("alert-headline-box alert-headline-bad")
        headline_box = fully_in_first_screen(page, headline)
        rector_box = fully_in_first_screen(page, page.locator(f"a[href='{RECTOR_TEL}']"))
        assert headline_box["y"] + headline_box["height"] <= rector_box["y"]
        page.screenshot(path=str(tmp_path / "alert-partly.png"))
        alert_url = page.url
    finally:
        phone.close()

    # The rektor's phone: the alternative, the place and «Jeg kommer» first, within the first screen.
    leader_phone = browser.new_context(**SMALL_PHONE)
    try:
        page = leader_phone.new_page()
        log_in(page, base, "kristin@skole.no")
        page.goto(alert_url)
        expect(page.locator("[data-alert-what]")).to_have_text(
            "Alternativ 4: bekymring for omsetning/oppbevaring av rusmidler på skolen – Rom 204"
        )
        answer = page.get_by_role("button", name="Jeg kommer")
        answer_box = fully_in_first_screen(page, answer)
        first_call = page.locator("a[href^='tel:']").first.bounding_box()
        assert answer_box["y"] + answer_box["height"] <= first_call["y"]
        page.screenshot(path=str(tmp_path / "alert-leader.png"))
        answer.tap()
        expect(page.locator("[data-alert-coming]")).to_have_text("Kristin Støten kommer")
    finally:
        leader_phone.close()
