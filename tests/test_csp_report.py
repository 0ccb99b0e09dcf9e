"""Browsers report Content-Security-Policy violations to /csp-rapport; only directive and kind are kept."""

from __future__ import annotations

import json
import logging

import pytest

from backend.routes.csp import MAX_REPORT_BYTES, reports
from tests.test_headers import csp_directives

REPORT_URI_BODY = {
    "csp-report": {
        "document-uri": "https://rusplan.example/kontakter?navn=Ola+Nordmann",
        "referrer": "https://rusplan.example/?elev=Kari",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "script-src 'self'",
        "blocked-uri": "https://evil.example:8443/x.js?token=hemmelig",
        "status-code": 200,
        "script-sample": "alert('Kari')",
    }
}
REPORTING_API_BODY = [
    {
        "type": "csp-violation",
        "age": 10,
        "url": "https://rusplan.example/sjekkliste?x=1",
        "user_agent": "Mozilla/5.0",
        "body": {
            "documentURL": "https://rusplan.example/sjekkliste?x=1",
            "blockedURL": "inline",
            "effectiveDirective": "style-src-attr",
            "sample": "color: red",
            "disposition": "enforce",
        },
    },
    {"type": "deprecation", "body": {"id": "x"}},
]


def post(client, body, content_type: str):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/csp-rapport", data=data, content_type=content_type)


def test_every_response_names_the_report_endpoint(client):
    """report-uri for older browsers, report-to with its Reporting-Endpoints header for current ones."""
    response = client.get("/")
    directives = csp_directives(response.headers["Content-Security-Policy"])
    assert directives["report-uri"] == ["/csp-rapport"]
    assert directives["report-to"] == ["csp"]
    assert response.headers["Reporting-Endpoints"] == 'csp="/csp-rapport"'


def test_a_report_uri_report_is_counted_and_logged_without_personal_data(app, client, caplog):
    """Only the directive and the kind of resource: no page URL, referrer, query, code sample or host."""
    caplog.set_level(logging.WARNING)
    response = post(client, REPORT_URI_BODY, "application/csp-report")
    assert response.status_code == 204
    with app.app_context():
        assert dict(reports().counts) == {("script-src-elem", "other origin"): 1}
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "CSP violation: script-src-elem blocked other origin" in logged
    for personal in ("Ola", "Kari", "hemmelig", "navn=", "/x.js", "evil.example"):
        assert personal not in logged


MARKER = "olanordmann2sta"


@pytest.mark.parametrize(
    ("directive", "blocked", "expected"),
    [
        ("script-src-elem", "inline", ("script-src-elem", "inline")),
        ("script-src", "eval", ("script-src", "eval")),
        ("img-src", "http://localhost/static/x.png", ("img-src", "same origin")),
        ("img-src", f"https://{MARKER}.example/a.png", ("img-src", "other origin")),
        ("img-src", f"data:{MARKER}", ("img-src", "other origin")),
        (f"{MARKER}-src", "inline", ("unknown", "inline")),
        (f"script-src {MARKER}", f"{MARKER}", ("script-src", "unknown")),
        ("img-src", f"https://[{MARKER}/", ("img-src", "unknown")),
        (["script-src"], {"x": MARKER}, ("unknown", "unknown")),
    ],
)
def test_nothing_from_a_report_is_copied_into_the_log(app, client, caplog, directive, blocked, expected):
    """A directive that is not one of CSP's names is «unknown»; the blocked resource is only its kind."""
    caplog.set_level(logging.DEBUG)
    body = [{"type": "csp-violation", "body": {"effectiveDirective": directive, "blockedURL": blocked}}]
    assert post(client, body, "application/reports+json").status_code == 204
    with app.app_context():
        assert dict(reports().counts) == {expected: 1}
    assert MARKER not in caplog.text


def test_a_reporting_api_batch_is_counted(app, client):
    """application/reports+json carries a list; only csp-violation entries count."""
    assert post(client, REPORTING_API_BODY, "application/reports+json").status_code == 204
    with app.app_context():
        assert dict(reports().counts) == {("style-src-attr", "inline"): 1}
        assert reports().total() == 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/csp-report"),
        ({"hello": "world"}, "application/json"),
        ([{"type": "deprecation", "body": {}}], "application/reports+json"),
        (REPORT_URI_BODY, "text/plain"),
        (b"\xff\xfe", "application/json"),
    ],
)
def test_anything_else_is_a_400_and_counts_nothing(app, client, body, content_type):
    """A malformed or foreign body is refused plainly."""
    assert post(client, body, content_type).status_code == 400
    with app.app_context():
        assert reports().total() == 0


def test_no_csrf_token_is_needed(tmp_path):
    """Browsers send reports without a token, so the endpoint is exempt even with CSRF switched on."""
    from tests.conftest import make_app

    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    assert post(app.test_client(), REPORT_URI_BODY, "application/csp-report").status_code == 204


def test_a_large_report_gets_413_in_norwegian(client):
    """Reports are small; a larger body is refused before it is parsed."""
    body = {"csp-report": {**REPORT_URI_BODY["csp-report"], "script-sample": "x" * MAX_REPORT_BYTES}}
    response = post(client, body, "application/csp-report")
    assert response.status_code == 413
    assert "For mye på en gang" in response.get_data(as_text=True)


def test_reports_are_rate_limited(tmp_path):
    """A flood from one address is cut off with 429."""
    from tests.conftest import make_app

    app = make_app(tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [post(client, REPORT_URI_BODY, "application/csp-report").status_code for _ in range(61)]
    assert statuses[:60] == [204] * 60
    assert statuses[60] == 429
