"""The alert pages under /varsel and the places admin: logins, roles, the form, the live screen, history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.forms import AlertForm
from backend.models import Alert, AlertDelivery, Place, PushSubscription
from backend.services import alerts as push_service
from backend.services import plan as plan_service
from backend.services.alerts import sender as push_sender
from tests.conftest import make_app
from tests.push_support import PUSH_CONFIG, add_places, browser_subscription
from tests.support import admin_client, login, make_user, post, token


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, **PUSH_CONFIG)
    yield app
    push_sender.stop_sender(app)
    with app.app_context():
        db.engine.dispose()


def signed_in(app, email, roles, name=None, contact_id=None):
    make_user(app, email, roles, totp=False, name=name, contact_id=contact_id)
    client = app.test_client()
    login(client, email)
    return client


def subscribe_json(client, body):
    return client.post("/varsel/abonnement", json=body, headers={"X-CSRFToken": token(client)})


@pytest.mark.parametrize(
    "url", ["/varsel/innstillinger", "/varsel/ny?alternativ=alternativ-3", "/varsel/historikk"]
)
def test_alert_pages_need_a_login_and_come_back_after_it(app, url):
    """Signed out, every alert page sends you to the login, and back to the page afterwards."""
    response = app.test_client().get(url)
    assert response.status_code == 302
    assert "/konto/logg-inn?next=" in response.headers["Location"]


def test_login_returns_to_the_alert_form(app):
    """From «Varsle ledelsen», logging in lands on the alert form with the alternative chosen."""
    make_user(app, "lise@skole.no", ("staff",), totp=False)
    client = app.test_client()
    client.get("/varsel/ny?alternativ=alternativ-4")
    client.get("/konto/logg-inn?next=/varsel/ny?alternativ%3Dalternativ-4")
    response = login(client, "lise@skole.no")
    assert response.headers["Location"].endswith("/varsel/ny?alternativ=alternativ-4")
    html = client.get("/varsel/ny?alternativ=alternativ-4").get_data(as_text=True)
    assert re.search(
        r'<input checked id="alternative-1" name="alternative" required type="radio" value="alternativ-4"',
        html,
    )


def test_emergency_page_links_to_the_alert_below_every_call_button(client):
    """The public emergency screen stays the same for everyone: a plain link, after every tel: link."""
    html = client.get("/akutt/alternativ-3").get_data(as_text=True)
    link = html.index('href="/varsel/ny?alternativ=alternativ-3"')
    assert html.rfind('href="tel:') < link
    assert "csrf" not in html.lower()


def test_alert_form_has_no_free_text_field(app):
    """Student-data guard: the form is choices and a hidden flag only; no textarea, no text input."""
    add_places(app, "Rom 204", "Kantina")
    with app.test_request_context():
        form = AlertForm()
        kinds = {name: type(field).__name__ for name, field in form._fields.items()}
    assert kinds == {
        "alternative": "RadioField",
        "place": "RadioField",
        "drill": "HiddenField",
        "csrf_token": "CSRFTokenField",
    }
    client = signed_in(app, "lise@skole.no", ("staff",))
    html = client.get("/varsel/ny").get_data(as_text=True)
    form_html = html[html.index('<form method="post" action="/varsel/ny"') :]
    form_html = form_html[: form_html.index("</form>")]
    assert "<textarea" not in form_html
    types = re.findall(r'<input[^>]*type="([^"]+)"', form_html)
    assert set(types) == {"radio", "hidden"}
    assert "Rom 204" in form_html and "Kantina" in form_html
    assert "data-drill-mark hidden>ØVELSE" in form_html


def test_alert_model_has_no_free_text_column(app):
    """Student-data guard: the one text column of an alert is a procedure's id (a slug), never free text."""
    text_columns = [c.name for c in Alert.__table__.columns if c.type.python_type is str]
    assert text_columns == ["alternative"]
    assert Alert.__table__.c.alternative.type.length == 64
    checks = {
        c.name: str(c.sqltext) for c in Alert.__table__.constraints if c.name == "ck_alert_alternative_id"
    }
    assert "lower(alternative)" in checks["ck_alert_alternative_id"]


