"""Page weight budget of the first visit, measured in Chromium on the benchmark's phone profile."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from benchmarks.pageweight import BUDGET_BYTES, BUDGET_HTML, measure

pytestmark = pytest.mark.browser


def test_first_visit_stays_within_the_page_weight_budget(live_server, browser: Browser):
    """The home page needs at most 60 kB on the wire (HTML under 14 kB); offline it still paints."""
    run = measure(browser, live_server.url)
    kinds = {kind for kind, _, _ in run.resources}
    assert {"Document", "Stylesheet", "Script"} <= kinds
    assert 0 < run.html_bytes < BUDGET_HTML
    assert run.page_bytes <= BUDGET_BYTES
    # No web fonts, and no htmx on a public page; everything from our own origin.
    assert "Font" not in kinds
    assert not [address for _, address, _ in run.resources if "htmx" in address]
    assert all(address.startswith("/") for _, address, _ in run.resources)
    # The offline copy was downloaded in the background, and the page painted when reopened offline.
    assert run.precache_requests > 20
    assert run.lcp is not None and run.lcp > 0
    assert run.lcp_offline is not None and run.lcp_offline > 0
