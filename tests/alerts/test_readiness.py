"""Readiness of the call chain («Varslingsberedskap»): devices, deliveries, a 410 prune, drill answers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import Alert, AlertDelivery, DeliveryStatus, User, as_utc
from backend.services.alerts import readiness as readiness_service
from backend.services.alerts import sender as push_sender
from backend.services.alerts.alerts import ack_token
from backend.services.plan import revision_cache
from tests.alerts.conftest import add_device, wait_until
from tests.conftest import make_app
from tests.fakepush import GONE
from tests.push_support import PUSH_CONFIG, add_places
from tests.support import admin_client, login, make_user, post

DONE = (DeliveryStatus.DELIVERED, DeliveryStatus.GONE, DeliveryStatus.FAILED)
RECTOR, DEPUTY, SENDER = "rektor@skole.no", "ass@skole.no", "leder@skole.no"


@pytest.fixture
def app(tmp_path):
    """An app that may post to the fake push service; accounts are made as an admin would."""
    app = make_app(tmp_path, **PUSH_CONFIG)
    yield app
    push_sender.stop_sender(app)
    with app.app_context():
        db.engine.dispose()
    revision_cache.clear()


def readiness(app) -> readiness_service.Readiness:
    with app.app_context():
        state = readiness_service.chain_readiness(revision_cache.current().plan)
        db.session.expunge_all()
    return state


def person(state, contact_id: str) -> readiness_service.Person:
    return next(p for p in state.people if p.contact.id == contact_id)


def signed_in(app, email):
    client = app.test_client()
    login(client, email)
    return client


def test_readiness_follows_subscriptions_a_410_prune_and_a_drill_answer(app, fake_push):
    """Counts, last delivery and last drill answer are right at each step; the warning comes and goes."""
    rector, _ = make_user(
        app, RECTOR, ("leader",), totp=False, name="Kari Storm", contact_id="kristin-stoten"
    )
    deputy, _ = make_user(app, DEPUTY, ("leader",), totp=False, name="Hege Holm", contact_id="hilde-b-hansen")
    make_user(app, SENDER, ("leader",), totp=False, name="Siri Sender")  # a leader not in the chain
    (place,) = add_places(app, "Rom 204")

    state = readiness(app)
    assert [p.contact.id for p in state.people][:2] == ["kristin-stoten", "hilde-b-hansen"]
    assert (state.receivers, state.warning) == (0, True)
    assert person(state, "kristin-stoten").has_account
    assert not person(state, "kristine-marie-bukholm").has_account  # no account linked

    sender = signed_in(app, SENDER)
    page = sender.get("/varsel/beredskap").get_data(as_text=True)
    assert "Bare 0 av" in page and "data-readiness-warning" in page

    add_device(app, fake_push, user_id=rector, drills=True)
    state = readiness(app)
    assert (state.receivers, state.warning) == (1, True)
    add_device(app, fake_push, GONE, user_id=deputy, drills=True)
    state = readiness(app)
    assert (state.receivers, state.warning) == (2, False)
    assert person(state, "hilde-b-hansen").devices == 1
    assert person(state, "kristin-stoten").last_delivery is None
    page = sender.get("/varsel/beredskap").get_data(as_text=True)
    assert "data-readiness-warning" not in page and "2 av " in page
    assert "data-readiness-notice" not in sender.get("/konto").get_data(as_text=True)

    # A drill from the readiness page: the rektor's phone takes it, the deputy's is gone (410).
    response = post(sender, "/varsel/beredskap/ovelse", {"place": place})
    assert response.status_code == 302
    with app.app_context():
        drill = db.session.execute(select(Alert)).scalars().one()
        assert drill.drill
        drill_id, token = drill.id, ack_token(drill)

    def settled():
        rows = db.session.execute(select(AlertDelivery).where(AlertDelivery.alert_id == drill_id)).scalars()
        rows = list(rows)
        return rows if rows and all(r.status in DONE for r in rows) else None

    wait_until(app, settled)
    with app.app_context():
        delivered_at = db.session.execute(
            select(AlertDelivery.delivered_at).where(
                AlertDelivery.alert_id == drill_id, AlertDelivery.user_id == rector
            )
        ).scalar_one()
        assert db.session.get(User, deputy).push_dropped_at is not None
    state = readiness(app)
    assert person(state, "kristin-stoten").last_delivery == as_utc(delivered_at)
    dropped = person(state, "hilde-b-hansen")
    assert (dropped.devices, dropped.can_receive, dropped.last_delivery) == (0, False, None)
    assert dropped.dropped_at is not None
    assert (state.receivers, state.warning) == (1, True)
    assert state.last_drill.alert.id == drill_id and state.last_drill.answered == []
    page = sender.get("/varsel/beredskap").get_data(as_text=True)
    assert "data-readiness-warning" in page and "koblet fra av push-tjenesten" in page

    # The deputy learns on her next visit that her phone no longer gets alerts.
    deputy_client = signed_in(app, DEPUTY)
    assert "data-device-dropped" in deputy_client.get("/konto").get_data(as_text=True)
    assert "data-device-dropped" not in signed_in(app, RECTOR).get("/konto").get_data(as_text=True)

    # The rektor answers the drill: the view records it.
    rector_client = signed_in(app, RECTOR)
    assert post(rector_client, f"/varsel/{drill_id}/kvitter/{token}").status_code == 302
    state = readiness(app)
    assert person(state, "kristin-stoten").last_drill_answer is not None
    assert person(state, "hilde-b-hansen").last_drill_answer is None
    assert state.last_drill.answered == ["Kari Storm"]
    assert "Svar: Kari Storm." in sender.get("/varsel/beredskap").get_data(as_text=True)

    # She turns alerts on again: the notice and the warning go away.
    add_device(app, fake_push, user_id=deputy)
    state = readiness(app)
    assert (state.receivers, state.warning) == (2, False)
    assert person(state, "hilde-b-hansen").dropped_at is None
    page = deputy_client.get("/konto").get_data(as_text=True)
    assert "data-device-dropped" not in page and "data-readiness-notice" not in page


def test_the_warning_shows_on_admin_and_leader_pages_but_not_to_staff(app):
    """Fewer than two who can receive: a warning on /admin and a leader's pages; staff see none."""
    admin = admin_client(app)
    assert "data-few-receivers" in admin.get("/admin").get_data(as_text=True)
    make_user(app, SENDER, ("leader",), totp=False)
    assert "data-few-receivers" in signed_in(app, SENDER).get("/varsel/innstillinger").get_data(as_text=True)
    make_user(app, "lise@skole.no", ("staff",), totp=False)
    assert "data-readiness-notice" not in signed_in(app, "lise@skole.no").get("/konto").get_data(as_text=True)


