"""axe-core on every public page at phone size, in light and dark mode: no serious or critical problems."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.browser.conftest import PHONE, School
from tests.browser.flow_support import live_plan

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


def plan_pages(school: School) -> list[str]:
    """Pages every school's plan has: home, the lists, each procedure and each urgent procedure's screen."""
    pages = ["/", "/sjekkliste", "/hva-gjor-vi", "/kontakter", "/om-planen", "/akutt"]
    pages += [f"/hva-gjor-vi/{procedure_id}" for procedure_id in school.procedure_ids()]
    return pages + [f"/akutt/{procedure_id}" for procedure_id in school.urgent_ids()]


def describe(url: str, violations: list[dict]) -> str:
    """A readable list of what axe found, with the elements, so the message says what to fix."""
    lines = []
    for violation in violations:
        lines.append(f"{url}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_no_serious_accessibility_violations_on_any_public_page(
    browser: Browser, live_server, public_urls, school: School, color_scheme
):
    """Every public page passes axe's WCAG 2.1 A/AA rules at 390×844, with the browser's CSP intact."""
    context = browser.new_context(**PHONE, color_scheme=color_scheme)
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    axe = Axe()
    problems = []
    checked = 0
    try:
        for url in public_urls:
            page.goto(live_server.url + url)
            assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (
                color_scheme == "dark"
            )
            results = axe.run(
                page,
                options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}},
            )
            assert results.response["testEngine"]["name"] == "axe-core"
            blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
            if blocking:
                problems.append(describe(url, blocking))
            checked += 1
    finally:
        context.close()
    assert checked == len(public_urls)
    assert set(plan_pages(school)) <= set(public_urls), "a page of the plan was not checked"
    assert not problems, "\n".join(problems)
    assert not csp_errors, csp_errors


def test_axe_runs_offline_from_the_package():
    """axe-playwright-python ships axe-core itself: no download, no CDN, works without internet."""
    from axe_playwright_python import base

    assert base.AXE_FILE_PATH.is_file()
    assert base.AXE_SCRIPT.startswith("/*! axe v4")


def test_axe_finds_a_real_problem(browser: Browser, live_server):
    """The check can fail: an image without alt text and a button without a name are reported."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        page.evaluate(
            """() => {
                const img = document.createElement('img');
                img.src = '/static/missing.png';
                document.querySelector('main').append(img);
                document.querySelector('main').append(document.createElement('button'));
            }"""
        )
        violations = Axe().run(page).response["violations"]
        assert {"image-alt", "button-name"} <= {v["id"] for v in violations}
        assert any(v["impact"] in BLOCKING for v in violations)
    finally:
        context.close()


# The text a sighted user reads on each tel: link: text nodes of rendered boxes wider and taller than 1 px
# (a visually hidden «Ring » is left out), joined by spaces.
VISIBLE_TEXT = """links => links.map((link) => {
  const parts = [];
  const walker = document.createTreeWalker(link, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const box = node.parentElement.getBoundingClientRect();
    const style = getComputedStyle(node.parentElement);
    if (box.width > 1 && box.height > 1 && style.visibility !== "hidden" && node.textContent.trim()) {
      parts.push(node.textContent.trim());
    }
  }
  return parts.join(" ");
})"""


def _words(text: str) -> str:
    return " ".join(text.split())


def label_in_name_problems(page) -> list[str]:
    """Return every tel: link whose accessible name does not contain its visible text (WCAG 2.5.3)."""
    links = page.locator("a[href^='tel:']")
    visible = links.evaluate_all(VISIBLE_TEXT)
    problems = []
    for index, text in enumerate(visible):
        snapshot = links.nth(index).aria_snapshot()
        first_line = snapshot.splitlines()[0]
        name = first_line.split('"', 1)[1].rsplit('"', 1)[0] if '"' in first_line else ""
        if not text or _words(text).casefold() not in _words(name).casefold():
            problems.append(f"{page.url}: visible {text!r}, accessible name {name!r}")
    return problems


def test_every_call_button_is_named_by_what_it_shows(browser: Browser, live_server, public_urls):
    """Label in Name: each tel: link's accessible name contains its visible text («970 83 705»)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    problems, checked = [], 0
    try:
        for url in [*public_urls, "/offline"]:
            page.goto(live_server.url + url)
            checked += page.locator("a[href^='tel:']").count()
            problems += label_in_name_problems(page)
    finally:
        context.close()
    plan = live_plan(live_server)
    # At least every person and service number of the contact list, and the national emergency numbers.
    assert checked >= len(plan.all_contacts()) + len(plan.services()) + 3
    assert not problems, "\n".join(problems)
