"""The UI's language: the school's own by default, English under /en/ with every link staying English."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from backend import i18n
from tests.pages import normalise


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


# ---- The catalogues: every UI string is translated (issue 14, item 4).

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "frontend" / "templates"
CATALOGUES = ROOT / "backend" / "translations"
# The template folders whose text is checked to stand in gettext. The coordinator extends it to every
# folder once the other parts of issue 14 have wrapped theirs.
# Every template folder: pages, signed-in screens, the admin, alerts and mails.
CHECKED = tuple(sorted(path.name for path in TEMPLATES.iterdir()))
# Words that are the same in every language: the app's name.
NOT_TRANSLATED = {"Rusplan", "Forbidden"}  # and Werkzeug's English 403 text, looked for, never shown
# Attributes a person reads or hears (title, labels for screen readers, confirm dialogs).
VISIBLE_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "hx-confirm", "aria-description"}
KEBAB_CASE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(language: str):
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


def messages(language: str) -> list:
    return [message for message in catalogue(language) if message.id]


def singular(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def translations(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


@pytest.mark.parametrize("language", ["nn", "en"])
def test_every_catalogue_entry_is_translated(language):
    """No msgid is left without its nynorsk and English text, and every placeholder is kept."""
    problems = []
    for message in messages(language):
        wanted = set(PLACEHOLDER.findall(singular(message)))
        if isinstance(message.id, tuple):
            # A plural entry: a form may say the number («%(num)d minutt») though the singular msgid
            # writes it out («ett minutt»); each form uses only placeholders the msgids have.
            wanted = set().union(*(PLACEHOLDER.findall(text) for text in message.id))
        for text in translations(message):
            if not text.strip():
                problems.append(f"{language}: no translation of {singular(message)!r}")
            elif isinstance(message.id, tuple) and not set(PLACEHOLDER.findall(text)) <= wanted:
                problems.append(f"{language}: unknown placeholder in {singular(message)!r} -> {text!r}")
            elif not isinstance(message.id, tuple) and set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"{language}: placeholders differ in {singular(message)!r} -> {text!r}")
    assert messages(language), f"the {language} catalogue is empty"
    assert not problems, "\n".join(problems)


def test_the_catalogues_hold_every_extracted_string():
    """messages.pot and the three catalogues list the same msgids (`make translations` was run)."""
    with (CATALOGUES / "messages.pot").open("rb") as pot_file:
        template = {singular(m) for m in read_po(pot_file) if m.id}
    assert template, "messages.pot is empty: is babel.cfg finding the files?"
    for language in ("nb", "nn", "en"):
        assert {singular(m) for m in messages(language)} == template, f"run `make translations` ({language})"


# Bokmål forms that nynorsk writes otherwise: as whole words they betray an untranslated UI string.
BOKMAL_WORDS = ("ikke", "hva", "hvem", "jeg", "skole", "hvordan", "hvor", "noe", "bare", "nå", "uten", "fra")


def bokmal_words(text: str) -> list[str]:
    found = re.findall(r"[A-Za-zÆØÅæøå]+", text.lower())
    return [word for word in found if word in BOKMAL_WORDS]


def test_nynorsk_catalogue_has_no_bokmal_words():
    """The nynorsk texts are nynorsk: none of the bokmål words the nynorsk UI must never show."""
    problems = [
        f"{singular(m)!r} -> {text!r}: {bokmal_words(text)}"
        for m in messages("nn")
        for text in translations(m)
        if bokmal_words(text)
    ]
    assert not problems, "\n".join(problems)


class _TextFinder(HTMLParser):
    """Collect what a person reads in template markup: text nodes and the visible attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._hidden = 0
        self._meta_text = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):  # <code>: a command or an example typed as it is
            self._hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                self.found.append(value)
        if tag == "meta" and values.get("name") in ("description", "apple-mobile-web-app-title"):
            self.found.append(values.get("content") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data):
        if not self._hidden:
            self.found.append(data)


GETTEXT_NAMES = {"_", "gettext", "ngettext", "pgettext", "lazy_gettext"}


