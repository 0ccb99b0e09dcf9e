"""The decision-tree and role editors on a 360 px phone: tap through, nothing saved by a row button,
a broken tree refused in words, a role added and removed after the page asks.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from backend.content.guide_schema import procedure_name
from backend.services import draft as drafts
from backend.services import guide
from tests.browser.conftest import School
from tests.browser.test_admin_phone import signed_in  # noqa: F401 (the signed-in phone profile)

pytestmark = pytest.mark.browser


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _small_targets(page: Page, selector: str) -> list[str]:
    """Buttons and links under `selector` smaller than 44 × 44 px."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.textContent.trim(), el.getBoundingClientRect()])
            .filter(([, r]) => r.width < 44 || r.height < 44)
            .map(([text, r]) => `${text} ${Math.round(r.width)}x${Math.round(r.height)}`)""",
        selector,
    )


def urgent_before_calm(school: School) -> list[tuple[str, int]]:
    """A question whose answers start with urgent ones followed by a calm one: (its id, the index of the
    last urgent answer), whose move down breaks the urgent-first rule. The first such question only."""
    urgent = set(school.urgent_ids())
    for question in school.plan.guide.questions:
        leads = [answer.procedure in urgent for answer in question.answers]
        first_calm = leads.index(False) if False in leads else 0
        if first_calm > 0:
            return [(question.id, first_calm - 1)]
    return []


ROLE = "Skolebibliotekar"  # a role neither school has


@pytest.mark.per_school("question_id, index", urgent_before_calm)
def test_edit_the_questions_and_a_role_on_a_phone(
    signed_in: BrowserContext,  # noqa: F811
    live_server,
    school: School,
    question_id: str,
    index: int,
):
    """Move an urgent answer below a calm one (not saved), save that tree, which breaks the urgent-first
    rule (refused in words, typed text kept), then add a role and remove it through its confirmation page."""
    t = school.t
    app = live_server.app
    question = guide.question(school.plan.guide, question_id)
    calm = question.answers[index + 1].label
    changed = f"{question.text} (endra)"
    page = signed_in.new_page()
    with app.app_context():
        before = drafts.current().data  # other tests on this server may have left a draft
    try:
        page.goto(f"{live_server.url}/admin")
        page.get_by_role("link", name=t("Spørsmålene")).tap()
        page.locator("a.admin-item-main", has_text=question.text).tap()
        expect(page.get_by_role("heading", name=t("Endre spørsmål"))).to_be_visible()
        _fits(page)
        assert not _small_targets(page, "main form button:not(.visually-hidden), main a.button")
        page.get_by_label(t("Spørsmålet"), exact=True).fill(changed)
        page.get_by_role("button", name=t("Flytt svar %(number)s ned", number=index + 1)).tap()
        expect(page.locator(f"#svar-{index} input[type=text]")).to_have_value(calm)
        expect(page.get_by_label(t("Spørsmålet"), exact=True)).to_have_value(changed)
        with app.app_context():
            assert drafts.current().data == before  # a row button saves nothing
        save = page.locator("form.form button.button:not(.button-secondary)", has_text=t("Lagre i utkastet"))
        save.tap()
        alert = page.locator("#problemer")
        # The content check's sentence (backend/content/guide_schema.py) in the school's language, naming
        # the urgent procedure by its label and title; what comes before the colon names the place.
        refusal = t(
            "%(where)s: leder til et akutt alternativ, %(procedure)s, og må stå før svaret «%(answer)s»",
            where="",
            procedure=procedure_name(school.plan.procedure(question.answers[index].procedure)),
            answer=calm,
        )
        expect(alert).to_contain_text(refusal.removeprefix(": "))
        expect(page.get_by_label(t("Spørsmålet"), exact=True)).to_have_value(changed)
        _fits(page)

        page.goto(f"{live_server.url}/admin/roller")
        page.get_by_role("link", name=t("Legg til rolle")).tap()
        page.get_by_label(t("Navn på rollen")).fill(ROLE)
        page.get_by_role("button", name=t("Lagre i utkastet")).tap()
        expect(page.get_by_text(t("Rollen «%(label)s» er lagt til i utkastet.", label=ROLE))).to_be_visible()
        page.get_by_role("link", name=t("Fjern rollen %(label)s", label=ROLE)).tap()
        expect(page.get_by_role("heading", name=t("Fjerne rollen «%(label)s»?", label=ROLE))).to_be_visible()
        _fits(page)
        page.get_by_role("button", name=t("Ja, fjern")).tap()
        expect(page.get_by_text(t("Rollen «%(label)s» er fjernet fra utkastet.", label=ROLE))).to_be_visible()
        with app.app_context():
            assert all(role["label"] != ROLE for role in drafts.current().data["roles"])
    finally:
        page.close()