def test_a_drill_with_nobody_to_reach_says_so(app):
    """A drill no device takes is not shown as sent."""
    make_user(app, SENDER, ("leader",), totp=False)
    (place,) = add_places(app, "Rom 204")
    client = signed_in(app, SENDER)
    response = post(client, "/varsel/beredskap/ovelse", {"place": place}, follow_redirects=True)
    assert "Øvelsen nådde ingen" in response.get_data(as_text=True)
    assert post(client, "/varsel/beredskap/ovelse", {"place": "999"}).status_code == 422


def test_staff_cannot_see_readiness_or_send_drills(app):
    """Readiness and drills are for leaders and admins."""
    make_user(app, "lise@skole.no", ("staff",), totp=False)
    client = signed_in(app, "lise@skole.no")
    assert client.get("/varsel/beredskap").status_code == 403
    assert post(client, "/varsel/beredskap/ovelse", {"place": "1"}).status_code == 403


def test_the_warning_stays_off_the_alert_pages(app):
    """On the alert form and an alert's own page the warning does not push the call list down."""
    make_user(app, SENDER, ("leader",), totp=False)
    (place,) = add_places(app, "Rom 204")
    client = signed_in(app, SENDER)
    assert "data-readiness-notice" not in client.get("/varsel/ny").get_data(as_text=True)
    response = post(client, "/varsel/ny", {"alternative": "alternativ-3", "place": place, "drill": "0"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "data-readiness-notice" not in page
    assert "data-readiness-notice" in client.get("/varsel/historikk").get_data(as_text=True)
