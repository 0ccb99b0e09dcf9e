"""The signed-in side in nynorsk and English: account and alert pages, mails and push notifications.

A page is checked against the catalogue: no bokmål UI text whose nynorsk (or English) reads differently
may be left in the part of the page the account templates render. Mails and notifications are read by
a person at the school, so they are built in the school's language whatever page caused them.
"""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, get_locale

from backend import i18n
from backend.extensions import db
from backend.models import Alert, AlertDelivery, Place
from backend.services import accounts, language, mail, notices
from backend.services import alerts as push_service
from backend.services import plan as plan_service
from backend.services.alerts import sender as push_sender
from backend.services.alerts.alerts import payload_for
from tests.conftest import make_app
from tests.html_parse import parse
from tests.mail_support import SmtpServer
from tests.push_support import PUSH_CONFIG, add_places, browser_subscription
from tests.support import PASSWORD, csrf_token, login, make_user, post, token

TRANSLATIONS = Path(__file__).resolve().parent.parent / "backend" / "translations"
# Markup and placeholders split a msgid into the literal pieces a page shows.
SPLIT = re.compile(r"%\(\w+\)[sd]|\{count\}|<[^>]+>")
# Attributes whose values a person reads or hears (data-copy-done: what copy.js says after copying).
READ_ATTRIBUTES = ("aria-label", "title", "data-copy-done")
# Bokmål words that nynorsk never uses (the word list), as whole words.
BOKMAL_WORDS = re.compile(r"\b(ikke|hva|hvem|jeg|skole)\b", re.IGNORECASE)


@cache
def bokmal_texts(language_code: str) -> tuple[str, ...]:
    """The bokmål pieces of every catalogue entry that `language_code` words differently."""
    with (TRANSLATIONS / language_code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=language_code)
    pieces = set()
    for message in catalogue:
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple | list) else (message.id,)
        translated = " ".join(
            message.string if isinstance(message.string, tuple | list) else (message.string,)
        )
        assert translated.strip(), f"{language_code}: no translation of {sources[0]!r}"
        for source in sources:
            whole = SPLIT.split(source) == [source]
            for piece in SPLIT.split(source):
                piece = piece.strip(" .,:;()«»–→!?")
                # A lone word between placeholders may be good nynorsk too («igjen»); a whole label is not.
                if len(piece) >= 4 and (whole or " " in piece) and piece not in translated:
                    pieces.add(piece)
    return tuple(sorted(pieces, key=len, reverse=True))


def personal_part(body: str) -> str:
    """The text a person reads in the account templates' part of a page (base.html is not theirs)."""
    elements = parse(body)
    (personal,) = [e for e in elements if e.has_class("personal")]
    inside = [e for e in elements if personal in e.ancestors or e is personal]
    attributes = [str(e.attrs.get(name) or "") for e in inside for name in READ_ATTRIBUTES]
    return html_lib.unescape(" ".join([personal.text, *attributes]))


EMAIL = re.compile(r"\S+@\S+")


def without(text: str, allowed: tuple[str, ...] = ()) -> str:
    """The text without e-mail addresses (skole.no) and the plan's own words."""
    for content in allowed:
        text = text.replace(content, " ")
    return EMAIL.sub(" ", text)


def left_in_bokmal(text: str, language_code: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Return the catalogue's bokmål texts found in `text` (whole words only)."""
    text = without(text, allowed)
    return [
        piece for piece in bokmal_texts(language_code) if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text)
    ]


@pytest.fixture
def nynorsk_school(monkeypatch):
    """The school writes nynorsk (plan.meta.language: nn) until the plan model carries it."""
    monkeypatch.setattr(i18n, "school_language", lambda: "nn")
    monkeypatch.setattr(language, "school_language", lambda: "nn")


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, **PUSH_CONFIG)
    yield app
    push_sender.stop_sender(app)
    with app.app_context():
        db.engine.dispose()


def plan_texts(app) -> tuple[str, ...]:
    """The plan's own words a page may quote (content is in the school's language, never translated)."""
    texts = ["Halden videregående skole"]
    with app.app_context():
        texts += [push_service.alternative_text(value) for value in ("alternativ-3", "alternativ-4")]
        plan = plan_service.revision_cache.current().plan
        texts += [procedure.label for procedure in plan.urgent_procedures()]  # «Alternativ 3»
        chain = plan.call_chain()
        texts += [person.name for person in chain]
        texts += [role for person in chain for role in (person.role, person.role.lower())]  # role|lower
    return tuple(sorted({t for t in texts if t}, key=len, reverse=True))


