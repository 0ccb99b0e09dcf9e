"""Public pages are built once per plan revision: a page view neither re-parses the plan nor re-renders."""

from __future__ import annotations

import shutil

import pytest

from backend.routes import common as public
from backend.services import plan as plan_service
from tests.conftest import CONTENT


@pytest.fixture
def counters(monkeypatch):
    """Count how often the plan is rebuilt from the database and how often a template is rendered."""
    calls = {"plan_from_data": 0, "render_template": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        plan_service, "plan_from_data", counting("plan_from_data", plan_service.plan_from_data)
    )
    monkeypatch.setattr(public, "render_template", counting("render_template", public.render_template))
    return calls


def test_a_second_page_view_rebuilds_nothing(client, counters):
    """The first view parses the revision and renders the page; later views are served from the cache."""
    first = client.get("/sjekkliste")
    assert counters == {"plan_from_data": 1, "render_template": 1}
    for _ in range(3):
        again = client.get("/sjekkliste")
        assert again.data == first.data
    assert counters == {"plan_from_data": 1, "render_template": 1}
    client.get("/kontakter")
    assert counters == {"plan_from_data": 1, "render_template": 2}


def test_a_new_revision_is_picked_up_on_the_next_view(app, client, counters, tmp_path):
    """After an import, the next view shows the new text, parsed once and rendered once."""
    before = client.get("/sjekkliste").get_data(as_text=True)
    assert "Har eleven kanskje sluttet" not in before
    folder = tmp_path / "halden-vgs"
    shutil.copytree(CONTENT, folder)
    checklist = folder / "checklists.yaml"
    text = checklist.read_text(encoding="utf-8").replace("Har eleven sluttet", "Har eleven kanskje sluttet")
    checklist.write_text(text, encoding="utf-8")
    with app.app_context():
        _revision, created = plan_service.import_folder(folder)
    assert created
    after = client.get("/sjekkliste").get_data(as_text=True)
    assert "Har eleven kanskje sluttet" in after
    client.get("/sjekkliste")
    assert counters == {"plan_from_data": 2, "render_template": 2}


def test_cached_pages_tell_caches_they_vary_on_htmx(client):
    """A cached page says it varies on HX-Request, so a browser never mixes a block with a full page."""
    full = client.get("/sjekkliste")
    partial = client.get("/sjekkliste", headers={"HX-Request": "true"})
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in partial.headers["Vary"]
    assert client.get("/sjekkliste").data == full.data