def test_staff_sends_alert_to_leaders_devices_only(app):
    """The alert goes to every leader's alert device; not to staff, nor to leaders' drill-only devices."""
    (place,) = add_places(app, "Rom 204")
    make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    make_user(app, "per@skole.no", ("staff",), totp=False)
    with app.app_context():
        from backend.services import accounts

        leader_id = accounts.get_by_email("kristin@skole.no").id
        staff_id = accounts.get_by_email("per@skole.no").id
        push_service.subscribe(
            browser_subscription("https://fcm.googleapis.com/a"), user_id=leader_id, alerts=True
        )
        push_service.subscribe(
            browser_subscription("https://fcm.googleapis.com/b"), user_id=staff_id, alerts=True
        )
        push_service.subscribe(
            browser_subscription("https://fcm.googleapis.com/c"), user_id=leader_id, drills=True
        )
    client = signed_in(app, "lise@skole.no", ("staff",))
    response = post(client, "/varsel/ny", {"alternative": "alternativ-3", "place": place, "drill": "0"})
    assert response.status_code == 302
    with app.app_context():
        alert = db.session.execute(select(Alert)).scalar_one()
        rows = (
            db.session.execute(select(AlertDelivery).where(AlertDelivery.alert_id == alert.id))
            .scalars()
            .all()
        )
        assert [row.user_id for row in rows] == [leader_id]
        assert alert.drill is False and alert.place.name == "Rom 204"
    assert response.headers["Location"].endswith(f"/varsel/{alert.id}")


def test_drill_goes_only_to_devices_that_opted_in(app):
    """In drill mode the alert is marked ØVELSE and reaches only leaders' devices opted into drills."""
    (place,) = add_places(app, "Kantina")
    make_user(app, "kristin@skole.no", ("leader",), totp=False)
    with app.app_context():
        from backend.services import accounts

        leader_id = accounts.get_by_email("kristin@skole.no").id
        push_service.subscribe(
            browser_subscription("https://fcm.googleapis.com/a"), user_id=leader_id, alerts=True
        )
        push_service.subscribe(
            browser_subscription("https://fcm.googleapis.com/c"), user_id=leader_id, drills=True
        )
    client = signed_in(app, "lise@skole.no", ("staff",))
    response = post(client, "/varsel/ny", {"alternative": "alternativ-4", "place": place, "drill": "1"})
    assert response.status_code == 302
    with app.app_context():
        alert = db.session.execute(select(Alert)).scalar_one()
        assert alert.drill is True
        endpoints = [row.subscription.endpoint for row in db.session.execute(select(AlertDelivery)).scalars()]
        assert endpoints == ["https://fcm.googleapis.com/c"]
        assert push_service.alert_payload(alert)["title"].startswith("ØVELSE")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ØVELSE" in page


def test_alert_form_refuses_a_missing_or_inactive_place(app):
    """A place that is not on the active list is refused with a clear message, and nothing is stored."""
    (place,) = add_places(app, "Gamle gymsalen")
    with app.app_context():
        db.session.get(Place, place).active = False
        db.session.commit()
    client = signed_in(app, "lise@skole.no", ("staff",))
    response = post(client, "/varsel/ny", {"alternative": "alternativ-3", "place": place, "drill": "0"})
    assert response.status_code == 422
    assert "Ingen steder er lagt inn" in response.get_data(as_text=True)
    response = post(client, "/varsel/ny", {"alternative": "alternativ-9", "drill": "0"})
    assert response.status_code == 422
    assert "Velg et av planens akutte alternativer fra listen." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Alert)).first() is None


def _send(app, client, place, **extra):
    response = post(
        client, "/varsel/ny", {"alternative": "alternativ-3", "place": place, "drill": "0", **extra}
    )
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_sender_screen_counts_and_names_who_is_coming(app):
    """The sender sees devices and deliveries, then «Kristin Støten (rektor): kommer»; polling stops."""
    (place,) = add_places(app, "Rom 204")
    leader = signed_in(
        app, "kristin@skole.no", ("leader",), name="Kristin Støten", contact_id="kristin-stoten"
    )
    assert subscribe_json(leader, {"subscription": browser_subscription(), "alerts": True}).status_code == 200
    sender = signed_in(app, "lise@skole.no", ("staff",))
    alert_id = _send(app, sender, place)
    html = sender.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert "Sendt til 1 enhet, levert til 0." in html
    assert 'hx-trigger="every 3s"' in html
    assert html.index('href="tel:') < html.index("Status")
    with app.app_context():
        token_ = push_service.ack_token(db.session.get(Alert, alert_id))
    answer = leader.post(f"/varsel/{alert_id}/kvitter/{token_}")
    assert answer.status_code == 302
    fragment = sender.get(f"/varsel/{alert_id}", headers={"HX-Request": "true", "HX-Target": "varsel-live"})
    text = fragment.get_data(as_text=True)
    assert "Kristin Støten (rektor): kommer" in text
    assert "<html" not in text and "hx-trigger" not in text
    assert fragment.headers["Cache-Control"] == "no-store"


