"""The public evaluation page says the review is late also in a copy stored before the date passed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from backend.services import accounts
from backend.template_helpers import upper_first
from tests.browser.conftest import School
from tests.browser.flow_support import live_plan

pytestmark = pytest.mark.browser


def review_dates(live_server) -> tuple[datetime, datetime, str]:
    """A morning twelve days before the plan's review date, one the day after it, and the date as shown."""
    evaluation = live_plan(live_server).meta.evaluation
    due = datetime.combine(evaluation.next_revision_date, time(9), tzinfo=UTC)
    return due - timedelta(days=12), due + timedelta(days=1), upper_first(evaluation.next_revision)


def test_a_copy_rendered_before_the_review_date_says_late_once_the_phone_date_is_past(
    page: Page, live_server, school: School, monkeypatch
):
    """The server rendered the page while the date was ahead (a cache or the offline copy keeps such a
    page); the phone's clock is past it, so review.js shows «Revisjonen er forsinket» all the same."""
    before, after, shown = review_dates(live_server)
    due = live_plan(live_server).meta.evaluation.next_revision_date.isoformat()
    monkeypatch.setattr(accounts, "now", lambda: before)
    html = page.request.get(f"{live_server.url}/om-planen/evaluering").text()
    assert "data-review-late" in html and f'data-due="{due}" hidden' in html
    page.clock.set_fixed_time(after)
    page.goto(f"{live_server.url}/om-planen/evaluering")
    expect(page.get_by_text(school.t("Revisjonen er forsinket."))).to_be_visible()
    expect(page.get_by_text(shown)).to_be_visible()


def test_before_the_date_the_page_looks_current(page: Page, live_server, school: School, monkeypatch):
    """Before the review date neither the server nor the script says anything is late."""
    before, _after, shown = review_dates(live_server)
    monkeypatch.setattr(accounts, "now", lambda: before)
    page.clock.set_fixed_time(before)
    page.goto(f"{live_server.url}/om-planen/evaluering")
    expect(page.get_by_text(shown)).to_be_visible()
    expect(page.get_by_text(school.t("Revisjonen er forsinket."))).to_be_hidden()