def leader_with_an_alert(app) -> tuple:
    """A signed-in leader and admin-less school with a place, a subscribed device and one alert."""
    add_places(app, "Kantina")
    make_user(app, "lise@skole.no", ("leader", "staff"), totp=False, name="Lise Lien")
    client = app.test_client()
    assert login(client, "lise@skole.no").status_code == 302
    subscribed = client.post(
        "/varsel/abonnement",
        json={"subscription": browser_subscription(), "alerts": True, "drills": True},
        headers={"X-CSRFToken": token(client)},
    )
    assert subscribed.status_code == 200, subscribed.get_data(as_text=True)
    with app.app_context():
        place = db.session.execute(db.select(Place)).scalars().first()
        alert_id = push_service.create_alert("alternativ-3", place.id).id
    return client, alert_id


PAGES = ["/konto", "/konto/passord", "/konto/to-trinn/oppsett", "/konto/bekreft"]
ALERT_PAGES = [
    "/varsel/innstillinger",
    "/varsel/ny",
    "/varsel/beredskap",
    "/varsel/historikk",
    "/varsel/{alert}",
]


@pytest.mark.parametrize("language_code", ["nn", "en"])
def test_signed_in_pages_have_no_bokmal_ui_text(app, nynorsk_school, language_code):
    """Every account and alert page of a nynorsk school reads in nynorsk, and in English under /en/."""
    client, alert_id = leader_with_an_alert(app)
    prefix = "/en" if language_code == "en" else ""
    allowed = plan_texts(app)
    anonymous = app.test_client()
    pages = [(anonymous, "/konto/logg-inn")]
    pages += [(client, url) for url in PAGES]
    pages += [(client, url.format(alert=alert_id)) for url in ALERT_PAGES]
    for who, url in pages:
        response = who.get(prefix + url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert f'<html lang="{language_code}">' in body, url
        text = personal_part(body)
        assert left_in_bokmal(text, language_code, allowed) == [], url
        if language_code == "nn":
            assert BOKMAL_WORDS.findall(without(text, allowed)) == [], url


@pytest.mark.parametrize("language_code", ["nn", "en"])
def test_refusals_codes_and_invitations_have_no_bokmal_ui_text(app, nynorsk_school, language_code):
    """The pages around signing in: the code step, an invitation, a refused page, an expired form."""
    prefix = "/en" if language_code == "en" else ""
    make_user(app, "admin@skole.no", ("admin",))  # with two-factor codes
    make_user(app, "tor@skole.no", ("staff",), totp=False, name="Tor Tilsett")
    with app.app_context():
        invited = accounts.create_user("nye@skole.no", "Nina Ny", ["staff"])
        invitation_token, _invitation = accounts.create_invitation(invited, actor=None)
    admin = app.test_client()
    form = admin.get(prefix + "/konto/logg-inn").get_data(as_text=True)
    step = admin.post(
        prefix + "/konto/logg-inn",
        data={"csrf_token": csrf_token(form), "email": "admin@skole.no", "password": PASSWORD},
    )
    assert step.status_code == 302 and step.headers["Location"].endswith(prefix + "/konto/to-trinn")
    staff = app.test_client()
    assert login(staff, "tor@skole.no").status_code == 302
    pages = [
        (admin.get(prefix + "/konto/to-trinn"), 200),
        (app.test_client().get(f"{prefix}/konto/invitasjon/{invitation_token}"), 200),
        (app.test_client().get(f"{prefix}/konto/invitasjon/feil-lenke"), 410),
        (staff.get(prefix + "/varsel/historikk"), 403),  # history is for leaders
        (app.test_client().post(prefix + "/konto/logg-inn", data={"email": "x@skole.no"}), 400),  # no token
    ]
    for response, status in pages:
        assert response.status_code == status, response.request.path
        body = response.get_data(as_text=True)
        assert f'<html lang="{language_code}">' in body
        text = personal_part(body)
        assert left_in_bokmal(text, language_code) == [], response.request.path
        if language_code == "nn":
            assert BOKMAL_WORDS.findall(without(text)) == [], response.request.path


def test_form_errors_and_flashed_messages_follow_the_page(app, nynorsk_school):
    """Validation messages (lazy labels) and a refused login read in the page's language."""
    make_user(app, "lise@skole.no", ("leader",), totp=False)
    client = app.test_client()
    nynorsk = post(client, "/konto/logg-inn", {"email": "", "password": ""}).get_data(as_text=True)
    assert "Dette feltet må fyllast ut." in nynorsk and "Dette feltet må fylles ut." not in nynorsk
    assert 'for="email">E-post</label>' in nynorsk
    page = client.get("/en/konto/logg-inn").get_data(as_text=True)
    wrong = client.post(
        "/en/konto/logg-inn",
        data={"csrf_token": csrf_token(page), "email": "lise@skole.no", "password": "feil passord her"},
    )
    english = wrong.get_data(as_text=True)
    assert wrong.status_code == 401 and "Wrong email or password." in english
    assert ">Remember me on this phone</label>" in english
    assert left_in_bokmal(personal_part(english), "en") == []


def test_bokmal_school_reads_as_before(app):
    """The bokmål school keeps today's texts exactly (the msgid is the bokmål text)."""
    client, alert_id = leader_with_an_alert(app)
    settings = client.get("/varsel/innstillinger").get_data(as_text=True)
    assert "<h1>Varsler på denne telefonen</h1>" in settings
    assert "Du har slått på varsler på 1 enhet." in settings
    page = client.get(f"/varsel/{alert_id}").get_data(as_text=True)
    assert "Varsel til ledelsen" in page and "Sendt til 1 enhet, levert til 0." in page


def test_mails_have_no_bokmal_ui_text(app):
    """Every mail template renders without a bokmål UI text in nynorsk and in English."""
    make_user(app, "lise@skole.no", ("leader", "admin"), totp=False, name="Lise Lien")
    with app.test_request_context("/"):
        user = accounts.get_by_email("lise@skole.no")
        later = accounts.now() + timedelta(hours=2)
        school = "Halden videregående skole"
        contexts = {
            "invitation": {
                "user": user,
                "link": "https://x/i",
                "expires_at": later,
                "school": school,
                "roles": None,  # named in the mail's language below
                "sign_in_with": ["Feide"],
                "login_link": "https://x/l",
            },
            "password_reset": {
                "name": user.name,
                "link": "https://x/r",
                "expires_at": later,
                "school": school,
            },
            "review_overdue": {
                "admin": user,
                "school": school,
                "due": later.date(),
                "responsible": "rektor",
                "dates_link": "https://x/d",
            },
            "lost_readiness": {
                "admin": user,
                "leader": user,
                "school": school,
                "user_link": "https://x/u",
                "settings_link": "https://x/s",
            },
        }
        for language_code in ("nn", "en"):
            for template, context in contexts.items():
                with force_locale(language_code):
                    if "roles" in context:
                        context["roles"] = notices.role_text(user)
                    message = mail.compose(user.email, "Emne", template, **context)
                html = message.alternatives[0][0]
                assert f'<html lang="{language_code}">' in html
                assert message.extra_headers["Content-Language"] == language_code
                for text in (message.body, re.sub(r"<[^>]+>", " ", html)):
                    text = html_lib.unescape(text).replace(school, " ")
                    assert left_in_bokmal(text, language_code) == [], (template, language_code)
                if language_code == "nn":
                    assert BOKMAL_WORDS.findall(without(message.body, (school,))) == [], template


def test_a_reset_asked_for_in_english_is_mailed_in_the_schools_nynorsk(tmp_path, nynorsk_school):
    """The mail goes to someone at a nynorsk school: its language, not the language of the page used."""
    smtp = SmtpServer()
    with smtp:
        app = make_app(tmp_path, **smtp.config(PUBLIC_URL="https://rusplan.example"))
        make_user(app, "lars@skole.no", roles=("leader",), totp=False, name="Lars Lien")
        client = app.test_client()
        page = client.get("/en/konto/glemt-passord")
        assert page.status_code == 200 and 'lang="en"' in page.get_data(as_text=True)
        sent = client.post(
            "/en/konto/glemt-passord",
            data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "lars@skole.no"},
        )
        assert sent.status_code == 303
        assert "Check your email" in client.get(sent.headers["Location"]).get_data(as_text=True)
        (received,) = smtp.sink.wait_for(1)
        # The link leads back to the page in the language it was asked from.
        (link,) = received.links()
        chosen = client.get(link.replace("http://localhost", ""))
        assert chosen.status_code == 200 and '<html lang="en">' in chosen.get_data(as_text=True)
        assert left_in_bokmal(personal_part(chosen.get_data(as_text=True)), "en") == []
    assert received.subject == "Nytt passord til Rusplan for Halden videregående skole"
    assert "Vel nytt passord med denne lenkja:" in received.text
    assert "Helsing Rusplan, Halden videregående skole" in received.text
    assert received.message["Content-Language"] == "nn"
    assert left_in_bokmal(received.text.replace("Halden videregående skole", " "), "nn") == []


