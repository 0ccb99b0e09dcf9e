"""The privacy promise at every input: a marker sent everywhere is stored and logged nowhere.

A marker (a name, a class, «ruset», and a token to search for) goes through every route of
app.url_map (the fuzzer's enumeration: tests/test_fuzz_routes.py), with each of its methods: in
every path argument, the query string, the request headers, every form field, JSON bodies, the CSP
report and push endpoints (as prose, as the tester sent it). Then neither the SQLite files (with
their -wal) nor any log line (the app's records, and the gunicorn access line AccessLogger writes
for each request) holds it.

The one exception is by design: the fields in which an administrator writes the plan itself (its
texts, contacts, places, a user's name and e-mail) store what is typed there; they get ordinary
text here, and the marker goes into every other field of the same form.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest

from tests.conftest import make_app, on_postgres
from tests.push_support import browser_subscription
from tests.test_access_log import REAL_FORMAT, WIDE_FORMAT, access_log_line
from tests.test_fuzz_routes import (
    GET_CASES,
    JSON_ROUTES,
    POST_CASES,
    PUSH_JSON_CASES,
    Case,
    Site,
    _arguments,
    build,
    client_for,
)

TOKEN = "zqxelevmerke"
MARKER = f"Ola Nordmann 2STA ruset {TOKEN}"
ENDPOINT_PROSE = [
    "https://fcm.googleapis.com/fcm/send/" + quote(MARKER),
    "https://fcm.googleapis.com/fcm/send/" + MARKER,
    "https://fcm.googleapis.com/fcm/send/x?elev=" + quote(MARKER),
    "https://fcm.googleapis.com/fcm/send/" + (quote(MARKER) + "%20") * 60,  # 1,900 characters of prose
    f"https://{TOKEN}@fcm.googleapis.com/fcm/send/x",
    f"https://fcm.googleapis.com\\{TOKEN}/x",
    f"https://fcm.googleapis.com/fcm/send/x#{quote(MARKER)}",
]

STEP_TEXT = ("text", "role", "audience", "heading")
CONTACT_TEXT = ("name", "role", "phone", "group", "new_group")
# Where an admin writes the plan (or names a person to invite): stored on purpose, shown publicly.
WRITES_TEXT: dict[str, tuple[str, ...]] = {
    "/admin/alternativer/<alternative_id>": (
        "label",
        "short",
        "title",
        "intro",
        "after_steps",
        "meeting_text",
        "agenda_intro",
        "agenda",
    ),
    "/admin/alternativer/<alternative_id>/steg/ny": STEP_TEXT,
    "/admin/alternativer/<alternative_id>/steg/<step_id>": STEP_TEXT,
    "/admin/brukere/ny": ("name", "email"),
    "/admin/datoer": (
        "school_year",
        "version",
        "version_date",
        "next_revision",
        "next_revision_date",
        "responsible",
    ),
    "/admin/erklaeringer": ("owner", "feedback_contact", "email"),
    "/admin/kontakter/<contact_id>": CONTACT_TEXT,
    "/admin/kontakter/gruppe/<group_id>": ("title",),
    "/admin/kontakter/ny": CONTACT_TEXT,
    "/admin/roller/ny": ("label",),
    "/admin/roller/<role_id>": ("label",),
    "/admin/alternativer/ny": ("label", "title", "short", "answer_label", "intro"),
    "/admin/sporsmal/ny": ("text", "help", "answers-0-label", "answers-1-label"),
    "/admin/sporsmal/<question_id>": ("text", "help", "answers-0-label"),
    "/admin/sjekklister/ny": ("title", "quote", "signs"),
    "/admin/sjekklister/<checklist_id>": ("title", "quote", "signs"),
    "/admin/numre/ny": ("label", "description", "phone"),
    "/admin/numre/<service_id>": ("label", "description", "phone"),
    "/admin/arshjul": ("title", "intro"),
    "/admin/arshjul/aktivitet/ny": ("wheel_title", "text"),
    "/admin/arshjul/<int:month>/<int:index>": ("text",),
    "/admin/tekster/ny": ("slug", "title", "body"),
    "/admin/innstillinger": ("school", "school_short", "title", "archive_name", "note_title", "note_hint"),
    "/admin/lenker": ("laws", "useful"),
    "/admin/publiser": ("note", "version"),
    "/admin/revisjoner/<dbid:revision_id>/gjenopprett": ("note",),
    "/admin/sjekkliste": ("title", "quote", "signs"),
    "/admin/tekster/<slug>": ("title", "page_title", "body", "body_en"),
    "/admin/tekster/<slug>/forhandsvis": ("body",),
    "/admin/steder/ny": ("name",),
    "/admin/steder/<dbid:place_id>": ("name",),
}
HEADERS = {
    "User-Agent": f"Mozilla/5.0 {MARKER}",
    "Referer": f"http://localhost/{quote(MARKER)}",
    "X-Forwarded-For": f"10.0.0.1, {TOKEN}",
    "Accept-Language": f"nb, {TOKEN};q=0.5",
    "HX-Request": "true",
    "HX-Current-URL": f"http://localhost/?elev={quote(MARKER)}",
    "HX-Prompt": MARKER.encode("utf-8").decode("latin-1"),
    "HX-Trigger-Name": TOKEN,
    "X-Requested-With": TOKEN,
}
QUERY = {"q": MARKER, "next": f"/{MARKER}", "elev": MARKER, "alternativ": MARKER}


def _json_bodies() -> list:
    """JSON a push route or the CSP endpoint could get, with the marker (and prose endpoints) everywhere."""
    bodies: list = [MARKER, [MARKER], {MARKER: MARKER}]
    for endpoint in ENDPOINT_PROSE:
        subscription = {**browser_subscription(endpoint), "expirationTime": MARKER}
        bodies.append(
            {
                "subscription": subscription,
                "endpoint": endpoint,
                "old_endpoint": endpoint,
                "old_auth": MARKER,
                "alerts": MARKER,
                "plan_updates": True,
                "drills": MARKER,
                MARKER: MARKER,
            }
        )
        bodies.append(
            {"subscription": {**browser_subscription(), "keys": {"p256dh": MARKER, "auth": MARKER}}}
        )
    report = {"effectiveDirective": f"script-src-{TOKEN}", "blockedURL": f"https://x.example/{TOKEN}"}
    report |= {"documentURL": f"http://localhost/?{TOKEN}", "sample": MARKER, "sourceFile": MARKER}
    bodies += [[{"type": "csp-violation", "body": report}], {"csp-report": {**report, "blocked-uri": MARKER}}]
    return bodies


class Sent:
    """Every request made, with the access-log lines gunicorn would have written for it."""

    def __init__(self) -> None:
        self.access_lines: list[str] = []
        self.count = 0
        self.statuses: set[int] = set()

    def __call__(self, client, method: str, url: str, **kwargs):
        headers = {**HEADERS, **kwargs.pop("headers", {})}
        response = client.open(url, method=method, query_string=QUERY, headers=headers, **kwargs)
        environ = response.request.environ
        size = len(response.get_data())
        for log_format in (REAL_FORMAT, WIDE_FORMAT):
            self.access_lines.append(access_log_line(environ, response.status_code, size, log_format))
        self.count += 1
        self.statuses.add(response.status_code)
        assert response.status_code < 500, (method, url, response.status_code)
        return response


def _form(rule: str, case: Case, csrf: str) -> dict:
    text = WRITES_TEXT.get(rule, ())
    return {"csrf_token": csrf, **{name: "Vanlig tekst" if name in text else MARKER for name in case.fields}}


class Capture(logging.Handler):
    """Every log record of every logger, formatted with its arguments and any traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s [%(name)s] %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + repr(record.args))


