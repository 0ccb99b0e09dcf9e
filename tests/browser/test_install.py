"""Installable: Chromium finds nothing missing to put the app on the home screen."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, School
from tests.browser.offline_helpers import wait_until_controlled

pytestmark = pytest.mark.browser


@pytest.fixture
def profile(browser: Browser, tmp_path) -> Iterator[BrowserContext]:
    """A persistent Chromium profile (installability is not checked in a throwaway incognito one)."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **PHONE
    )
    yield context
    context.close()


def _open_home(live_server, profile: BrowserContext) -> Page:
    page = profile.pages[0] if profile.pages else profile.new_page()
    page.goto(live_server.url + "/")
    wait_until_controlled(page)
    return page


def test_chromium_reports_no_installability_errors(live_server, profile: BrowserContext):
    """The DevTools protocol's installability check comes back empty: the app can be installed."""
    page = _open_home(live_server, profile)
    cdp = profile.new_cdp_session(page)
    result = cdp.send("Page.getInstallabilityErrors")
    assert result["installabilityErrors"] == []


def test_browser_reads_the_manifest_without_errors(live_server, profile: BrowserContext, school: School):
    """Chromium parses our manifest cleanly: name, start page, standalone, icons and shortcuts."""
    page = _open_home(live_server, profile)
    cdp = profile.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == live_server.url + "/manifest.webmanifest"
    assert manifest["errors"] == []
    parsed = manifest["manifest"]  # Chromium's own reading of it
    assert parsed["name"] == school.t("Rusplan – Handlingsplan mot rus")
    assert parsed["startUrl"] == live_server.url + "/"
    assert parsed["scope"] == live_server.url + "/"
    assert parsed["display"] == "kStandalone"
    assert parsed["themeColor"] == "rgba(11,61,92,1)"
    assert parsed["backgroundColor"] == "rgba(255,255,255,1)"
    assert [icon["sizes"] for icon in parsed["icons"]] == ["192x192", "512x512", "512x512"]
    shortcuts = {shortcut["name"]: shortcut["url"] for shortcut in parsed["shortcuts"]}
    assert shortcuts == {
        school.t("Akutt"): live_server.url + "/akutt",
        school.t("Kontakter"): live_server.url + "/kontakter",
    }
    raw = json.loads(manifest["data"])
    assert raw["short_name"] == "Rusplan"
    assert raw["lang"] == school.language
    assert school.plan.meta.school in raw["description"]
    assert [icon["purpose"] for icon in raw["icons"]] == ["any", "any", "maskable"]


def test_home_screen_icons_load_for_ios_and_android(live_server, profile: BrowserContext):
    """The icons the head and the manifest name are real PNG files of the stated size."""
    page = _open_home(live_server, profile)
    touch = page.locator("link[rel='apple-touch-icon']").get_attribute("href")
    manifest = page.evaluate("async () => (await (await fetch('/manifest.webmanifest')).json())")
    icons = [(touch, 180)] + [(icon["src"], int(icon["sizes"].split("x")[0])) for icon in manifest["icons"]]
    icons += [(s["icons"][0]["src"], 96) for s in manifest["shortcuts"]]
    for src, size in icons:
        measured = page.evaluate(
            """async (src) => {
              const image = new Image();
              image.src = src;
              await image.decode();
              return [image.naturalWidth, image.naturalHeight];
            }""",
            src,
        )
        assert measured == [size, size], src
    assert page.locator("meta[name='apple-mobile-web-app-capable']").get_attribute("content") == "yes"
    assert page.locator("meta[name='apple-mobile-web-app-title']").get_attribute("content") == "Rusplan"
