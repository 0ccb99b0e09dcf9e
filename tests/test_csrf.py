"""Every route that changes something refuses a request without the CSRF token and accepts it with one.

The routes are read from app.url_map, so a new POST route without a case here fails the first test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.extensions import csrf, db
from backend.models import Alert
from backend.services import accounts
from backend.services import plan as plan_service
from backend.services.alerts import alerts as push_service
from tests.conftest import make_app
from tests.push_support import PUSH_CONFIG, add_places, browser_subscription, stop
from tests.support import (
    PASSWORD,
    admin_client,
    current_code,
    login,
    make_user,
    next_code,
    post,
    setup_secret,
    token,
)

SAFE = {"GET", "HEAD", "OPTIONS"}


def leader(app):
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    client = app.test_client()
    login(client, "leder@skole.no")
    return client


def case_login(app):
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    return app.test_client(), "/konto/logg-inn", {"email": "leder@skole.no", "password": PASSWORD}


def case_code(app):
    make_user(app)
    client = app.test_client()
    post(client, "/konto/logg-inn", {"email": "admin@skole.no", "password": PASSWORD})
    return client, "/konto/to-trinn", {"code": next_code()}


def case_setup(app):
    make_user(app, totp=False)
    client = app.test_client()
    login(client)
    secret = setup_secret(client.get("/konto/to-trinn/oppsett").get_data(as_text=True))
    return client, "/konto/to-trinn/oppsett", {"code": current_code(secret)}


def case_invitation(app):
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    with app.app_context():
        secret, _ = accounts.create_invitation(accounts.get_by_email("leder@skole.no"), actor=None)
    new = "et nytt og langt passord"
    return app.test_client(), f"/konto/invitasjon/{secret}", {"password": new, "repeat": new}


def case_reset_request(app):
    app.config["MAIL_SERVER"] = "127.0.0.1"  # the reset pages exist only with SMTP; nothing is sent here
    return app.test_client(), "/konto/glemt-passord", {"email": "ukjent@skole.no"}


def case_reset_password(app):
    from backend.services import password_reset

    app.config["MAIL_SERVER"] = "127.0.0.1"
    make_user(app, "leder@skole.no", ("leader",), totp=False)
    tokens = []
    with app.app_context():
        password_reset.request_reset("leder@skole.no", link_for=tokens.append, ip=None)
    new = "et nytt og langt passord"
    return app.test_client(), f"/konto/nytt-passord/{tokens[0]}", {"password": new, "repeat": new}


def case_sign_in_code(app):
    return app.test_client(), "/konto/logg-inn/engangskode", {"code": "123456"}


def admin_case(url, data):
    def build(app):
        return admin_client(app), url, data

    return build


def case_publish(app):
    client = admin_client(app)
    post(client, "/admin/sjekkliste", {"title": "Sjekkliste", "quote": "Sitat", "signs": "Ett\nTo"})
    html = client.get("/admin/utkast").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    return client, "/admin/publiser", {"note": "Ny sjekkliste", "version": version}


def case_restore(app):
    client = admin_client(app)
    with app.app_context():
        data = plan_service.latest_revision().data
        data["checklist_list"]["checklists"][0]["title"] = "Annen tittel"
        plan_service.publish(plan_service.plan_from_data(data), author=None, note="test")
        db.session.commit()
    return client, "/admin/revisjoner/1/gjenopprett", {"note": "", "bekreft": "ja"}


def case_undo(app):
    client = admin_client(app)
    post(client, "/admin/sjekkliste", {"title": "Annen tittel", "quote": "Sitat", "signs": "Ett\nTo"})
    return client, "/admin/utkast/angre", {"endring": "checklist/title"}


def case_upload(app):
    from tests.test_content_zip import folder_files, make_zip

    path = Path(app.config["PLAN_SNAPSHOT"]).parent / "plan.zip"  # a path: opened anew for each request
    path.write_bytes(make_zip(folder_files()))
    return admin_client(app), "/admin/innholdsfiler", {"archive": (str(path), "plan.zip")}


def user_case(suffix, data=None):
    def build(app):
        client = admin_client(app)
        make_user(app, "lise@skole.no", ("staff",), totp=False)
        with app.app_context():
            user_id = accounts.get_by_email("lise@skole.no").id
        return client, f"/admin/brukere/{user_id}/{suffix}", data or {}

    return build


def staff(app):
    make_user(app, "lise@skole.no", ("staff",), totp=False)
    client = app.test_client()
    login(client, "lise@skole.no")
    return client


def case_new_alert(app):
    (place_id,) = add_places(app, "Rom 204")
    return staff(app), "/varsel/ny", {"alternative": "alternativ-3", "place": str(place_id), "drill": "0"}


def case_drill(app):
    (place_id,) = add_places(app, "Rom 204")
    return leader(app), "/varsel/beredskap/ovelse", {"place": str(place_id)}


def place_case(suffix, data=None):
    def build(app):
        (place_id,) = add_places(app, "Kantina")
        return admin_client(app), f"/admin/steder/{place_id}{suffix}", data or {}

    return build


CONTACT = {"name": "Ny Person", "role": "Rådgiver", "phone": "412 34 567", "group": "radgivere"}
CASES = {
    "account.login": (case_login, 302),
    "password_reset.request_link": (case_reset_request, 303),
    "password_reset.new_password": (case_reset_password, 302),
    # With a token but no pending Feide sign-in: back to the login page (tests/test_sign_in.py signs in).
    "sign_in.code": (case_sign_in_code, 302),
    "account.code": (case_code, 302),
    "account.logout": (lambda app: (leader(app), "/konto/logg-ut", {}), 302),
    "account.confirm": (
        lambda app: (leader(app), "/konto/bekreft", {"password": PASSWORD, "next": "/konto"}),
        302,
    ),
    "account.password": (
        lambda app: (
            leader(app),
            "/konto/passord",
            {"current": PASSWORD, "password": "helt nytt langt passord", "repeat": "helt nytt langt passord"},
        ),
        302,
    ),
    "account.totp_setup": (case_setup, 200),
    "account.totp_setup_cancel": (lambda app: (leader(app), "/konto/to-trinn/oppsett/avbryt", {}), 302),
    "account.recovery_codes": (lambda app: (admin_client(app), "/konto/reservekoder", {}), 200),
    "account.invitation": (case_invitation, 302),
    "admin.contact_new": (admin_case("/admin/kontakter/ny", CONTACT), 302),
    "admin.contact_edit": (
        admin_case(
            "/admin/kontakter/kristin-stoten", {**CONTACT, "name": "Kristin Støten", "group": "ledelse"}
        ),
        302,
    ),
    "admin.contact_remove": (admin_case("/admin/kontakter/fridtjof-dahlen/slett", {}), 302),
    "admin.contact_move": (admin_case("/admin/kontakter/hilde-b-hansen/flytt", {"retning": "opp"}), 302),
    "admin.group_move": (admin_case("/admin/kontakter/gruppe/radgivere/flytt", {"retning": "opp"}), 302),
    "admin.group_edit": (admin_case("/admin/kontakter/gruppe/ledelse", {"title": "Ledelsen"}), 302),
    "admin.checklist": (admin_case("/admin/sjekkliste", {"title": "S", "quote": "Q", "signs": "A\nB"}), 302),
    "admin.alternative": (
        admin_case(
            "/admin/alternativer/alternativ-1",
            {
                "label": "Alternativ 1",
                "short": "Kort",
                "title": "T",
                "meeting_text": "M",
                "agenda_intro": "I møtet:",
                "agenda": "Ett\nTo",
            },
        ),
        302,
    ),
    "admin.step_new": (
        admin_case(
            "/admin/alternativer/alternativ-2/steg/ny", {"text": "Nytt", "role": "deg", "audience": "all"}
        ),
        302,
    ),
    "admin.step_edit": (
        admin_case(
            "/admin/alternativer/alternativ-2/steg/snakk-med-eleven",
            {"text": "Snakk med eleven", "role": "deg", "audience": "all"},
        ),
        302,
    ),
    "admin.step_remove": (
        admin_case("/admin/alternativer/alternativ-2/steg/snakk-med-eleven/slett", {}),
        302,
    ),
    "admin.step_move": (
        admin_case("/admin/alternativer/alternativ-2/steg/snakk-med-eleven/flytt", {"retning": "opp"}),
        302,
    ),
    "admin.section": (
        admin_case("/admin/tekster/innledning", {"title": "Innledning", "body": "Tekst."}),
        302,
    ),
    "admin.section_preview": (admin_case("/admin/tekster/innledning/forhandsvis", {"body": "**a**"}), 200),
    "admin.links": (
        admin_case(
            "/admin/lenker", {"laws": "## Lov\nL | https://lovdata.no/", "useful": "K | https://korus.no/"}
        ),
        302,
    ),
    "admin.dates": (
        admin_case(
            "/admin/datoer",
            {
                "school_year": "2026–2027",
                "version": "august 2026",
                "version_date": "2026-08-01",
                "next_revision": "juni 2027",
                "next_revision_date": "2027-06-01",
                "responsible": "skolens ledelse",
            },
        ),
        302,
    ),
    "admin.statements": (
        admin_case(
            "/admin/erklaeringer",
            {
                "owner": "Østfold fylkeskommune",
                "feedback_contact": "kristin-stoten",
                "email": "",
                "accessibility_reviewed": "2026-11-26",
                "privacy_reviewed": "2026-11-26",
            },
        ),
        302,
    ),
    # The editors of the general plan model (tests/test_admin_model.py has their behaviour).
    "admin.role_new": (admin_case("/admin/roller/ny", {"label": "Vaktmester"}), 302),
    "admin.role_edit_view": (admin_case("/admin/roller/kontaktlaerer", {"label": "Kontaktlærer"}), 302),
    # Kontaktlærer does steps: refused with where it is used.
    "admin.role_remove": (admin_case("/admin/roller/kontaktlaerer/slett", {}), 409),
    "admin.role_move": (admin_case("/admin/roller/ledelse/flytt", {"retning": "opp"}), 302),
    "admin.procedure_new": (
        admin_case(
            "/admin/alternativer/ny",
            {"label": "Alternativ 5", "title": "T", "short": "S", "question": "salg", "answer_label": "Ja"},
        ),
        302,
    ),
    # A question leads to Alternativ 1: refused with which.
    "admin.procedure_remove": (admin_case("/admin/alternativer/alternativ-1/slett", {}), 409),
    "admin.guide": (admin_case("/admin/sporsmal", {"start": "ruset"}), 302),
    "admin.question_new": (
        admin_case(
            "/admin/sporsmal/ny",
            {"via": "salg:1", "text": "Ny?", "answers-0-label": "Ja", "answers-0-target": "sporsmal:hjelp"},
        ),
        302,
    ),
    "admin.question": (
        admin_case(
            "/admin/sporsmal/salg",
            {
                "text": "Salg?",
                "answers-0-label": "Ja",
                "answers-0-target": "alternativ:alternativ-4",
                "answers-1-label": "Nei",
                "answers-1-target": "sporsmal:hjelp",
            },
        ),
        302,
    ),
    "admin.question_remove": (admin_case("/admin/sporsmal/salg/slett", {}), 409),
    "admin.checklist_new": (
        admin_case("/admin/sjekklister/ny", {"title": "S", "quote": "Q", "signs": "A"}),
        302,
    ),
    "admin.checklist_edit": (
        admin_case("/admin/sjekklister/sjekkliste", {"title": "S", "quote": "Q", "signs": "A"}),
        302,
    ),
    "admin.checklist_remove": (admin_case("/admin/sjekklister/sjekkliste/slett", {}), 409),  # the last one
    "admin.checklist_move": (admin_case("/admin/sjekklister/sjekkliste/flytt", {"retning": "ned"}), 302),
    "admin.service_new": (
        admin_case("/admin/numre/ny", {"label": "Legevakten", "description": "Skade", "phone": "116 117"}),
        302,
    ),
    "admin.service_edit": (
        admin_case("/admin/numre/politi", {"label": "Politiet", "description": "Ikke nød", "phone": "02800"}),
        302,
    ),
    "admin.service_remove": (admin_case("/admin/numre/politi/slett", {}), 409),  # Alternativ 4 shows it
    "admin.annual_wheel": (admin_case("/admin/arshjul", {"title": "Årshjul"}), 422),  # Halden has none yet
    "admin.activity_new": (
        admin_case(
            "/admin/arshjul/aktivitet/ny",
            {"wheel_title": "Årshjul", "month": "9", "text": "Møte", "responsible": "ledelse"},
        ),
        302,
    ),
    # Halden has no annual wheel: saving an activity that is not there is refused in words.
    "admin.activity_edit": (
        admin_case("/admin/arshjul/9/0", {"month": "9", "text": "Møte", "responsible": "ledelse"}),
        422,
    ),
    "admin.activity_remove": (admin_case("/admin/arshjul/9/0/slett", {}), 302),  # none: back to the wheel
    "admin.annual_wheel_remove": (admin_case("/admin/arshjul/slett", {}), 302),
    "admin.section_new": (
        admin_case("/admin/tekster/ny", {"slug": "rutiner", "title": "Rutiner", "body": "Tekst."}),
        302,
    ),
    "admin.section_remove": (admin_case("/admin/tekster/innledning/slett", {}), 302),
    "admin.settings": (
        admin_case(
            "/admin/innstillinger",
            {
                "school": "Halden videregående skole",
                "school_short": "Halden vgs.",
                "title": "Handlingsplan mot rus",
                "language": "nn",
                "archive_name": "Elements",
                "note_title": "Notat til Elements",
                "note_hint": "Referatet skal føres i Elements.",
            },
        ),
        302,
    ),
    "admin.publish": (case_publish, 302),
    "admin.discard": (admin_case("/admin/utkast/forkast", {}), 302),
    "admin.restore": (case_restore, 302),
    "admin.undo": (case_undo, 302),
    "admin.upload": (case_upload, 302),
    "admin.user_new": (
        admin_case("/admin/brukere/ny", {"name": "Ny", "email": "ny@skole.no", "roles": ["leader"]}),
        200,
    ),
    "admin.users_new_many": (
        admin_case("/admin/brukere/flere", {"people": "Ny Person, ny@skole.no, ansatt"}),
        200,
    ),
    "admin.user_roles": (user_case("roller", {"roles": ["leader"]}), 302),
    "admin.user_disable": (user_case("deaktiver"), 302),
    "admin.user_enable": (user_case("aktiver"), 302),
    "admin.user_invite_again": (user_case("invitasjon"), 200),
    "admin.user_contact": (user_case("kontakt", {"contact": "kristin-stoten"}), 302),
    "push.new_alert": (case_new_alert, 302),
    "push.drill": (case_drill, 302),
    "places.add": (admin_case("/admin/steder/ny", {"name": "Gymsalen"}), 302),
    "places.rename": (place_case("", {"name": "Kantina nede"}), 302),
    "places.move": (place_case("/flytt", {"retning": "ned"}), 302),
    "places.deactivate": (place_case("/deaktiver"), 302),
    "places.activate": (place_case("/aktiver"), 302),
}


def case_subscribe(app):
    return leader(app), "/varsel/abonnement", {"subscription": browser_subscription(), "alerts": True}


def case_subscription_status(app):
    return leader(app), "/varsel/abonnement/status", {"endpoint": browser_subscription()["endpoint"]}


def case_unsubscribe(app):
    return leader(app), "/varsel/abonnement/slett", {"endpoint": browser_subscription()["endpoint"]}


# JSON requests from js/push.js: the token travels in the X-CSRFToken header.
JSON_CASES = {
    "push.subscribe": case_subscribe,
    "push.subscription_status": case_subscription_status,
    "push.unsubscribe": case_unsubscribe,
}


def exempt_change(app):
    """The service worker reports a new subscription: the old subscription's auth secret is the credential."""
    client = leader(app)
    old = browser_subscription("https://fcm.googleapis.com/fcm/send/old")
    assert (
        client.post(
            "/varsel/abonnement",
            json={"subscription": old, "alerts": True},
            headers={"X-CSRFToken": token(client)},
        ).status_code
        == 200
    )
    new = browser_subscription("https://fcm.googleapis.com/fcm/send/new")
    anonymous = app.test_client()
    url = "/varsel/abonnement/bytt"
    refused = anonymous.post(url, json={"old_endpoint": old["endpoint"], "subscription": new})
    accepted = anonymous.post(
        url, json={"old_endpoint": old["endpoint"], "old_auth": old["keys"]["auth"], "subscription": new}
    )
    return refused.status_code, accepted.status_code


