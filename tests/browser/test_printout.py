"""Browser test: the whole plan on one page at 360 px, printed from Chromium onto A4 without navigation."""

from __future__ import annotations

import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from tests.browser.conftest import PHONE, School
from tests.browser.flow_support import live_plan

pytestmark = pytest.mark.browser

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Text that only the app's navigation has (bokmål msgids): none of it belongs on paper.
NAVIGATION = ("Hopp til innholdet", "For ansatte: logg inn", "Hovedmeny", "Innhold i planen", "Skriv ut")
FOOTER = "%(title)s, %(school)s. Versjon %(version)s. Neste revisjon %(next)s (innen %(date)s)."


def footer_start(school: School, plan) -> str:
    """The printed footer up to its date: the plan's title, school, version and next revision."""
    evaluation = plan.meta.evaluation
    marker = "\x00"
    text = school.t(
        FOOTER,
        title=plan.meta.title,
        school=plan.meta.school,
        version=evaluation.version,
        next=evaluation.next_revision,
        date=marker,
    )
    return text.split(marker)[0].rsplit("(", 1)[0].strip()


def test_the_print_page_fits_a_phone_and_prints_on_a4_without_navigation(
    browser: Browser, live_server, school: School
):
    """At 360 px: no sideways scroll, axe clean. Printed: A4 pages, link URLs shown, no menus or buttons."""
    context = browser.new_context(**{**PHONE, "viewport": {"width": 360, "height": 640}})
    page = context.new_page()
    plan = live_plan(live_server)
    link = plan.links.useful[0].url
    try:
        page.goto(f"{live_server.url}/om-planen/utskrift")
        expect(page.get_by_role("heading", name=plan.meta.title, level=1)).to_be_visible()
        expect(page.get_by_role("button", name=school.t("Skriv ut"))).to_be_visible()  # js/print.js shows it
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width}px wide on a 360px phone"
        results = Axe().run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()

        page.emulate_media(media="print")
        for hidden in (".topbar", ".footer", ".printout-toc", ".printout-tools"):
            expect(page.locator(hidden)).to_be_hidden()
        useful = page.locator(f"a.printout-url[href='{link}']").first
        after = useful.evaluate("link => getComputedStyle(link, '::after').content")
        assert link in after

        reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
        assert len(reader.pages) > 5
        assert all((round(p.mediabox.width), round(p.mediabox.height)) == (595, 842) for p in reader.pages), (
            "not A4"
        )
        text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
        assert plan.contacts.title in text and school.t("Evaluering av handlingsplanen") in text
        assert f"({link})" in text.replace(" ", "")  # the URL printed after its link
        assert footer_start(school, plan) in text  # the footer, at the end when a browser prints
        for words in NAVIGATION:
            assert school.t(words) not in text, f"{school.t(words)!r} is printed"
    finally:
        context.close()