def test_no_answer_in_two_minutes_puts_the_next_person_on_top(app):
    """After two minutes without an answer the screen says so, and assisterende rektor is the first call."""
    (place,) = add_places(app, "Rom 204")
    sender = signed_in(app, "lise@skole.no", ("staff",))
    alert_id = _send(app, sender, place)
    before = sender.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert "Ingen har svart på 2 minutter" not in before
    with app.app_context():
        alert = db.session.get(Alert, alert_id)
        alert.created_at = alert.created_at - timedelta(seconds=121)
        db.session.commit()
    html = sender.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert "Ingen har svart på 2 minutter" in html
    call = (
        r'class="call call-big" href="tel:([^"]+)">\s*<span[^>]*>Ring </span><span class="call-name">([^<]+)<'
    )
    first_call = re.search(call, html)
    assert first_call.group(2) == "Hilde B Hansen"
    assert html.index('href="tel:') < html.index("Status")


def test_only_sender_leaders_and_admins_follow_an_alert(app):
    """Another staff member cannot see someone else's alert."""
    (place,) = add_places(app, "Rom 204")
    sender = signed_in(app, "lise@skole.no", ("staff",))
    alert_id = _send(app, sender, place)
    other = signed_in(app, "per@skole.no", ("staff",))
    assert other.get(f"/varsel/{alert_id}").status_code == 403
    leader = signed_in(app, "kristin@skole.no", ("leader",))
    page = leader.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert "Jeg kommer" in page
    assert sender.get("/varsel/999").status_code == 404


def test_subscription_allow_list_refusal_is_clear(app):
    """A push service not on PUSH_ALLOWED_HOSTS is refused with a message the page shows."""
    leader = signed_in(app, "kristin@skole.no", ("leader",))
    response = subscribe_json(
        leader, {"subscription": browser_subscription("https://push.evil.example/x"), "alerts": True}
    )
    assert response.status_code == 422
    assert "ikke på listen over godkjente tjenester" in response.get_json()["error"]
    with app.app_context():
        assert db.session.execute(select(PushSubscription)).first() is None


def test_only_leaders_can_subscribe_to_alerts(app):
    """Staff can have plan updates on their phone; asking for alerts does not give them alerts."""
    client = signed_in(app, "per@skole.no", ("staff",))
    page = client.get("/varsel/innstillinger").get_data(as_text=True)
    assert "push-alerts" not in page and "push-plan-updates" in page
    response = subscribe_json(
        client, {"subscription": browser_subscription(), "alerts": True, "plan_updates": True}
    )
    assert response.get_json()["alerts"] is False and response.get_json()["plan_updates"] is True
    refused = subscribe_json(client, {"subscription": browser_subscription(), "alerts": True})
    assert refused.status_code == 422


def test_settings_page_asks_nothing_on_load_and_explains_iphone(app):
    """The page has the button and the iPhone home-screen steps; permission is asked only on a tap."""
    client = signed_in(app, "kristin@skole.no", ("leader",))
    response = client.get("/varsel/innstillinger")
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "data-push-enable" in html and "Legg til på Hjem-skjerm" in html
    assert "data-application-server-key=" in html
    from pathlib import Path

    script = (Path(__file__).parent.parent / "frontend/static/js/push.js").read_text()
    # requestPermission is only called from the click handler's function.
    assert script.count("requestPermission") == 1
    assert 'enable.addEventListener("click", turnOn)' in script


def test_status_and_unsubscribe_only_touch_own_devices(app):
    """The settings page can read and remove its own subscription only."""
    leader = signed_in(app, "kristin@skole.no", ("leader",))
    sub = browser_subscription()
    subscribe_json(leader, {"subscription": sub, "alerts": True, "drills": True})
    status = leader.post(
        "/varsel/abonnement/status",
        json={"endpoint": sub["endpoint"]},
        headers={"X-CSRFToken": token(leader)},
    )
    assert status.get_json() == {
        "ok": True,
        "subscribed": True,
        "alerts": True,
        "drills": True,
        "plan_updates": False,
    }
    other = signed_in(app, "per@skole.no", ("leader",))
    other.post(
        "/varsel/abonnement/slett", json={"endpoint": sub["endpoint"]}, headers={"X-CSRFToken": token(other)}
    )
    with app.app_context():
        assert db.session.execute(select(PushSubscription)).scalar_one() is not None
    leader.post(
        "/varsel/abonnement/slett", json={"endpoint": sub["endpoint"]}, headers={"X-CSRFToken": token(leader)}
    )
    with app.app_context():
        assert db.session.execute(select(PushSubscription)).first() is None