def looks_like_words(literal: str) -> bool:
    """A Jinja string literal a person may read: letters, and a space, a capital or a Norwegian letter.
    Identifiers, endpoints, file names and CSS classes ("audience", "public.home", "tile-sub") are not."""
    has_letters = re.search(r"[A-Za-zÆØÅæøå]", literal) is not None
    tokens = literal.split()
    if tokens and all(re.fullmatch(r"[a-z][a-z0-9-]*", t) for t in tokens) and any("-" in t for t in tokens):
        return False  # a list of CSS classes ("button button-secondary")
    return has_letters and re.fullmatch(r"[a-z0-9_./:#?=%(),-]+", literal) is None


def untranslated_text(source: str) -> list[str]:
    """Return the words in a template that a person sees but gettext never sees.

    The template's own text (outside Jinja tags, comments and {% trans %} blocks) goes through an
    HTML parser; Jinja expressions become a placeholder. String literals inside Jinja tags that look
    like words for people (a letter and a space) must be the argument of a gettext call.
    """
    from jinja2 import Environment

    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    markup: list[str] = []
    problems: list[str] = []
    in_trans = False
    significant: list[tuple[str, str]] = []  # the Jinja tokens before this one (no whitespace)
    allowed_plural = False
    for _line, kind, value in env.lex(source):
        if kind == "data":
            if not in_trans:
                markup.append(value)
            continue
        if kind in ("whitespace", "comment_begin", "comment", "comment_end"):
            continue
        if kind in ("variable_begin", "block_begin"):
            markup.append(" ")  # a value: a space keeps text apart and a tag's name whole
        if kind == "name" and significant and significant[-1][0] == "block_begin":
            if value == "trans":
                in_trans = True
            elif value == "endtrans":
                in_trans = False
        if kind == "string" and looks_like_words(value[1:-1]) and value[1:-1] not in NOT_TRANSLATED:
            after_call = (
                len(significant) >= 2
                and significant[-1] == ("operator", "(")
                and (significant[-2][0] == "name" and significant[-2][1] in GETTEXT_NAMES)
            )
            plural = allowed_plural and significant[-1] == ("operator", ",")
            # ngettext's plural and pgettext's msgid are the second literal of the call
            allowed_plural = after_call and significant[-2][1] in ("ngettext", "pgettext")
            if not (after_call or plural):
                problems.append(value[1:-1])
        significant.append((kind, value))
    finder = _TextFinder()
    finder.feed("".join(markup))
    finder.close()
    for text in finder.found:
        words = text.strip()
        if KEBAB_CASE.fullmatch(words):
            continue  # a class name (a {% block body_class %}), not words
        if re.search(r"[A-Za-zÆØÅæøå]", words) and words not in NOT_TRANSLATED:
            problems.append(words)
    return problems


def checked_templates() -> list[Path]:
    paths = []
    for name in CHECKED:
        target = TEMPLATES / name
        paths += sorted(target.rglob("*.html")) if target.is_dir() else [target]
    return paths


def test_no_template_text_outside_gettext():
    """Every word a person reads in the checked templates stands in a gettext call or a trans block."""
    problems = [
        f"{path.relative_to(ROOT)}: {text!r}"
        for path in checked_templates()
        for text in untranslated_text(path.read_text(encoding="utf-8"))
    ]
    assert checked_templates(), "no templates found"
    assert not problems, "\n".join(problems)


def test_the_template_check_finds_plain_text():
    """The check above fails on text outside gettext: in an element, an attribute, a Jinja literal."""
    assert untranslated_text("<p>Ring rektor</p>") == ["Ring rektor"]
    assert untranslated_text('<nav aria-label="Hovedmeny"></nav>') == ["Hovedmeny"]
    assert untranslated_text('{% set title = "Fant ikke siden" %}') == ["Fant ikke siden"]
    assert untranslated_text('{% set title = "Forside" %}{{ f(x, "Politi") }}') == ["Forside", "Politi"]
    assert untranslated_text('{{ url_for("public.home") }}{{ x|selectattr("audience", "ne", "all") }}') == []
    assert untranslated_text("<p>{{ contact.name }} – {{ phone }}</p>") == []
    assert untranslated_text('<p>{{ _("Ring %(n)s", n=x) }}</p>{% trans %}Hei <b>du</b>{% endtrans %}') == []
    assert untranslated_text('{{ ngettext("%(num)s dag", "%(num)s dager", n) }}') == []
    assert untranslated_text("{# Comments are for developers. #}<span>Rusplan</span>") == []
    assert untranslated_text("{% block body_class %}poster-page{% endblock %}") == []
    markup = '<li{% if child %} class="tile-child"{% endif %}>{{ x|default("Rusplan") }}</li>'
    assert untranslated_text(markup) == []


