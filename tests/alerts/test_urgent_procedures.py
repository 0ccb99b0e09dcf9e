"""Alerts are about the plan's urgent procedures, whatever the school calls them: no code names an id.

A plan whose urgent procedures are «akutt-a», «akutt-b» and «akutt-c» works through the alert form,
the push to the leaders' phones, the alert page, the history, drills and the offline page.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import Alert
from backend.services.alerts import alerts as push_service
from backend.services.alerts import sender as push_sender
from tests.alerts.conftest import add_device
from tests.conftest import make_app
from tests.html_parse import find, parse
from tests.push_support import PUSH_CONFIG, add_places, publish_urgent_elsewhere
from tests.support import login, make_user, post

ROOT = Path(__file__).resolve().parents[2]
# Where the alert feature lives: none of it may name one school's procedure ids.
ALERT_CODE = [
    ROOT / "backend/services/alerts",
    ROOT / "backend/routes/alerts.py",
    ROOT / "backend/forms.py",
    ROOT / "backend/models.py",
    ROOT / "frontend/static/js",
    ROOT / "frontend/templates/alerts",
    ROOT / "frontend/templates/pwa/offline.html",
]


@pytest.fixture
def app(tmp_path):
    """An app allowed to post to the fake push service; accounts made as the pages make them."""
    app = make_app(tmp_path, **PUSH_CONFIG)
    yield app
    push_sender.stop_sender(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def place_id(app) -> int:
    """A place from the admin's list: "Rom 204"."""
    (place,) = add_places(app, "Rom 204")
    return place


def _signed_in(app, email: str, roles: tuple[str, ...], name: str):
    make_user(app, email, roles, totp=False, name=name)
    client = app.test_client()
    login(client, email)
    return client


def _leader_id(app, email: str) -> int:
    from backend.services import accounts

    with app.app_context():
        return accounts.get_by_email(email).id


def _radio_labels(page: str) -> dict[str, str]:
    """Return value → label text of the form's «Hva gjelder det?» choices."""
    found = {}
    for field_id, value in re.findall(r'<input[^>]*id="(alternative-\d+)"[^>]*value="([^"]+)"', page):
        label = re.search(rf'<label for="{field_id}">([^<]*)</label>', page)
        found[value] = html.unescape(label.group(1)) if label else ""
    return found


def test_no_alert_code_names_a_procedure_id_of_one_school():
    """The alert services, routes, form, models, scripts and pages name no «alternativ-…» id."""
    files = [path for base in ALERT_CODE for path in ([base] if base.is_file() else sorted(base.rglob("*")))]
    files = [path for path in files if path.is_file() and "vendor" not in path.parts]
    assert len(files) > 10  # the folders are there: this test reads something
    named = [str(path.relative_to(ROOT)) for path in files if "alternativ-" in path.read_text("utf-8")]
    assert named == []


def test_three_other_urgent_procedures_through_form_push_page_and_history(app, fake_push, place_id):
    """Another school's urgent procedures are the form's choices, the pushed text, the alert page and
    the history; the plan's old ids are refused in Norwegian, and nothing is stored for them."""
    texts = publish_urgent_elsewhere(app)
    leader = _signed_in(app, "kristin@skole.no", ("leader",), "Kristin Støten")
    phone = add_device(app, fake_push, user_id=_leader_id(app, "kristin@skole.no"))
    sender = _signed_in(app, "lise@skole.no", ("staff",), "Lærer Lise")

    form = sender.get("/varsel/ny?alternativ=akutt-b").get_data(as_text=True)
    assert _radio_labels(form) == {
        "akutt-a": texts["akutt-a"],
        "akutt-b": texts["akutt-b"],
        "akutt-c": texts["akutt-c"],
    }
    assert re.search(r'<input checked[^>]*value="akutt-b"', form)
    assert "Alternativ 3" not in form and "Alternativ 4" not in form

    for gone in ("alternativ-3", "alternativ-1", "Ola i 2STA", ""):
        response = post(sender, "/varsel/ny", {"alternative": gone, "place": place_id, "drill": "0"})
        assert response.status_code == 422, gone
        page = response.get_data(as_text=True)
        assert "Velg et av planens akutte alternativer fra listen." in page or "Velg hva det gjelder." in page
    with app.app_context():
        assert db.session.execute(select(Alert)).first() is None

    response = post(sender, "/varsel/ny", {"alternative": "akutt-c", "place": place_id, "drill": "0"})
    assert response.status_code == 302
    alert_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Alert, alert_id).alternative == "akutt-c"

    (push,) = fake_push.wait_for(1, phone)
    assert push.message["body"] == f"{texts['akutt-c']} – Rom 204"
    assert push.message["alternative"] == "akutt-c"

    for client in (sender, leader):
        page = client.get(f"/varsel/{alert_id}").get_data(as_text=True)
        assert f"{texts['akutt-c']} – <strong>Rom 204</strong>" in page
    assert texts["akutt-c"] in leader.get("/varsel/historikk").get_data(as_text=True)


