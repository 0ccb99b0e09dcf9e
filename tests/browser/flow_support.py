"""Helpers for the browser tests of the guided procedures and the emergency mode."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page

from backend.services.plan import revision_cache

AXE = Axe()
SERIOUS = {"serious", "critical"}

# Installed before any page script: a tap on a tel: link is recorded instead of leaving the page,
# so a test can count the tap that would ring. The app's own click handlers still run.
RECORD_TEL_TAPS = """
window.__telTaps = [];
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest('a[href^="tel:"]');
  if (link) {
    event.preventDefault();
    window.__telTaps.push(link.getAttribute("href"));
  }
}, true);
"""


def live_plan(live_server):
    """Return the plan the live server shows."""
    with live_server.app.app_context():
        return revision_cache.current().plan


class Taps:
    """Count the taps a person makes, tapping for real."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def tap(self, target: Locator) -> None:
        target.tap()
        self.count += 1

    def rang(self) -> list[str]:
        """Return the tel: links tapped on the current page."""
        return self.page.evaluate("window.__telTaps || []")


def serious_violations(page: Page) -> list[str]:
    """Run axe-core on the page; return the serious and critical violations, readable."""
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def call_heights(page: Page) -> list[tuple[str, float]]:
    """Return (href, height in CSS px) of every visible call button."""
    heights = []
    for link in page.locator("main a.call").all():
        if link.is_visible():
            box = link.bounding_box()
            heights.append((link.get_attribute("href"), box["height"]))
    return heights


# ---- a school's procedures, found by what a test needs (never by Halden's ids)


def first_step(procedure, audience: str = "all"):
    """Return the procedure's first step for this audience ("all", "under_18", "over_18"), or None."""
    return next((s for s in procedure.steps if s.audience == audience), None)


def has_both_ages(procedure) -> bool:
    """Does the procedure have a step only for students under 18 and one only for those of 18 and over?"""
    return first_step(procedure, "under_18") is not None and first_step(procedure, "over_18") is not None


def ticking_procedure(plan):
    """Return the first procedure with a step for everyone and a meeting: the plain tick list."""
    return next(p for p in plan.procedures() if first_step(p) is not None and p.meeting is not None)


# How the pages write a clock time and a date, for text_pattern.
CLOCK = r"\d\d:\d\d"
DATE = r"\d\d\.\d\d\.\d{4}"


def text_pattern(school, msgid: str, **patterns: str) -> str:
    """Return a regex for a UI text in the school's language, each %(param)s matched by the regex given.

    text_pattern(school, "Gjort kl. %(time)s", time=CLOCK) matches «Gjort kl. 14:05».
    """
    marks = {name: f"\x00{name}\x00" for name in patterns}
    text = re.escape(school.t(msgid, **marks))
    for name, pattern in patterns.items():
        text = text.replace(f"\x00{name}\x00", pattern)
    return text