def test_service_worker_answer_names_the_device_owner(app):
    """Without a session, the device's endpoint says which leader answered; a staff device cannot answer."""
    (place,) = add_places(app, "Rom 204")
    leader = signed_in(
        app, "kristin@skole.no", ("leader",), name="Kristin Støten", contact_id="kristin-stoten"
    )
    sub = browser_subscription()
    subscribe_json(leader, {"subscription": sub, "alerts": True})
    sender = signed_in(app, "lise@skole.no", ("staff",))
    alert_id = _send(app, sender, place)
    with app.app_context():
        token_ = push_service.ack_token(db.session.get(Alert, alert_id))
    anonymous = app.test_client()
    assert anonymous.post(f"/varsel/{alert_id}/kvitter/{token_}", json={}).status_code == 403
    response = anonymous.post(f"/varsel/{alert_id}/kvitter/{token_}", json={"endpoint": sub["endpoint"]})
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert "Kristin Støten (rektor): kommer" in sender.get(f"/varsel/{alert_id}").get_data(as_text=True)


def test_history_for_leaders_and_admins(app):
    """Leaders and admins see past alerts with time, alternative, place, drill and answers; staff do not."""
    (place,) = add_places(app, "Rom 204")
    sender = signed_in(app, "lise@skole.no", ("staff",))
    _send(app, sender, place, drill="1")
    assert sender.get("/varsel/historikk").status_code == 403
    leader = signed_in(app, "kristin@skole.no", ("leader",))
    html = leader.get("/varsel/historikk").get_data(as_text=True)
    assert "Rom 204" in html and "ØVELSE" in html and "Alternativ 3" in html and "Ingen svarte" in html
    assert "180 dagene" in html
    admin = admin_client(app)
    assert admin.get("/varsel/historikk").status_code == 200


def test_admin_keeps_the_places_list(app):
    """Add, rename, reorder and deactivate places; the alert form follows the list."""
    admin = admin_client(app)
    assert app.test_client().get("/admin/steder").status_code == 302
    staff = signed_in(app, "lise@skole.no", ("staff",))
    assert staff.get("/admin/steder").status_code == 403
    for name in ("Rom 204", "Kantina", "Skolegården"):
        assert post(admin, "/admin/steder/ny", {"name": name}).status_code == 302
    duplicate = post(admin, "/admin/steder/ny", {"name": "kantina"})
    assert duplicate.status_code == 422 and "finnes allerede" in duplicate.get_data(as_text=True)
    with app.app_context():
        ids = {p.name: p.id for p in db.session.execute(select(Place)).scalars()}
    post(admin, f"/admin/steder/{ids['Kantina']}", {"name": "Kantina nede"})
    post(admin, f"/admin/steder/{ids['Skolegården']}/flytt", {"retning": "opp"})
    post(admin, f"/admin/steder/{ids['Rom 204']}/deaktiver")
    form = staff.get("/varsel/ny").get_data(as_text=True)
    assert "Rom 204" not in form
    assert form.index("Skolegården") < form.index("Kantina nede")
    post(admin, f"/admin/steder/{ids['Rom 204']}/aktiver")
    assert "Rom 204" in staff.get("/varsel/ny").get_data(as_text=True)


def test_publishing_queues_plan_update_notices(app):
    """Publishing queues «Handlingsplanen er oppdatert» for devices that opted in, after the commit."""
    leader = signed_in(app, "kristin@skole.no", ("leader",))
    subscribe_json(leader, {"subscription": browser_subscription(), "plan_updates": True})
    admin = admin_client(app)
    post(admin, "/admin/sjekkliste", {"title": "Sjekkliste", "quote": "Sitat", "signs": "Ett\nTo"})
    html = admin.get("/admin/utkast").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    assert post(admin, "/admin/publiser", {"note": "Ny sjekkliste", "version": version}).status_code == 302
    with app.app_context():
        rows = db.session.execute(select(AlertDelivery)).scalars().all()
        assert len(rows) == 1 and rows[0].plan_revision_id is not None and rows[0].alert_id is None


