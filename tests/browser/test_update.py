"""Updates: a new revision of the plan is stored in the background and shown when the user asks."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from backend.content.loader import plan_from_data
from backend.extensions import db
from backend.services import plan as plan_service
from tests.browser.conftest import LiveServer, School
from tests.browser.offline_helpers import cache_contents, wait_until_controlled
from tests.conftest import make_app

pytestmark = pytest.mark.browser

NEW_RECTOR_PHONE = "+4790000001"


@pytest.fixture
def own_server(school, tmp_path) -> Iterator[LiveServer]:
    """A server of its own: this test publishes a revision, which the other tests must not see."""
    app = make_app(tmp_path, school=school.folder)
    server = LiveServer(app).start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()
    plan_service.revision_cache.clear()


def publish_new_rector_phone(app) -> int:
    """Publish a revision where the first in the call chain (the rektor) has a new phone number, as an
    editor would; return its id."""
    with app.app_context():
        current = plan_service.revision_cache.current()
        first = current.plan.call_chain()[0]
        data = copy.deepcopy(current.plan.model_dump(mode="json"))
        (rector,) = [
            contact
            for group in data["contacts"]["groups"]
            for contact in group["contacts"]
            if contact["id"] == first.id
        ]
        assert rector["phone"] != NEW_RECTOR_PHONE
        rector["phone"] = NEW_RECTOR_PHONE
        revision = plan_service.publish(plan_from_data(data), author=None, note="Nytt nummer til rektor")
        db.session.commit()
        return revision.id


def our_caches(page: Page) -> list[str]:
    return [name for name in cache_contents(page) if name.startswith("rusplan-")]


def test_new_revision_is_offered_and_loaded_only_when_the_user_taps(
    own_server, school: School, context: BrowserContext
):
    """The banner "Planen er oppdatert" appears; the new plan shows after the tap; one cache remains."""
    page = context.new_page()
    navigations = []
    page.on(
        "framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None
    )
    page.goto(own_server.url + "/akutt")
    wait_until_controlled(page)
    first_version = page.evaluate("async () => (await (await fetch('/precache.json')).json()).version")
    old_call = page.locator("a.call-big")
    old_href = old_call.get_attribute("href")
    old_revision = page.locator("time[data-content-version]").get_attribute("data-content-version")

    # The first install took control of the page without reloading it, and offers nothing.
    page.wait_for_timeout(500)
    assert navigations == [own_server.url + "/akutt"]
    banner = page.locator("[data-update-banner]")
    expect(banner).to_be_hidden()
    assert our_caches(page) == [f"rusplan-{first_version}"]

    new_revision = publish_new_rector_phone(own_server.app)
    assert str(new_revision) != old_revision
    # The phone comes back online: the page checks for a new version, which installs in the background.
    page.evaluate("() => window.dispatchEvent(new Event('online'))")

    expect(banner).to_be_visible(timeout=20000)
    expect(banner).to_contain_text(school.t("Planen er oppdatert"))
    button = banner.get_by_role("button", name=school.t("Last inn ny versjon"))
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44
    # Nothing reloads by itself: the old page stays, with the old number, until the user taps.
    page.wait_for_timeout(1000)
    assert len(navigations) == 1
    assert page.locator("a.call-big").get_attribute("href") == old_href
    assert len(our_caches(page)) == 2  # the new version is stored next to the one in use

    with page.expect_navigation():
        button.tap()

    expect(page.locator("a.call-big")).to_have_attribute("href", f"tel:{NEW_RECTOR_PHONE}")
    expect(page.locator("a.call-big")).to_contain_text(school.plan.call_chain()[0].role)
    expect(page.locator("time[data-content-version]")).to_have_attribute(
        "data-content-version", str(new_revision)
    )
    expect(page.locator("[data-update-banner]")).to_be_hidden()
    new_version = page.evaluate("async () => (await (await fetch('/precache.json')).json()).version")
    assert new_version != first_version
    assert our_caches(page) == [f"rusplan-{new_version}"]

    # The new version is what the phone has offline, too.
    context.set_offline(True)
    page.goto(own_server.url + "/kontakter")
    expect(page.locator(f"a[href='tel:{NEW_RECTOR_PHONE}']")).to_be_visible()


def test_other_sites_caches_on_the_origin_are_left_alone(own_server, school: School, context: BrowserContext):
    """Activating a new version deletes only our own old caches, never a cache someone else named."""
    page = context.new_page()
    page.goto(own_server.url + "/")
    wait_until_controlled(page)
    page.evaluate("async () => { await caches.open('annen-app-v1'); }")
    publish_new_rector_phone(own_server.app)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    banner = page.locator("[data-update-banner]")
    expect(banner).to_be_visible(timeout=20000)
    with page.expect_navigation():
        banner.get_by_role("button", name=school.t("Last inn ny versjon")).tap()
    expect(page.locator("[data-update-banner]")).to_be_hidden()
    names = list(cache_contents(page))
    assert "annen-app-v1" in names
    assert len([name for name in names if name.startswith("rusplan-")]) == 1


COVERS = """([banner, link]) => {
  const a = banner.getBoundingClientRect();
  const b = link.getBoundingClientRect();
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}"""


@pytest.mark.per_school("procedure_id", School.urgent_ids)
def test_update_bar_never_covers_a_call_button(own_server, context: BrowserContext, procedure_id):
    """With «Planen er oppdatert» shown on an urgent procedure's screen, no call button is ever under it."""
    page = context.new_page()
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"{own_server.url}/akutt/{procedure_id}")
    wait_until_controlled(page)
    publish_new_rector_phone(own_server.app)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    banner = page.locator("[data-update-banner]")
    expect(banner).to_be_visible(timeout=20000)
    links = page.locator("a[href^='tel:']")
    assert links.count() > 5
    for index in range(links.count()):
        link = links.nth(index)
        # Scroll so the button sits at the bottom of the screen, then at the top: where a bar would be.
        for where in ("end", "start"):
            link.evaluate(f"el => el.scrollIntoView({{block: '{where}'}})")
            covered = page.evaluate(COVERS, [banner.element_handle(), link.element_handle()])
            assert not covered, f"the update bar covers call button {index} ({where})"
