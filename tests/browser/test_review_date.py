"""The public evaluation page says the review is late also in a copy stored before the date passed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from backend.services import accounts

pytestmark = pytest.mark.browser


def test_a_copy_rendered_before_the_review_date_says_late_once_the_phone_date_is_past(
    page: Page, live_server, monkeypatch
):
    """The server rendered the page while the date was ahead (a cache or the offline copy keeps such a
    page); the phone's clock is past it, so review.js shows «Revisjonen er forsinket» all the same."""
    monkeypatch.setattr(accounts, "now", lambda: datetime(2026, 5, 20, 9, tzinfo=UTC))
    html = page.request.get(f"{live_server.url}/om-planen/evaluering").text()
    assert "data-review-late" in html and 'data-due="2026-06-01" hidden' in html
    page.clock.set_fixed_time(datetime(2026, 6, 2, 9, tzinfo=UTC))
    page.goto(f"{live_server.url}/om-planen/evaluering")
    expect(page.get_by_text("Revisjonen er forsinket.")).to_be_visible()
    expect(page.get_by_text("Juni 2026")).to_be_visible()


def test_before_the_date_the_page_looks_current(page: Page, live_server, monkeypatch):
    """Before the review date neither the server nor the script says anything is late."""
    monkeypatch.setattr(accounts, "now", lambda: datetime(2026, 5, 20, 9, tzinfo=UTC))
    page.clock.set_fixed_time(datetime(2026, 5, 20, 9, tzinfo=UTC))
    page.goto(f"{live_server.url}/om-planen/evaluering")
    expect(page.get_by_text("Juni 2026")).to_be_visible()
    expect(page.get_by_text("Revisjonen er forsinket.")).to_be_hidden()