def test_the_alert_page_shows_the_numbers_the_leadership_calls_in_that_procedure(app, place_id):
    """akutt-b took the police step: its alert page has the police's number; akutt-a's has none."""
    publish_urgent_elsewhere(app)
    leader = _signed_in(app, "kristin@skole.no", ("leader",), "Kristin Støten")
    with app.app_context():
        police = push_service.current_plan().services()[0]
        with_police = push_service.create_alert("akutt-b", place_id).id
        without = push_service.create_alert("akutt-a", place_id).id
    page = parse(leader.get(f"/varsel/{with_police}").data)
    (section,) = [s for s in find(page, "section") if s.has_class("police")]
    assert f"Ledelsen kontakter {police.label.lower()}" in section.text
    assert 'href="tel:' in leader.get(f"/varsel/{with_police}").get_data(as_text=True)
    assert police.phone in section.text.replace(" ", "")
    assert not [
        s for s in find(parse(leader.get(f"/varsel/{without}").data), "section") if s.has_class("police")
    ]


def test_a_drill_is_about_the_plans_first_urgent_procedure(app, fake_push, place_id):
    """The readiness page's drill names the first urgent procedure of the plan, whatever its id."""
    texts = publish_urgent_elsewhere(app)
    leader = _signed_in(app, "kristin@skole.no", ("leader",), "Kristin Støten")
    phone = add_device(app, fake_push, user_id=_leader_id(app, "kristin@skole.no"), drills=True)
    other = _signed_in(app, "hilde@skole.no", ("leader",), "Hilde Hansen")
    response = post(other, "/varsel/beredskap/ovelse", {"place": place_id})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.execute(select(Alert.alternative, Alert.drill)).one() == ("akutt-a", True)
    (push,) = fake_push.wait_for(1, phone)
    assert push.message["title"].startswith("ØVELSE")
    assert push.message["body"] == f"{texts['akutt-a']} – Rom 204"
    assert leader.get("/varsel/historikk").status_code == 200


def test_an_old_alert_whose_procedure_the_plan_dropped_still_shows(app, place_id):
    """Sent about «alternativ-3», then the plan changed: the page, history and push name it by its id."""
    leader = _signed_in(app, "kristin@skole.no", ("leader",), "Kristin Støten")
    with app.app_context():
        first = push_service.current_plan().urgent_procedures()[0]
        alert_id = push_service.create_alert(first.id, place_id).id
    publish_urgent_elsewhere(app)
    page = leader.get(f"/varsel/{alert_id}")
    assert page.status_code == 200
    assert f"{first.id} – <strong>Rom 204</strong>" in page.get_data(as_text=True)
    history = leader.get("/varsel/historikk")
    assert history.status_code == 200 and first.id in history.get_data(as_text=True)
    with app.app_context():
        assert push_service.alert_payload(db.session.get(Alert, alert_id))["body"] == f"{first.id} – Rom 204"


def test_the_offline_page_lists_the_plans_urgent_procedures(app):
    """/offline names the plan's urgent procedures, links their Akutt pages, and gives the offline
    alert queue exactly their ids and texts (nothing else can be kept)."""
    texts = publish_urgent_elsewhere(app)
    page = app.test_client().get("/offline").get_data(as_text=True)
    labels = re.search(r"data-alert-labels='([^']*)'", page)
    assert json.loads(html.unescape(labels.group(1))) == texts
    listed = re.search(r"<ul[^>]*data-urgent-procedures>(.*?)</ul>", page, re.S).group(1)
    assert re.findall(r'href="/akutt/([^"]+)"', listed) == ["akutt-a", "akutt-b", "akutt-c"]
    for text in texts.values():
        assert html.escape(text, quote=False) in listed
