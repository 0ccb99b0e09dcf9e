"""The administration in English (/en/admin/...) and in nynorsk (a school whose plan says `language: nn`).

Every admin page is read as an admin sees it. What the school wrote (the plan's texts, names, numbers)
stays as written; every other word on the page must come from the catalogue in the page's language,
so no bokmål text from the catalogue may be left, and on a nynorsk page no bokmål word either.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from backend.extensions import db
from backend.forms import RolesForm
from backend.models import User
from backend.routes.common import FIXED_INFO_PAGES
from backend.services import accounts
from backend.services import draft as drafts
from tests.support import admin_client, csrf_token, post

TRANSLATIONS = Path(__file__).resolve().parent.parent / "backend" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
# Words a nynorsk page must not use (the word list): bokmål forms with another nynorsk form.
BOKMAL_WORDS = re.compile(r"\b(ikke|hva|hvem|jeg|skole)\b", re.IGNORECASE)
# Admin pages that are not admin templates: the draft shown as the public pages (public templates),
# and the zip download (a file, no page).
# Downloads, the preview, and an old address that only redirects (the police form became the numbers list).
NOT_ADMIN_PAGES = {"admin.preview", "admin.download", "admin.police"}
# Form labels come from backend/forms.py, which another part of issue 14 puts through gettext; until
# its labels are lazy (translated) strings, the <label>/<legend> texts they make are not checked here.
FORM_LABELS_TRANSLATED = not isinstance(RolesForm.roles.args[0], str)
SHOWN_ATTRIBUTES = {
    "aria-label",
    "title",
    "placeholder",
    "alt",
    "hx-confirm",
    "data-copy-done",
    "data-copy-selected",
}


class VisibleText(HTMLParser):
    """Collect the words a person reads or hears on a page, outside what the school wrote itself.

    Only <main> is read: the header and footer around it are the public pages' (tests/test_i18n.py), and
    the overdue-review banner is every signed-in page's (account/_review.html).
    Skipped: scripts and styles, the text in form fields and code, and rendered Markdown (`.prose`):
    that is the plan's content.
    """

    SKIPPED = {"script", "style", "textarea", "code", "pre", "option"}
    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.stack: list[bool] = []  # per open element: is its text skipped

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.stack = [False]
            return
        if not self.stack:  # outside <main>
            return
        attributes = dict(attrs)
        for name in SHOWN_ATTRIBUTES & attributes.keys():
            if attributes[name]:
                self.pieces.append(attributes[name])
        if tag in self.VOID:
            return
        skipped = (
            tag in self.SKIPPED
            or "prose" in (attributes.get("class") or "").split()
            or (tag in {"label", "legend"} and not FORM_LABELS_TRANSLATED)
            or "data-review-overdue" in attributes  # account/_review.html (every signed-in page's)
        )
        self.stack.append(skipped or self.stack[-1])

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if data.strip() and self.stack and not self.stack[-1]:
            self.pieces.append(" ".join(data.split()))


def content_strings(app) -> list[str]:
    """Every text of the plan (both the live one and the draft) and of the accounts, longest first."""
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, str):
            found.update({value, " ".join(value.split())})
            found.update(line.strip() for line in value.splitlines())
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    with app.app_context():
        current = drafts.current()
        walk(current.data)
        walk(drafts.revision(current.latest_revision_id).data)
        for user in db.session.execute(db.select(User)).scalars():
            found.update({user.name, user.email})
        # What a revision says about itself («Importert fra halden-vgs») is a record, kept as written.
        found.update(revision.note for revision in drafts.revisions(500) if revision.note)
    # The titles of the public info pages (routes/common.py) are the public pages' part of issue 14;
    # the draft's preview links show them, and they are checked here once they go through gettext.
    found.update(title for title in FIXED_INFO_PAGES.values() if isinstance(title, str))
    return sorted((text for text in found if len(text) > 2), key=len, reverse=True)


def ui_text(html: str, content: list[str]) -> list[str]:
    """The page's own words: visible text with every piece of the school's content taken out."""
    parser = VisibleText()
    parser.feed(html)
    pieces = []
    for piece in parser.pieces:
        for text in content:
            if text in piece:
                piece = piece.replace(text, " ")
        piece = " ".join(piece.split())
        if piece:
            pieces.append(piece)
    return pieces


def bokmal_catalogue_texts(language: str) -> list[str]:
    """The bokmål texts (msgid fragments between placeholders) the catalogue translates differently."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalogue = read_po(po_file, locale=language)
    texts = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid, translated in zip(ids, strings, strict=False):
            if not translated or translated == msgid:
                continue
            translated_fragments = set(PLACEHOLDER.split(translated))
            for fragment in PLACEHOLDER.split(re.sub(r"<[^>]+>", "%(tag)s", msgid)):
                fragment = fragment.strip(" .,:;()«»")
                # Short fragments ("av", "Av") are words of any text; the whole short msgid is checked below.
                if len(fragment) >= 8 and not any(fragment in text for text in translated_fragments):
                    texts.add(fragment)
            if not PLACEHOLDER.search(msgid):
                texts.add(msgid)
    return sorted(texts)