def test_a_nynorsk_schools_notifications_are_in_nynorsk(app, nynorsk_school):
    """The push text on a leader's lock screen is in the school's nynorsk, also when built by the sender."""
    (place_id,) = add_places(app, "Kantina")
    with app.app_context():
        alert = Alert(alternative="alternativ-3", place_id=place_id, ack_nonce=b"n" * 16)
        drill = Alert(alternative="alternativ-3", place_id=place_id, ack_nonce=b"d" * 16, drill=True)
        db.session.add_all([alert, drill])
        db.session.commit()
        # payload_for is what the background sender calls for each delivery, outside any request.
        payload = payload_for(AlertDelivery(alert_id=alert.id, alert=alert))
        drill_payload = payload_for(AlertDelivery(alert_id=drill.id, alert=drill))
        update = payload_for(AlertDelivery(plan_revision_id=1))
        alert_id = alert.id
    # Built during a request for an English page (an alert sent from /en/…): still the school's nynorsk.
    with app.test_request_context("/", environ_base={i18n.ENVIRON_KEY: "en"}):
        assert str(get_locale()) == "en"
        alert = db.session.get(Alert, alert_id)
        assert payload_for(AlertDelivery(alert_id=alert.id, alert=alert))["title"] == "Varsel til leiinga"
    assert payload["title"] == "Varsel til leiinga"
    assert drill_payload["title"] == "ØVING: Varsel til leiinga"
    assert update["title"] == "Handlingsplanen er oppdatert"
    assert update["body"] == "Opne Rusplan for å sjå den nye versjonen."
    for text in (payload["title"], drill_payload["title"], update["body"]):
        assert left_in_bokmal(text, "nn") == []