# ---------------------------------------------------------------- readiness and an honest status screen


def _subscribe_directly(app, user_id, *, drills=False, count=1):
    """Store device subscriptions for a user without a push service (nothing is sent in these tests)."""
    with app.app_context():
        for n in range(count):
            db.session.add(
                PushSubscription(
                    endpoint=f"https://fcm.googleapis.com/fcm/send/u{user_id}-{n}",
                    p256dh="x",
                    auth="y",
                    user_id=user_id,
                    alerts=True,
                    drills=drills,
                )
            )
        db.session.commit()


def test_form_names_who_the_alert_reaches_now_and_on_how_many_devices(app):
    """The form says «går nå til 1 leder, på 2 enheter», names her, and names the leader it misses."""
    add_places(app, "Rom 204")
    kristin, _ = make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    make_user(app, "hilde@skole.no", ("leader",), totp=False, name="Hilde B Hansen")
    _subscribe_directly(app, kristin, count=2)
    client = signed_in(app, "lise@skole.no", ("staff",))
    html = client.get("/varsel/ny?alternativ=alternativ-3").get_data(as_text=True)
    assert "Varselet går nå til 1 leder, på 2 enheter" in html
    assert "Kristin Støten (2 enheter)." in html
    assert "Får det ikke: Hilde B Hansen. Ring." in html
    assert "data-reach-none" not in html.split('data-reach="drill"')[0]
    # Drills go only to devices that asked for drills: in drill mode the form says nobody gets it.
    assert "Ingen i ledelsen får øvelsen nå – ring" in html


def test_form_with_nobody_to_reach_says_so_first_in_red(app):
    """No leader has alerts on: the red notice comes before the call chain; sending is still there."""
    add_places(app, "Rom 204")
    make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    client = signed_in(app, "lise@skole.no", ("staff",))
    html = client.get("/varsel/ny?alternativ=alternativ-3").get_data(as_text=True)
    assert "Ingen i ledelsen får varselet nå – ring" in html
    assert html.index("Ingen i ledelsen får varselet nå") < html.index('href="tel:')
    assert "alert-headline-bad" in html
    assert "Send varsel til ledelsen" in html


def test_form_offers_the_plans_own_words_for_each_alternative(app):
    """The choices read as the plan's titles, the same words as the notification and the screens."""
    add_places(app, "Rom 204")
    client = signed_in(app, "lise@skole.no", ("staff",))
    html = client.get("/varsel/ny").get_data(as_text=True)
    assert "Alternativ 3: eleven opptrer ruset på skolen" in html
    assert "Alternativ 4: bekymring for omsetning/oppbevaring av rusmidler på skolen" in html
    assert "eleven er ruset på skolen" not in html


def _deliveries(app, alert_id, *rows):
    """Add deliveries (user_id, status) to an alert, as the sender would have left them."""
    from backend.models import DeliveryStatus, utcnow

    with app.app_context():
        for user_id, status in rows:
            db.session.add(
                AlertDelivery(
                    alert_id=alert_id,
                    user_id=user_id,
                    status=DeliveryStatus(status),
                    attempts=1,
                    next_attempt_at=utcnow() + timedelta(hours=1),
                )
            )
        db.session.commit()


def test_alert_to_nobody_leads_with_ingen_har_fatt_varselet_above_the_calls(app):
    """No device got it: «Ingen har fått varselet – ring», in red, before the first call button."""
    (place,) = add_places(app, "Rom 204")
    make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    sender = signed_in(app, "lise@skole.no", ("staff",))
    alert_id = _send(app, sender, place)
    html = sender.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert "Ingen har fått varselet – ring" in html
    assert html.index("Ingen har fått varselet") < html.index('href="tel:')
    assert 'class="alert-headline-box alert-headline-bad"' in html
    assert "Levert til" not in html


def test_alert_delivered_to_some_says_levert_til_n_av_m_and_names_the_rest(app):
    """One leader's device got it, another's failed, a third has none: «Levert til 1 av 3 ledere»."""
    (place,) = add_places(app, "Rom 204")
    kristin, _ = make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    hilde, _ = make_user(app, "hilde@skole.no", ("leader",), totp=False, name="Hilde B Hansen")
    make_user(app, "lasse@skole.no", ("leader",), totp=False, name="Lasse Eriksen")
    sender = signed_in(app, "lise@skole.no", ("staff",))
    alert_id = _send(app, sender, place)
    _deliveries(app, alert_id, (kristin, "delivered"), (kristin, "gone"), (hilde, "failed"))
    html = sender.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert "Levert til 1 av 3 ledere" in html
    assert "Ikke levert til Hilde B Hansen, Lasse Eriksen. Ring." in html
    assert 'class="alert-headline-box alert-headline-bad"' in html
    assert html.index("Levert til 1 av 3") < html.index('href="tel:')


