"""Browser test at 360 px: the draft, a revision, the restore confirmation and the preview on a small phone.

Each page is checked for what a phone user meets: no sideways scroll, no word broken across lines,
no WCAG 2.1 A/AA violation (axe). The plan's content is the same at the end as at the start: the
test publishes a change and restores the revision before it.
"""

from __future__ import annotations

import io
import zipfile

import pyotp
import pytest
from playwright.sync_api import Page, expect

from backend.services import accounts, phones
from tests.browser.conftest import PHONE, School
from tests.browser.test_admin import assert_accessible, published
from tests.support import PASSWORD, TOTP_SECRET

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


def zipped(files: dict[str, bytes]) -> bytes:
    """A zip with these members (names as they are, the content folder included)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def small_admin(browser, live_server, school: School):
    """A page at 360×640, logged in as an admin of its own (its own one-time code steps)."""
    app = live_server.app
    with app.app_context():
        if accounts.get_by_email(EMAIL) is None:
            user = accounts.create_user(EMAIL, "Liten Skjerm", ["admin"], password=PASSWORD)
            accounts.enable_totp(user, TOTP_SECRET, pyotp.TOTP(TOTP_SECRET).now(), ip=None)
    context = browser.new_context(**SMALL_PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/konto/logg-inn")
    page.get_by_label(school.t("E-post")).fill(EMAIL)
    page.get_by_label(school.t("Passord")).fill(PASSWORD)
    page.get_by_role("button", name=school.t("Logg inn")).tap()
    code = pyotp.TOTP(TOTP_SECRET).at(accounts.now(), counter_offset=1)
    page.get_by_label(school.t("Engangskode fra appen")).fill(code)
    page.get_by_role("button", name=school.t("Fortsett")).tap()
    expect(page.get_by_role("heading", name=school.t("Administrasjon"))).to_be_visible()
    yield page
    context.close()


def test_draft_revision_restore_and_preview_pages_fit_a_360px_phone(
    small_admin: Page, live_server, school: School
):
    """Edit a text and a number, look at the draft and its preview, publish, read the revision, restore."""
    t = school.t
    page = small_admin
    base = live_server.url
    section = school.plan.plan_sections()[-1]
    contact = school.plan.all_contacts()[0]
    old_number = phones.display(contact.phone)
    page.goto(f"{base}/admin/tekster/{section.slug}")
    body = page.get_by_label(t("Tekst"), exact=False).last
    text = body.input_value()
    body.fill(text.replace(" ", " altså ", 1) + "\n\nEn setning til i utkastet.")
    page.get_by_role("button", name=t("Lagre i utkastet")).tap()
    expect(page.get_by_text(t("Teksten er lagret i utkastet."))).to_be_visible()
    page.goto(f"{base}/admin/kontakter/{contact.id}")
    page.get_by_label(t("Telefonnummer")).fill("912 34 567")
    page.get_by_role("button", name=t("Lagre i utkastet")).tap()
    expect(
        page.get_by_text(t("Endringen av %(name)s er lagret i utkastet.", name=contact.name))
    ).to_be_visible()

    page.goto(f"{base}/admin/utkast")
    expect(page.get_by_role("heading", name=t("Utkast"))).to_be_visible()
    expect(page.locator(".change-words del", has_text=old_number)).to_be_visible()
    expect(page.locator(".change-words ins", has_text="912 34 567")).to_be_visible()
    expect(page.get_by_text(t("Endret av %(person)s", person="Liten Skjerm")).first).to_be_visible()
    undo = page.get_by_role("button", name=t("Angre endringen: %(where)s", where="")).first
    assert undo.bounding_box()["height"] >= 44
    fits_a_small_phone(page)

    preview = page.get_by_role("navigation", name=t("Forhåndsvis utkastet"))
    preview.get_by_role("link", name=t("Kontakter")).tap()
    expect(page.get_by_text(t("Forhåndsvisning av utkastet."))).to_be_visible()
    expect(page.locator('a[href="tel:+4791234567"]').first).to_be_visible()
    fits_a_small_phone(page)
    page.get_by_role("link", name="← " + t("Tilbake til utkastet")).tap()

    page.get_by_label(t("Hva er endret?")).fill("Tekst og nummer")
    page.get_by_role("button", name=t("Publiser")).tap()
    expect(page.get_by_text(published(school))).to_be_visible()
    new_revision = int(page.get_by_role("heading", level=1).inner_text().split()[1])
    expect(page.locator("#innhold").get_by_text("Liten Skjerm", exact=True)).to_be_visible()
    fits_a_small_phone(page)

    page.goto(f"{base}/admin/revisjoner")
    fits_a_small_phone(page)

    old = new_revision - 1
    page.goto(f"{base}/admin/revisjoner/{old}")
    page.get_by_role("link", name=t("Gjenopprett revisjon %(id)s", id=old)).tap()
    expect(page.get_by_role("heading", name=t("Gjenopprette revisjon %(id)s?", id=old))).to_be_visible()
    expect(page.locator(".change-words ins", has_text=old_number)).to_be_visible()
    fits_a_small_phone(page)
    page.get_by_role("button", name=t("Ja, gjenopprett revisjon %(id)s", id=old)).tap()
    restored = t("Revisjon %(old)s er gjenopprettet som revisjon %(new)s.", old=old, new=new_revision + 1)
    expect(page.get_by_text(restored)).to_be_visible()

    page.goto(f"{base}/admin/innholdsfiler")
    fits_a_small_phone(page)
    # A broken zip: the error names the file, on the same page; then the downloaded plan goes back in.
    download = page.request.get(f"{base}/admin/innholdsfiler/plan.zip")
    assert download.ok
    with zipfile.ZipFile(io.BytesIO(download.body())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    (checklists,) = [name for name in files if name.endswith("checklists.yaml")]
    broken = zipped({**files, checklists: b"checklists: [uavsluttet\n"})
    upload = page.get_by_label(t("Zip-fil med innholdsmappen"))
    upload.set_input_files({"name": "plan.zip", "mimeType": "application/zip", "buffer": broken})
    page.get_by_role("button", name=t("Last opp til utkastet")).tap()
    expect(page.get_by_text(t("Zip-filen ble ikke lastet inn."))).to_be_visible()
    expect(page.get_by_text("checklists.yaml", exact=True)).to_be_visible()
    fits_a_small_phone(page)
    page.get_by_label(t("Zip-fil med innholdsmappen")).set_input_files(
        {"name": "plan.zip", "mimeType": "application/zip", "buffer": download.body()}
    )
    page.get_by_role("button", name=t("Last opp til utkastet")).tap()
    loaded = t("Zip-filen er lastet inn i utkastet. Se over endringene før du publiserer.")
    expect(page.get_by_text(loaded)).to_be_visible()
    expect(page.get_by_text(t("Ingen endringer."))).to_be_visible()