def exempt_ack(app):
    """The service worker answers «Jeg kommer»: the alert's token is the credential."""
    (place_id,) = add_places(app, "Rom 204")
    client = leader(app)
    with app.app_context():
        alert = push_service.create_alert("alternativ-3", place_id)
        good = push_service.ack_token(alert)
        alert_id = alert.id
    refused = client.post(f"/varsel/{alert_id}/kvitter/{'A' * 32}", json={})
    accepted = client.post(f"/varsel/{alert_id}/kvitter/{good}", json={})
    with app.app_context():
        assert db.session.get(Alert, alert_id) is not None
    return refused.status_code, accepted.status_code


# Exempt from CSRF because the service worker has no CSRF token; a one-time credential authorises them.
EXEMPT = {
    "push.subscription_change": (exempt_change, 404),
    "push.acknowledge": (exempt_ack, 404),
}


# POST routes without CSRF on purpose, each with its own test of why that is safe.
# csp.report: browsers send violation reports without cookies or tokens; it stores nothing
# (tests/test_csp_report.py).
CSRF_EXEMPT = {"csp.report"}


def test_every_route_that_changes_something_has_a_case(tmp_path):
    """A new POST route must be added here, so its CSRF protection is tested."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    changing = {rule.endpoint for rule in app.url_map.iter_rules() if set(rule.methods) - SAFE}
    assert changing == set(CASES) | set(JSON_CASES) | set(EXEMPT) | CSRF_EXEMPT


def test_exempt_routes_are_really_exempt_and_nothing_else_is(tmp_path):
    """Only the routes listed in EXEMPT and CSRF_EXEMPT skip the token check."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    exempt = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }
    assert exempt == set(EXEMPT) | CSRF_EXEMPT


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_without_token_400_with_token_success(tmp_path, endpoint):
    """Without the token: 400 and nothing done. With it (in the form or the htmx header): it works."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, **PUSH_CONFIG)
    build, expected = CASES[endpoint]
    client, url, data = build(app)
    assert client.post(url, data=data).status_code == 400
    assert client.post(url, data={**data, "csrf_token": "forfalsket"}).status_code == 400
    assert client.post(url, data=data, headers={"HX-Request": "true", "X-CSRFToken": "x"}).status_code == 400
    response = client.post(url, data={**data, "csrf_token": token(client)})
    stop(app)
    assert response.status_code == expected, response.get_data(as_text=True)[:2000]


def test_htmx_requests_send_the_token_in_a_header(tmp_path):
    """htmx requests carry the token from hx-headers; the header alone is enough."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = admin_client(app)
    page = client.get("/admin/tekster/innledning").get_data(as_text=True)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    response = client.post(
        "/admin/tekster/innledning/forhandsvis",
        data={"body": "**fet**"},
        headers={"HX-Request": "true", "X-CSRFToken": header_token},
    )
    assert response.status_code == 200 and "<strong>fet</strong>" in response.get_data(as_text=True)