def leftover_bokmal(pieces: list[str], texts: list[str]) -> list[str]:
    """Catalogue texts still on the page: a long one anywhere in the text, a short one as a whole piece."""
    joined = "\n".join(pieces)
    whole = set(pieces)
    found = []
    for text in texts:
        if (len(text) >= 8 and text in joined) or text in whole:
            found.append(text)
    return found


@pytest.fixture
def admin(app):
    """An admin with a published change and another change in the draft, so every list has items."""
    client = admin_client(app)
    with app.app_context():
        first = drafts.current().data["contacts"]["groups"][0]["contacts"][0]["id"]

        def retitle(data: dict) -> None:
            data["contacts"]["groups"][0]["contacts"][0]["phone"] = "912 34 567"
            # An annual wheel too, so its admin screens (when there are any) show an activity.
            role = data["roles"][0]["id"]
            activity = {"text": "Foreldremøte om rus", "responsible": role}
            data["annual_wheel"] = {"title": "Årshjul", "months": [{"month": 9, "activities": [activity]}]}

        drafts.update(retitle, actor="admin@skole.no")
        version = drafts.current().version
        drafts.publish("Nytt nummer", actor="admin@skole.no", expected_version=version)

        def rename(data: dict) -> None:
            data["contacts"]["groups"][0]["contacts"][0]["phone"] = "913 45 678"

        drafts.update(rename, actor="admin@skole.no")
        accounts.create_user("kari@skole.no", "Kari Nordmann", ["staff"], actor="admin@skole.no")
    client.first_contact = first
    return client


def _nynorsk_school(app) -> None:
    """Make the school's plan nynorsk (`meta.language: nn`) and publish it."""
    with app.app_context():

        def nynorsk(data: dict) -> None:
            data["meta"]["language"] = "nn"

        drafts.update(nynorsk, actor="admin@skole.no")
        drafts.publish("Nynorsk", actor="admin@skole.no", expected_version=drafts.current().version)


