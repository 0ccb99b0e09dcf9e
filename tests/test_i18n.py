"""The UI's language: the school's own by default, English under /en/ with every link staying English."""

from __future__ import annotations

import re

from backend import i18n


def html_lang(body: str) -> str:
    found = re.search(r'<html lang="([a-z]+)"', body)
    assert found, "the page has no <html lang>"
    return found.group(1)


def test_school_language_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response.get_data(as_text=True)) == "nb"


def test_english_prefix_keeps_links_in_english(client):
    response = client.get("/en/kontakter")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert html_lang(body) == "en"
    # url_for builds links under /en, so a visitor who chose English stays in English.
    assert 'href="/en/akutt"' in body
    assert 'href="/akutt"' not in body


def test_cached_pages_are_kept_per_language(client):
    """The per-revision page cache must not hand the English page to a bokmål visitor."""
    client.get("/en/kontakter")
    assert html_lang(client.get("/kontakter").get_data(as_text=True)) == "nb"
    assert html_lang(client.get("/en/kontakter").get_data(as_text=True)) == "en"


def test_prefix_is_only_a_whole_path_segment():
    seen = {}

    def app(environ, start_response):
        seen.update(
            script=environ.get("SCRIPT_NAME"), path=environ["PATH_INFO"], lang=environ.get(i18n.ENVIRON_KEY)
        )
        return []

    layer = i18n.LanguagePrefix(app)
    layer({"PATH_INFO": "/enkel-side", "SCRIPT_NAME": ""}, None)
    assert seen == {"script": "", "path": "/enkel-side", "lang": None}
    layer({"PATH_INFO": "/en", "SCRIPT_NAME": ""}, None)
    assert seen == {"script": "/en", "path": "/", "lang": "en"}
    layer({"PATH_INFO": "/en/akutt", "SCRIPT_NAME": ""}, None)
    assert seen == {"script": "/en", "path": "/akutt", "lang": "en"}