def test_alert_delivered_to_all_is_calm_and_one_still_on_its_way_is_not_red(app):
    """Every leader reached: the calm colour; a delivery still under way is neither success nor failure."""
    (place,) = add_places(app, "Rom 204")
    kristin, _ = make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    hilde, _ = make_user(app, "hilde@skole.no", ("leader",), totp=False, name="Hilde B Hansen")
    sender = signed_in(app, "lise@skole.no", ("staff",))
    alert_id = _send(app, sender, place)
    _deliveries(app, alert_id, (kristin, "delivered"), (hilde, "pending"))
    html = sender.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert "Levert til 1 av 2 ledere" in html
    assert "alert-headline-bad" not in html and "Ikke levert" not in html
    _deliveries(app, alert_id, (hilde, "delivered"))
    html = sender.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert "Levert til 2 av 2 ledere" in html
    assert 'class="alert-headline-box alert-headline-good"' in html


def test_answers_come_first_on_the_senders_screen(app):
    """«Kristin Støten kommer» is the first thing in the live part, above the delivery line and the calls."""
    (place,) = add_places(app, "Rom 204")
    kristin, _ = make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    leader = app.test_client()
    login(leader, "kristin@skole.no")
    sender = signed_in(app, "lise@skole.no", ("staff",))
    alert_id = _send(app, sender, place)
    _deliveries(app, alert_id, (kristin, "delivered"))
    with app.app_context():
        token_ = push_service.ack_token(db.session.get(Alert, alert_id))
    assert leader.post(f"/varsel/{alert_id}/kvitter/{token_}").status_code == 302
    fragment = sender.get(
        f"/varsel/{alert_id}", headers={"HX-Request": "true", "HX-Target": "varsel-live"}
    ).get_data(as_text=True)
    assert fragment.index("Kristin Støten kommer") < fragment.index("Levert til 1 av 1 leder")
    assert fragment.index("Levert til") < fragment.index('href="tel:')


def test_leader_sees_jeg_kommer_with_place_and_alternative_before_the_calls(app):
    """On a leader's alert page the alternative, the place and «Jeg kommer» come before any call button."""
    (place,) = add_places(app, "Gymsalen")
    make_user(app, "kristin@skole.no", ("leader",), totp=False, name="Kristin Støten")
    leader = app.test_client()
    login(leader, "kristin@skole.no")
    sender = signed_in(app, "lise@skole.no", ("staff",))
    alert_id = _send(app, sender, place)
    html = leader.get(f"/varsel/{alert_id}").get_data(as_text=True)
    first_call = html.index('href="tel:')
    assert html.index("Alternativ 3: eleven opptrer ruset på skolen") < first_call
    assert html.index("Gymsalen") < first_call
    assert html.index(">Jeg kommer</button>") < first_call


@pytest.mark.parametrize("alternative", ["alternativ-3", "alternativ-4"])
def test_one_wording_for_each_alternative_on_form_notification_screen_and_history(app, alternative):
    """The form, the pushed notification, the alert screen and the history all use the plan's own title."""
    (place,) = add_places(app, "Rom 204")
    with app.app_context():
        current = plan_service.revision_cache.current().plan.procedure(alternative)
        words = f"{current.label}: {current.title}"
    leader = signed_in(app, "kristin@skole.no", ("leader",), name="Kristin Støten")
    sender = signed_in(app, "lise@skole.no", ("staff",))
    form = sender.get(f"/varsel/ny?alternativ={alternative}").get_data(as_text=True)
    assert re.search(rf"<label[^>]*>{re.escape(words)}</label>", form)
    response = post(sender, "/varsel/ny", {"alternative": alternative, "place": place, "drill": "0"})
    alert_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        payload = push_service.alert_payload(db.session.get(Alert, alert_id))
    assert payload["body"] == f"{words} – Rom 204"
    assert words in sender.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert words in leader.get("/varsel/historikk").get_data(as_text=True)