def test_a_bokmal_schools_notifications_are_as_before(app):
    """Without nynorsk nothing changes: the texts leaders know."""
    with app.app_context():
        update = payload_for(AlertDelivery(plan_revision_id=1))
    assert update["title"] == "Handlingsplanen er oppdatert"
    assert update["body"] == "Åpne Rusplan for å se den nye versjonen."


def test_invitation_roles_are_named_in_the_mails_language(app):
    """«leder og administrator» in bokmål, «leiar og administrator» in nynorsk, «leader and …» in English."""
    make_user(app, "lise@skole.no", ("leader", "admin"), totp=False)
    with app.test_request_context("/"):
        user = accounts.get_by_email("lise@skole.no")
        assert notices.role_text(user) == "leder og administrator"
        with force_locale("nn"):
            assert notices.role_text(user) == "leiar og administrator"
        with force_locale("en"):
            assert notices.role_text(user) == "leader and administrator"


def test_every_entry_is_translated_in_nynorsk_and_english():
    """No catalogue entry is left empty in nn or en (nb may stay empty: the msgid is bokmål)."""
    for language_code in ("nn", "en"):
        assert bokmal_texts(language_code)  # also asserts every entry has a translation


def test_a_list_of_people_may_name_roles_in_nynorsk_or_english(app):
    """«leiar og administrator» reads as in bokmål; the nynorsk error names the nynorsk role words."""
    with app.test_request_context("/"):
        people, problems = accounts.parse_invitation_lines(
            "Kari Nordmann, kari@skole.no, leiar og administrator\nOla, ola@skole.no, tilsett\n"
            "Per, per@skole.no, leader and admin\nLiv, liv@skole.no, rektor"
        )
        assert [person.roles for person in people] == [["leader", "admin"], ["staff"], ["leader", "admin"]]
        assert problems == ["Linje 4: ukjent rolle «rektor». Skriv ansatt, leder eller administrator."]
        with force_locale("nn"):
            _people, problems = accounts.parse_invitation_lines("Liv, liv@skole.no, rektor")
        assert problems == ["Linje 1: ukjend rolle «rektor». Skriv tilsett, leiar eller administrator."]