# Norwegian in a string literal of a script: letters only Norwegian has, or common Norwegian words.
NORWEGIAN_IN_JS = re.compile(r"[æøåÆØÅ]|\b(ikke|er|og|på|til|du|det|som|med|for|Ring|Varsel\w*)\b")
JS_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`")


def script_literals(source: str) -> list[str]:
    """The string literals of a script, comments left out."""
    without_comments = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    without_comments = re.sub(r"(?m)^\s*//.*$|(?<=[;,{}()\s])//.*$", "", without_comments)
    return JS_STRING.findall(without_comments)


def test_scripts_hold_no_norwegian_text():
    """The page scripts and the service worker take their words from the catalogues, never hard-coded."""
    scripts = [*sorted((ROOT / "frontend" / "static" / "js").glob("*.js")), TEMPLATES / "pwa" / "sw.js"]
    problems = [
        f"{path.relative_to(ROOT)}: {literal}"
        for path in scripts
        # In the service worker's template, {{ _("…") }} is the catalogue: left out of the check.
        for literal in script_literals(re.sub(r"\{\{.*?\}\}", "", path.read_text(encoding="utf-8")))
        if NORWEGIAN_IN_JS.search(literal)
    ]
    assert not problems, "\n".join(problems)


# ---- Rendered pages: English under /en/ on every public page; a nynorsk school shows no bokmål UI.


def english_for(msgid: str) -> str:
    found = catalogue("en").get(msgid)
    assert found is not None and found.string, f"no English for {msgid!r}"
    return found.string


def ui_sentences(language: str) -> dict[str, str]:
    """The catalogue's whole sentences (no placeholders, no markup) whose translation differs."""
    return {
        singular(m): translations(m)[0]
        for m in messages(language)
        if not isinstance(m.id, tuple)
        and len(singular(m)) >= 12
        and "%(" not in singular(m)
        and "<" not in singular(m)
        and translations(m)[0] != singular(m)
    }


def public_urls(app) -> list[str]:
    from backend.routes.common import public_page_urls
    from backend.services.plan import revision_cache

    with app.test_request_context():
        return public_page_urls(revision_cache.current().plan)


def content_texts(app) -> list[str]:
    """Every text of the current plan as a page shows it (Markdown rendered), longest first.

    Plan content is in the school's language whatever the UI's; what is left of a page without it is UI.
    """
    from backend.services.markdown import render
    from backend.services.plan import revision_cache
    from tests.pages import parse_page

    with app.app_context():
        data = revision_cache.current().plan.model_dump(mode="json")
    found: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value.strip():
            found.append(normalise(value))
            found.append(parse_page("", str(render(value))).text)

    walk(data)
    return sorted({text for text in found if text}, key=len, reverse=True)


def ui_text_of(text: str, content: list[str]) -> str:
    """A page's visible text without the plan's own texts (each cut out where it stands)."""
    for piece in content:
        if len(piece) >= 3:  # ids and codes ("nn", "3") would cut letters out of words
            text = re.sub(r"(?<!\w)" + re.escape(piece) + r"(?!\w)", " | ", text)
    return text


def test_every_public_page_is_english_under_en(app, client):
    """/en/<page> answers 200 in English: <html lang="en">, English navigation, no Norwegian UI sentence."""
    from tests.pages import parse_page

    nav = ["Forside", "Sjekkliste", "Hva gjør vi?", "Kontakter", "Finn hjelp", "Om planen", "Tilgjengelighet"]
    sentences = ui_sentences("en")
    content = content_texts(app)
    urls = public_urls(app)
    assert len(urls) > 10
    for url in urls:
        response = client.get("/en" + url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert html_lang(body) == "en", url
        page = parse_page("/en" + url, body)
        link_texts = {link.text for link in page.links}
        assert {english_for(word) for word in nav} <= link_texts, url
        assert english_for("Akutt") in link_texts and "Norsk" in link_texts, url
        ui = ui_text_of(page.text, content)
        left = [norwegian for norwegian in sentences if normalise(norwegian) in ui]
        assert not left, f"/en{url} still says {left}"


def test_language_switch_leads_to_the_same_page(client):
    """The footer links to this page in English, and back to the school's language, in 44 px targets."""
    from tests.pages import parse_page

    page = parse_page("/kontakter", client.get("/kontakter").get_data(as_text=True))
    switch = [link for link in page.links if "data-language-switch" in link.attrs]
    assert [(s.href, s.text, s.attrs.get("lang")) for s in switch] == [("/en/kontakter", "English", "en")]
    assert switch[0].attrs.get("hx-boost") == "false"  # a full load: <html lang> changes with it
    page = parse_page("/en/kontakter", client.get("/en/kontakter").get_data(as_text=True))
    switch = [link for link in page.links if "data-language-switch" in link.attrs]
    assert [(s.href, s.text, s.attrs.get("lang")) for s in switch] == [("/kontakter", "Norsk", "nb")]


def test_english_pages_keep_one_app_and_one_service_worker(client):
    """On /en/ pages the worker is still /sw.js (scope /); the manifest keeps the app's id and scope."""
    body = client.get("/en/").get_data(as_text=True)
    assert 'rel="manifest" href="/en/manifest.webmanifest"' in body
    assert re.search(r'src="/static/js/pwa\.js\?v=[0-9a-f]{10}"', body)
    assert "/en/static/" not in body  # one copy of each file for both languages, the one stored offline
    english = client.get("/en/manifest.webmanifest").get_json()
    school = client.get("/manifest.webmanifest").get_json()
    assert english["id"] == school["id"] == "/" and english["scope"] == school["scope"] == "/"
    assert english["start_url"] == "/en/" and school["start_url"] == "/"
    assert english["lang"] == "en" and school["lang"] == "nb"
    assert english["name"] == english_for("Rusplan – Handlingsplan mot rus")
    assert "hva du gjør" in school["description"] and "what to do" in english["description"]
    assert [s["url"] for s in english["shortcuts"]] == ["/en/akutt", "/en/kontakter"]
    worker = client.get("/sw.js").get_data(as_text=True)
    assert "Nettet er tilbake" in worker and 'const LANG = "nb"' in worker


def test_dates_follow_the_language(app):
    """Dates read «26. november 2026» in Norwegian (as before) and «26 November 2026» in English."""
    from datetime import date

    from flask_babel import force_locale

    from backend.services.dates import norwegian_date

    with app.test_request_context():
        assert norwegian_date(date(2026, 11, 26)) == "26. november 2026"
        assert norwegian_date(date(2026, 5, 1)) == "1. mai 2026"
        with force_locale("nn"):
            assert norwegian_date(date(2026, 5, 1)) == "1. mai 2026"
        with force_locale("en"):
            assert norwegian_date(date(2026, 11, 26)) == "26 November 2026"


def test_script_texts_come_from_the_page_in_its_language(client):
    """The scripts' words stand in #ui-text, translated; the archive note stays in the school's language."""
    import json
    from html import unescape

    def texts(url):
        body = client.get(url).get_data(as_text=True)
        found = re.search(r"<div id=\"ui-text\" data-ui-text='([^']*)' hidden></div>", body)
        assert found, url
        return json.loads(unescape(found.group(1)))

    school, english = texts("/"), texts("/en/")
    assert school["updated"] == "Planen er oppdatert"
    assert english["updated"] == english_for("Planen er oppdatert")
    assert english["doneToday"] == "Done at {time}"
    assert school["noteDone"] == english["noteDone"] == "Gjort:"
    assert english["locale"] == "en-GB" and english["noteLocale"] == school["locale"] == "nb-NO"


@pytest.fixture
def nynorsk_app(tmp_path):
    """Halden's plan, written as a nynorsk school's (plan.yaml `language: nn`): the UI must follow."""
    from backend.content.schema import Plan
    from backend.extensions import db
    from backend.services import plan as plan_service
    from tests.conftest import make_app

    app = make_app(tmp_path)
    with app.app_context():
        data = plan_service.revision_cache.current().plan.model_dump(mode="json")
        data["meta"]["language"] = "nn"
        plan_service.publish(Plan.model_validate(data), author=None, note="nynorsk", source="import")
        db.session.commit()
        assert plan_service.revision_cache.current().plan.meta.language == "nn"
    yield app
    with app.app_context():
        db.engine.dispose()
    plan_service.revision_cache.clear()


# The bokmål words the issue names: none may be UI text on a nynorsk school's page.
BOKMAL_UI_WORDS = ("ikke", "hva", "hvem", "jeg", "skole")


def test_nynorsk_school_shows_no_bokmal_ui(nynorsk_app):
    """Every public page of a nynorsk school says <html lang="nn">, and its UI text (the page minus the
    plan's own words) holds none of «ikke», «hva», «hvem», «jeg», «skole»; its navigation is nynorsk."""
    from tests.pages import parse_page

    client = nynorsk_app.test_client()
    content = content_texts(nynorsk_app)
    urls = public_urls(nynorsk_app)
    assert len(urls) > 10
    problems = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert html_lang(body) == "nn", url
        page = parse_page(url, body)
        assert "Kva gjer vi?" in {link.text for link in page.links}, url
        ui = ui_text_of(page.text, content)
        words = [w for w in re.findall(r"[a-zæøå]+", ui.lower()) if w in BOKMAL_UI_WORDS]
        if words:
            problems.append(f"{url}: {sorted(set(words))} in {ui!r}")
    assert not problems, "\n".join(problems)


def test_nynorsk_school_worker_and_manifest_speak_nynorsk(nynorsk_app):
    """The service worker's own notifications and the manifest follow the school's language too."""
    client = nynorsk_app.test_client()
    worker = client.get("/sw.js").get_data(as_text=True)
    assert 'const LANG = "nn"' in worker and "Opne Rusplan." in worker
    manifest = client.get("/manifest.webmanifest").get_json()
    assert manifest["lang"] == "nn" and "kva du gjer" in manifest["description"]
    offline = client.get("/offline").get_data(as_text=True)
    assert html_lang(offline) == "nn" and "Du er utan nett" in offline


def test_error_pages_speak_the_page_language(client):
    """A missing page under /en/ says so in English, and in bokmål at the school's own address."""
    english = client.get("/en/finnes-ikke")
    assert english.status_code == 404
    body = english.get_data(as_text=True)
    assert html_lang(body) == "en"
    assert english_for("Fant ikke siden") in body and "Fant ikke siden" not in body
    school = client.get("/finnes-ikke").get_data(as_text=True)
    assert html_lang(school) == "nb" and "Fant ikke siden" in school


def test_english_student_page_when_the_school_wrote_one(app, client):
    """/en/finn-hjelp shows the school's English text (sections/finn-hjelp.en.md) marked lang="en"; without
    one, English pages show the school's own text marked with its language; Norwegian pages are unchanged."""
    from backend.content.schema import Plan
    from backend.extensions import db
    from backend.services import plan as plan_service

    before = client.get("/en/finn-hjelp").get_data(as_text=True)
    assert '<div class="prose" lang="nb">' in before
    with app.app_context():
        data = plan_service.revision_cache.current().plan.model_dump(mode="json")
        for section in data["sections"]:
            if section["slug"] == "finn-hjelp":
                section["body_en"] = "Talk to **someone you trust** at school."
        plan_service.publish(Plan.model_validate(data), author=None, note="English page", source="import")
        db.session.commit()
    english = client.get("/en/finn-hjelp").get_data(as_text=True)
    assert '<div class="prose"><p>Talk to <strong>someone you trust</strong> at school.</p></div>' in english
    school = client.get("/finn-hjelp").get_data(as_text=True)
    assert "someone you trust" not in school and '<div class="prose">' in school


def test_language_switch_never_carries_a_query(client):
    """Public pages are cached per path: the switch names the path only, never one visitor's query."""
    from tests.pages import parse_page

    page = parse_page("/", client.get("/kontakter?fra=plakat").get_data(as_text=True))
    switch = [link.href for link in page.links if "data-language-switch" in link.attrs]
    assert switch == ["/en/kontakter"]


def test_the_catalogues_are_up_to_date_with_the_code():
    """Every string the code and templates pass to gettext is in messages.pot (`make translations` ran)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
    in_code = {
        message[0] if isinstance(message, tuple) else message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    with (CATALOGUES / "messages.pot").open("rb") as pot_file:
        in_catalogue = {singular(m) for m in read_po(pot_file) if m.id}
    missing = sorted(in_code - in_catalogue)
    assert not missing, f"run `make translations` and translate: {missing}"
