"""Malformed or deeply nested JSON answers 400 on every route that reads JSON, never a 500."""

from __future__ import annotations

import logging

import pytest

from backend.extensions import db
from backend.json_input import MAX_DEPTH, nesting_depth
from backend.models import Place
from backend.services.alerts import alerts as alert_service
from tests.support import admin_client, token

BAD_BODIES = [
    b"[" * 15000,
    b'{"a":' * 3000,
    b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
    b"[1,",
    b'{"endpoint": "x"',
    b"\xff\xfe\x00",
    b"NaN]",
]
JSON_TYPES = ["application/json", "application/reports+json", "application/csp-report"]


@pytest.fixture
def site(app):
    """An admin (also a leader) logged in, and one alert to answer."""
    client = admin_client(app)
    with app.app_context():
        place = Place(name="Rom 204")
        db.session.add(place)
        db.session.commit()
        alert = alert_service.create_alert("alternativ-3", place.id)
        ack = f"/varsel/{alert.id}/kvitter/{alert_service.ack_token(alert)}"
    return client, token(client), ack


def json_routes(ack: str) -> list[str]:
    return [
        "/csp-rapport",
        "/varsel/abonnement",
        "/varsel/abonnement/status",
        "/varsel/abonnement/slett",
        "/varsel/abonnement/bytt",
        ack,
    ]


@pytest.mark.parametrize("body", BAD_BODIES, ids=lambda b: repr(b[:12]))
def test_every_json_route_answers_400_to_bad_json(app, site, body, caplog):
    """Deep nesting (`[` × 15,000), a cut-off body or bytes that are not UTF-8: 400, no traceback."""
    client, csrf, ack = site
    caplog.set_level(logging.ERROR)
    for url in json_routes(ack):
        for content_type in JSON_TYPES if url == "/csp-rapport" else ["application/json"]:
            for who in (client, app.test_client()):
                response = who.post(
                    url, data=body, headers={"Content-Type": content_type, "X-CSRFToken": csrf}
                )
                if (
                    who is not client
                    and url.startswith("/varsel/abonnement")
                    and url != ("/varsel/abonnement/bytt")
                ):
                    assert response.status_code in {302, 400, 401}, (url, response.status_code)
                    continue
                assert response.status_code == 400, (url, content_type, response.status_code)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_nesting_is_counted_outside_strings():
    """Brackets inside strings do not count; real bodies are a few levels deep."""
    assert nesting_depth('{"a": "[[[[[[[[[[[[[["}') == 1
    assert nesting_depth('[{"a": [1, {"b": "\\"]]]"}]}]') == 4
    assert nesting_depth("[" * 40) == 40