def admin_urls(app, client) -> list[str]:
    """Every page of the administration (GET, no file), with the ids of real items filled in."""
    with app.app_context():
        current = drafts.current()
        data = current.data
        revision_id = current.latest_revision_id
        user_id = db.session.execute(db.select(User.id).where(User.email == "kari@skole.no")).scalar_one()
    values = {
        "contact_id": client.first_contact,
        "group_id": data["contacts"]["groups"][0]["id"],
        "revision_id": revision_id,
        "user_id": user_id,
        "slug": data["sections"][0]["slug"],
    }
    with_steps = next(item for item in data["procedure_list"]["procedures"] if item["steps"])
    values.update(alternative_id=with_steps["id"], procedure_id=with_steps["id"])
    values["step_id"] = with_steps["steps"][0]["id"]
    # The editors of the general model (roles, numbers, checklists, questions, annual wheel).
    values["role_id"] = data["roles"][0]["id"]
    values["service_id"] = data["contacts"]["services"][0]["id"]
    values["checklist_id"] = data["checklist_list"]["checklists"][0]["id"]
    guide = data.get("guide") or {}
    if guide.get("questions"):
        values["question_id"] = guide.get("start") or guide["questions"][0]["id"]
    values.update(month=data["annual_wheel"]["months"][0]["month"], index=0)
    urls = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint not in {"admin", "places"} or "GET" not in rule.methods:
            continue
        if rule.endpoint in NOT_ADMIN_PAGES:
            continue
        missing = [name for name in rule.arguments if name not in values]
        assert not missing, f"{rule.rule}: add a value for {missing} to admin_urls"
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **{name: values[name] for name in rule.arguments}))
    urls.append("/admin/innlogging")  # the sign-in settings (admin/sign_in.html)
    return sorted(set(urls))


def _check(app, client, prefix: str, language: str) -> dict[str, list[str]]:
    texts = bokmal_catalogue_texts(language)
    content = content_strings(app)
    problems: dict[str, list[str]] = {}
    for url in admin_urls(app, client):
        response = client.get(prefix + url)
        assert response.status_code == 200, f"{prefix}{url}: {response.status_code}"
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}"' in html, url
        pieces = ui_text(html, content)
        found = leftover_bokmal(pieces, texts)
        if language == "nn":
            found += sorted({match.group(0) for piece in pieces for match in BOKMAL_WORDS.finditer(piece)})
        if found:
            problems[url] = found
    return problems


def test_every_admin_page_in_english_has_no_bokmal_from_the_catalogue(app, admin):
    """Under /en/ every admin page speaks English; only the school's own content stays Norwegian."""
    assert _check(app, admin, "/en", "en") == {}


def test_every_admin_page_of_a_nynorsk_school_is_nynorsk(app, admin):
    """A school whose plan is in nynorsk gets a nynorsk administration: no bokmål UI text or word."""
    _nynorsk_school(app)
    assert _check(app, admin, "", "nn") == {}


def test_an_invitation_made_in_english_is_english(app, admin):
    """The page shown after inviting someone (a POST) and its copy texts follow the language too."""
    html = admin.get("/en/admin/brukere/ny").get_data(as_text=True)
    response = post(
        admin,
        "/en/admin/brukere/ny",
        {"csrf_token": csrf_token(html), "name": "Ola Nordmann", "email": "ola@skole.no", "roles": "staff"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Invitation for Ola Nordmann" in page
    assert 'data-copy-selected="The text is selected. Choose «Copy» on your phone."' in page
    assert leftover_bokmal(ui_text(page, content_strings(app)), bokmal_catalogue_texts("en")) == []


def test_flash_after_an_edit_is_in_the_page_language(app, admin):
    """A message after saving follows the language of the page it was sent from."""
    html = admin.get("/en/admin/utkast").get_data(as_text=True)
    response = post(
        admin, "/en/admin/utkast/forkast", {"csrf_token": csrf_token(html)}, follow_redirects=True
    )
    body = response.get_data(as_text=True)
    assert "The draft is discarded." in body
    assert "Utkastet er forkastet." not in body


def test_a_short_word_with_two_meanings_is_translated_by_its_meaning(app, admin):
    """«Av» is «By» beside who published a revision, and «Off» for alerts; each page says the right one."""
    with app.app_context():
        revision_id = drafts.current().latest_revision_id
    revision = admin.get(f"/en/admin/revisjoner/{revision_id}").get_data(as_text=True)
    assert "<dt>By</dt>" in revision
    assert "<dt>Av</dt>" in admin.get(f"/admin/revisjoner/{revision_id}").get_data(as_text=True)
    assert "<dd data-user-alerts>Off</dd>" in admin.get("/en/admin/brukere").get_data(as_text=True)
