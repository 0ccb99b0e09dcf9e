"""Accounts linked to the people in the plan's contact list: chosen by an admin, never by name."""

from __future__ import annotations

import pytest

from backend.extensions import db
from backend.models import Alert, Place, User
from backend.services import contact_links
from backend.services.alerts import alerts as alert_service
from backend.services.alerts import sender as push_sender
from backend.services.alerts import status as alert_status
from backend.services.plan import revision_cache
from tests.conftest import make_app
from tests.support import admin_client, csrf_token, login, make_user
from tests.test_admin import contact_form, publish

LEADER = "rektor@skole.no"


@pytest.fixture
def app(tmp_path):
    """A fresh app; its push sender (woken by the alerts here) is stopped before the database goes."""
    app = make_app(tmp_path)
    yield app
    push_sender.stop_sender(app)
    with app.app_context():
        db.engine.dispose()
    revision_cache.clear()


@pytest.fixture
def admin(app):
    """A client logged in as an admin."""
    return admin_client(app)


def link_form(admin, user_id: int, contact: str):
    html = admin.get(f"/admin/brukere/{user_id}").get_data(as_text=True)
    return admin.post(
        f"/admin/brukere/{user_id}/kontakt", data={"csrf_token": csrf_token(html), "contact": contact}
    )


def answer_role(app, user_id: int) -> str:
    """Let the user answer a new alert on its page and return the role the sender's screen shows."""
    with app.app_context():
        place = db.session.execute(db.select(Place)).scalars().first()
        if place is None:
            place = Place(name="Rom 204")
            db.session.add(place)
            db.session.commit()
        alert = alert_service.create_alert("alternativ-3", place.id, sender_user_id=None)
        url = f"/varsel/{alert.id}/kvitter/{alert_service.ack_token(alert)}"
        email = db.session.get(User, user_id).email
    leader = app.test_client()
    login(leader, email)
    assert leader.post(url).status_code == 302
    with app.app_context():
        status = alert_status.alert_status(db.session.get(Alert, alert.id), revision_cache.current().plan)
    assert len(status.answers) == 1
    return status.answers[0].role


def test_the_admin_links_an_account_and_the_answer_shows_the_contacts_role(app, admin):
    """«(rektor)» on an answer comes from the link the admin chose in the user screen."""
    user_id, _ = make_user(app, LEADER, ("leader",), totp=False, name="Kristin")
    page = admin.get(f"/admin/brukere/{user_id}").get_data(as_text=True)
    assert "Kristin Støten (Rektor)" in page  # the plan's people are offered, not guessed
    assert answer_role(app, user_id) == "leder"
    assert link_form(admin, user_id, "kristin-stoten").status_code == 302
    assert answer_role(app, user_id) == "rektor"


def test_a_same_name_account_without_a_link_gets_no_role(app):
    """An account named like the rektor is not the rektor until an admin says so."""
    user_id, _ = make_user(app, LEADER, ("leader",), totp=False, name="Kristin Støten")
    assert answer_role(app, user_id) == "leder"


def test_link_survives_renaming_the_account(app, admin):
    """Renaming the account keeps its role on answers."""
    user_id, _ = make_user(app, LEADER, ("leader",), totp=False, name="Kristin Støten")
    assert link_form(admin, user_id, "kristin-stoten").status_code == 302
    with app.app_context():
        db.session.get(User, user_id).name = "K. Støten-Olsen"
        db.session.commit()
    assert answer_role(app, user_id) == "rektor"


def test_link_survives_renaming_the_contact_in_a_published_revision(app, admin):
    """The admin editor renames the contact and publishes: the account is still that person."""
    user_id, _ = make_user(app, LEADER, ("leader",), totp=False, name="Kristin Støten")
    assert link_form(admin, user_id, "kristin-stoten").status_code == 302
    form = contact_form(admin, "kristin-stoten")
    admin.post("/admin/kontakter/kristin-stoten", data={**form, "name": "Kristin Støten Berg"})
    assert publish(admin, "Nytt navn").status_code == 302
    with app.app_context():
        plan = revision_cache.current().plan
        contact = contact_links.contact_for(db.session.get(User, user_id), plan)
    assert contact is not None and contact.name == "Kristin Støten Berg"
    assert answer_role(app, user_id) == "rektor"
    page = admin.get(f"/admin/brukere/{user_id}").get_data(as_text=True)
    assert "Kristin Støten Berg (Rektor)" in page and '<option selected value="kristin-stoten">' in page


def test_one_account_per_contact_and_only_the_plans_people(app, admin):
    """A contact already linked, or one not in the plan, is refused with a Norwegian message."""
    first, _ = make_user(app, LEADER, ("leader",), totp=False, name="Kristin Støten")
    second, _ = make_user(app, "annen@skole.no", ("leader",), totp=False, name="Annen")
    assert link_form(admin, first, "kristin-stoten").status_code == 302
    taken = link_form(admin, second, "kristin-stoten")
    assert taken.status_code == 422
    assert "allerede koblet til kontoen til Kristin Støten" in taken.get_data(as_text=True)
    assert link_form(admin, second, "finnes-ikke").status_code == 422
    assert link_form(admin, first, "").status_code == 302  # remove the link
    assert link_form(admin, second, "kristin-stoten").status_code == 302


def test_the_call_list_leaves_out_the_person_looking_at_it(app):
    """The rektor's own alert page lists the others to call, not herself."""
    user_id, _ = make_user(app, LEADER, ("leader",), totp=False, contact_id="kristin-stoten")
    with app.app_context():
        plan = revision_cache.current().plan
        place = Place(name="Rom 204")
        db.session.add(place)
        db.session.commit()
        alert = alert_service.create_alert("alternativ-3", place.id, sender_user_id=None)
        status = alert_status.alert_status(alert, plan)
        user = db.session.get(User, user_id)
        shown = alert_status.chain_for(status, plan.call_chain(), user, plan)
        everyone = alert_status.chain_for(status, plan.call_chain())
    assert everyone[0].id == "kristin-stoten"
    assert "kristin-stoten" not in [c.id for c in shown]
    assert len(shown) == len(everyone) - 1