def test_missing_token_page_is_norwegian_and_saves_nothing(tmp_path):
    """A form sent without a token explains in Norwegian that nothing was saved."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = admin_client(app)
    response = client.post("/admin/sjekkliste", data={"title": "S", "quote": "Q", "signs": "A"})
    assert response.status_code == 400
    assert "Ingenting er lagret" in response.get_data(as_text=True)
    with app.app_context():
        assert "Ingenting" not in str(plan_service.latest_revision().data["checklist_list"])


def test_the_token_has_no_time_limit(app):
    """A page left open for hours still works: the token lives as long as the session."""
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


@pytest.mark.parametrize("endpoint", sorted(JSON_CASES))
def test_json_requests_need_the_token_header(tmp_path, endpoint):
    """The settings page's JSON requests: refused without the header or with a wrong one, done with it."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, **PUSH_CONFIG)
    client, url, body = JSON_CASES[endpoint](app)
    assert client.post(url, json=body).status_code == 400
    assert client.post(url, json=body, headers={"X-CSRFToken": "forfalsket"}).status_code == 400
    response = client.post(url, json=body, headers={"X-CSRFToken": token(client)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["ok"] is True


@pytest.mark.parametrize("endpoint", sorted(EXEMPT))
def test_exempt_routes_check_their_own_credential(tmp_path, endpoint):
    """The two routes the service worker calls need no CSRF token, but refuse a wrong credential."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, **PUSH_CONFIG)
    try:
        build, refused_status = EXEMPT[endpoint]
        refused, accepted = build(app)
    finally:
        stop(app)
    assert refused == refused_status
    assert accepted == 200