def _clients(site: Site, tmp_path) -> list[tuple]:
    """For each route and method: the case, a client as the fuzzer calls it, its CSRF token and URLs."""
    planned = []
    for number, rule in enumerate(site.app.url_map.iter_rules()):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if rule.rule in JSON_ROUTES:
                case = PUSH_JSON_CASES.get(rule.rule, Case(who="anonymous"))
            elif method == "POST":
                case = POST_CASES[rule.rule]
            else:
                case = GET_CASES.get(rule.rule, Case(who="anonymous"))
            folder = tmp_path / f"app{number}{method}"
            folder.mkdir()
            client, csrf, where = client_for(case, site, folder)
            good = {name: where.value(case.args.get(name, ("x",))[0]) for name in _arguments(rule.rule)}
            urls = {build(rule.rule, good)} | {build(rule.rule, {**good, name: MARKER}) for name in good}
            planned.append((rule.rule, method, case, client, csrf, sorted(urls)))
    return planned


def test_a_marker_through_every_input_is_stored_and_logged_nowhere(tmp_path):
    """Path, query, headers, forms, JSON, CSP report and push endpoints: the marker is in no file or log."""
    (tmp_path / "site").mkdir()
    site = Site(make_app(tmp_path / "site", WTF_CSRF_ENABLED=True))
    # Every app is made before the capture starts: migrating one (alembic's fileConfig) resets the
    # root logger's handlers.
    planned = _clients(site, tmp_path)
    capture, root = Capture(), logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    send = Sent()
    try:
        for rule, method, case, client, csrf, urls in planned:
            for url in urls:
                if rule in JSON_ROUTES:
                    for body in _json_bodies():
                        for content_type in ("application/json", "application/reports+json"):
                            headers = {"Content-Type": content_type, "X-CSRFToken": csrf}
                            send(client, method, url, data=json.dumps(body), headers=headers)
                elif method == "POST":
                    send(client, method, url, data=_form(rule, case, csrf))
                else:
                    send(client, method, url)
                # Signed out too (the admin's requests above went in signed in).
                send(site.app.test_client(), method, url)
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    assert send.count > 300, send.count
    assert {200, 204, 302, 400, 404, 422} <= send.statuses, send.statuses
    assert any("CSP violation" in line for line in capture.lines)  # the capture does see the app's log

    if not on_postgres():  # the SQLite files, with whatever the last writes left in the -wal
        files = sorted(tmp_path.rglob("*.sqlite3*"))
        assert any(path.name.endswith("-wal") for path in files), files
        for path in files:
            assert TOKEN.encode() not in path.read_bytes().lower(), path
    logged = [line for line in capture.lines if TOKEN in line.lower()]
    assert not logged, logged[:5]
    copied = [line for line in send.access_lines if TOKEN in line.lower()]
    assert not copied, copied[:5]


@pytest.mark.parametrize("endpoint", ENDPOINT_PROSE)
def test_a_push_endpoint_carrying_prose_is_refused_by_the_subscribe_route(tmp_path, endpoint):
    """A signed-in user's device cannot store prose as its endpoint: 422, and nothing stored."""
    from sqlalchemy import func, select

    from backend.extensions import db
    from backend.models import PushSubscription
    from tests.support import admin_client, token

    app = make_app(tmp_path)
    client = admin_client(app)
    response = client.post(
        "/varsel/abonnement",
        json={"subscription": browser_subscription(endpoint), "plan_updates": True},
        headers={"X-CSRFToken": token(client)},
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(PushSubscription)).scalar_one() == 0
