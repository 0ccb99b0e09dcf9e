"""A request body over MAX_CONTENT_LENGTH (256 kB) gets a clear 413 page in Norwegian, not a crash."""

from __future__ import annotations

from flask import request

from tests.conftest import make_app


def test_an_oversized_form_gets_413_before_anything_reads_it(tmp_path):
    """A form with a CSRF check, as every form has: the size is refused first, in Norwegian."""
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    app.add_url_rule("/test/skjema", "test_form", lambda: request.form.get("tekst", ""), methods=["POST"])
    client = app.test_client()
    response = client.post("/test/skjema", data={"tekst": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "For mye på en gang" in html
    assert "høyst 256 kB" in html
    assert '<html lang="nb">' in html
    # Just under the limit the same form is judged on its CSRF token instead.
    small = client.post("/test/skjema", data={"tekst": "x" * 1000})
    assert small.status_code == 400


def test_the_limit_is_256_kb(app):
    """The configured size the 413 page names."""
    assert app.config["MAX_CONTENT_LENGTH"] == 256 * 1024
