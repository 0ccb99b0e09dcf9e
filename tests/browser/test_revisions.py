"""Browser test at 360 px: the draft, a revision, the restore confirmation and the preview on a small phone.

Each page is checked for what a phone user meets: no sideways scroll, no word broken across lines,
no WCAG 2.1 A/AA violation (axe). The plan's content is the same at the end as at the start: the
test publishes a change and restores the revision before it.
"""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import Page, expect

from backend.services import accounts
from tests.browser.conftest import PHONE
from tests.browser.test_admin import assert_accessible
from tests.support import PASSWORD, TOTP_SECRET
from tests.test_content_zip import folder_files, make_zip

pytestmark = pytest.mark.browser

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 640}}
EMAIL = "liten-skjerm@skole.no"

# Every word (split at spaces, hyphens and slashes, where a line may break) whose pieces sit on more
# than one line: a word broken inside itself.
BROKEN_WORDS = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    if (!element || !element.checkVisibility()) continue;
    for (const match of node.data.matchAll(/[^\\s\\-\\/–—]+/g)) {
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.bottom)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def fits_a_small_phone(page: Page) -> None:
    """No sideways scroll at 360 px, no word broken across lines, and axe finds nothing."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width}px wide on a 360px phone"
    assert page.evaluate(BROKEN_WORDS) == [], page.url
    assert_accessible(page)


@pytest.fixture
def small_admin(browser, live_server):
    """A page at 360×640, logged in as an admin of its own (its own one-time code steps)."""
    app = live_server.app
    with app.app_context():
        if accounts.get_by_email(EMAIL) is None:
            user = accounts.create_user(EMAIL, "Liten Skjerm", ["admin"], password=PASSWORD)
            accounts.enable_totp(user, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now(), ip=None)
    context = browser.new_context(**SMALL_PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/konto/logg-inn")
    page.get_by_label("E-post").fill(EMAIL)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").tap()
    code = pyotp.TOTP(TOTP_SECRET).at(accounts.now(), counter_offset=1)
    page.get_by_label("Engangskode fra appen").fill(code)
    page.get_by_role("button", name="Fortsett").tap()
    expect(page.get_by_role("heading", name="Administrasjon")).to_be_visible()
    yield page
    context.close()


def test_draft_revision_restore_and_preview_pages_fit_a_360px_phone(small_admin: Page, live_server):
    """Edit a text and a number, look at the draft and its preview, publish, read the revision, restore."""
    page = small_admin
    base = live_server.url
    page.goto(f"{base}/admin/tekster/dokumentasjon")
    body = page.get_by_label("Tekst", exact=False).last
    text = body.input_value()
    body.fill(text.replace("Dokumentasjon", "Skriftlig dokumentasjon", 1) + "\n\nEn setning til i utkastet.")
    page.get_by_role("button", name="Lagre i utkastet").tap()
    expect(page.get_by_text("Teksten er lagret i utkastet")).to_be_visible()
    page.goto(f"{base}/admin/kontakter/kristin-stoten")
    page.get_by_label("Telefonnummer").fill("912 34 567")
    page.get_by_role("button", name="Lagre i utkastet").tap()
    expect(page.get_by_text("er lagret i utkastet")).to_be_visible()

    page.goto(f"{base}/admin/utkast")
    expect(page.get_by_role("heading", name="Utkast")).to_be_visible()
    expect(page.locator(".change-words del", has_text="970 83 705")).to_be_visible()
    expect(page.locator(".change-words ins", has_text="912 34 567")).to_be_visible()
    expect(page.get_by_text("Endret av Liten Skjerm").first).to_be_visible()
    undo = page.get_by_role("button", name="Angre endringen: ").first
    assert undo.bounding_box()["height"] >= 44
    fits_a_small_phone(page)

    page.get_by_role("navigation", name="Forhåndsvis utkastet").get_by_role("link", name="Kontakter").tap()
    expect(page.get_by_text("Forhåndsvisning av utkastet")).to_be_visible()
    expect(page.locator('a[href="tel:+4791234567"]').first).to_be_visible()
    fits_a_small_phone(page)
    page.get_by_role("link", name="← Tilbake til utkastet").tap()

    page.get_by_label("Hva er endret?").fill("Tekst og nummer")
    page.get_by_role("button", name="Publiser").tap()
    expect(page.get_by_text("er publisert")).to_be_visible()
    new_revision = int(page.get_by_role("heading", level=1).inner_text().split()[1])
    expect(page.locator("#innhold").get_by_text("Liten Skjerm", exact=True)).to_be_visible()
    fits_a_small_phone(page)

    page.goto(f"{base}/admin/revisjoner")
    fits_a_small_phone(page)

    page.goto(f"{base}/admin/revisjoner/{new_revision - 1}")
    page.get_by_role("link", name=f"Gjenopprett revisjon {new_revision - 1}").tap()
    expect(page.get_by_role("heading", name=f"Gjenopprette revisjon {new_revision - 1}?")).to_be_visible()
    expect(page.locator(".change-words ins", has_text="970 83 705")).to_be_visible()
    fits_a_small_phone(page)
    page.get_by_role("button", name=f"Ja, gjenopprett revisjon {new_revision - 1}").tap()
    expect(page.get_by_text(f"Revisjon {new_revision - 1} er gjenopprettet")).to_be_visible()

    page.goto(f"{base}/admin/innholdsfiler")
    fits_a_small_phone(page)
    # A broken zip: the error names the file, on the same page; then the downloaded plan goes back in.
    broken = make_zip({**folder_files(), "checklists.yaml": b"checklists: [uavsluttet\n"})
    page.get_by_label("Zip-fil med innholdsmappen").set_input_files(
        {"name": "plan.zip", "mimeType": "application/zip", "buffer": broken}
    )
    page.get_by_role("button", name="Last opp til utkastet").tap()
    expect(page.get_by_text("Zip-filen ble ikke lastet inn.")).to_be_visible()
    expect(page.get_by_text("checklists.yaml", exact=True)).to_be_visible()
    fits_a_small_phone(page)
    page.get_by_label("Zip-fil med innholdsmappen").set_input_files(
        {"name": "plan.zip", "mimeType": "application/zip", "buffer": make_zip(folder_files())}
    )
    page.get_by_role("button", name="Last opp til utkastet").tap()
    expect(page.get_by_text("Zip-filen er lastet inn i utkastet")).to_be_visible()
    expect(page.get_by_text("Ingen endringer.")).to_be_visible()
