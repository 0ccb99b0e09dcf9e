"""Helpers for the service-worker tests: wait for control, read our caches, read a page's calls."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from playwright.sync_api import Page

from tests.browser.conftest import School

# Awaited in the page (Playwright's wait_for_function would need eval, which our CSP forbids).
WAIT_FOR_CONTROLLER = """async () => {
  if (navigator.serviceWorker.controller) return navigator.serviceWorker.controller.scriptURL;
  await new Promise((resolve, reject) => {
    navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
    setTimeout(() => reject(new Error("no service worker took control within 20 s")), 20000);
  });
  return navigator.serviceWorker.controller.scriptURL;
}"""

CACHE_CONTENTS = """async () => {
  const out = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    out[name] = (await cache.keys()).map((request) => request.url);
  }
  return out;
}"""


def shown_text(html: str) -> str:
    """Return a UI text with markup (a msgid with <strong> …) as the page shows it: without its tags."""
    return re.sub(r"<[^>]+>", "", html)


def strong_part(html: str) -> str:
    """Return the <strong> part of a UI text with markup (the lead words a test looks for)."""
    found = re.search(r"<strong>(.*?)</strong>", html)
    assert found, html
    return found.group(1)


def plural(school: School, singular: str, plural_form: str, num: int, **params) -> str:
    """Return a UI text with a number, as the school's pages show it (msgids are bokmål)."""
    return school.translations.ngettext(singular, plural_form, num) % {"num": num, **params}


def wait_until_controlled(page: Page) -> str:
    """Wait until a service worker controls the page; return its script URL."""
    return page.evaluate(WAIT_FOR_CONTROLLER)


def cache_contents(page: Page) -> dict[str, list[str]]:
    """Return {cache name: [URL, ...]} of every Cache Storage cache of the origin."""
    return page.evaluate(CACHE_CONTENTS)


def tel_links(page: Page) -> list[str]:
    """Return the href of every tel: link on the page, in order."""
    return page.locator("a[href^='tel:']").evaluate_all(
        "links => links.map((link) => link.getAttribute('href'))"
    )


class PageFacts(HTMLParser):
    """The <h1> text and the tel: links of an HTML page, as the server sent it."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.h1 = ""
        self.tel: list[str] = []
        self._in_h1 = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "h1":
            self._in_h1 = True
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith("tel:"):
            self.tel.append(href)

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data

    @property
    def heading(self) -> str:
        return " ".join(self.h1.split())
