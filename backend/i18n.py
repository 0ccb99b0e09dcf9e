"""The UI's language: the school's written language (bokmål or nynorsk) by default, English on request.

English lives under its own path prefix, `/en/...`, rather than in a cookie: every public page is the
same bytes for everyone at its URL (shared caches, the front cache, the service worker's offline copy
all key on the URL), so a language must be part of the URL to never serve one visitor's language to
another. The WSGI layer below moves the prefix into SCRIPT_NAME, so every `url_for` on an English page
stays in English without any route knowing about languages.

Source strings (msgid) are bokmål; the catalogues in backend/translations/ hold nynorsk and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, ngettext
from flask_babel import gettext as _

from backend.services.language import school_language

# The school's own written languages, and the one a visitor may switch to.
SCHOOL_LANGUAGES = ("nb", "nn")
VISITOR_LANGUAGES = ("en",)
LANGUAGES = SCHOOL_LANGUAGES + VISITOR_LANGUAGES
ENVIRON_KEY = "rusplan.language"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


class LanguagePrefix:
    """WSGI layer: `/en/<path>` is `<path>` in English (the prefix moves into SCRIPT_NAME)."""

    def __init__(self, app, languages: tuple[str, ...] = VISITOR_LANGUAGES) -> None:
        self.app = app
        self.languages = languages

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        for language in self.languages:
            prefix = f"/{language}"
            if path == prefix or path.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix) :] or "/"
                environ[ENVIRON_KEY] = language
                break
        return self.app(environ, start_response)


def visitor_language() -> str | None:
    """Return the language the visitor chose by the URL (/en/...), or None for the school's own."""
    if not has_request_context():
        return None
    return request.environ.get(ENVIRON_KEY)


def select_locale() -> str:
    """Flask-Babel's locale selector: the visitor's choice, else the school's language."""
    return visitor_language() or school_language()


def current_language() -> str:
    """Return the language of the page being rendered, for <html lang> and the language switch."""
    return str(get_locale() or "nb")


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every messages.po whose .mo is missing or older; return the files written.

    `make` runs this before serving and testing, so a translation edited in a .po file is never
    silently ignored by a stale .mo.
    """
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written


# Each language's name in itself: the switch reads «English» to someone who reads no Norwegian.
LANGUAGE_NAMES = {"nb": "Norsk", "nn": "Norsk", "en": "English"}
# BCP 47 tags for the browser's own date and time formatting (Intl in the page's scripts).
BROWSER_LOCALES = {"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}


def school_root() -> str:
    """Return the app's root in the school's language (SCRIPT_NAME without the visitor's /en)."""
    root = request.script_root
    language = visitor_language()
    if language and root.endswith("/" + language):
        root = root[: -len(language) - 1]
    return root


def school_url(url: str) -> str:
    """Return a URL built on an English page without its /en: for files that are the same in every
    language (static files), so both languages share one copy in the browser and the offline cache."""
    if not has_request_context() or not visitor_language():
        return url
    root = request.script_root
    return school_root() + url[len(root) :] if url.startswith(root + "/") else url


@dataclass(frozen=True)
class LanguageLink:
    """The footer's link to this same page in the other language."""

    href: str
    language: str
    label: str


def language_switch() -> LanguageLink:
    """Return the link to this page in English, or back in the school's language from English."""
    # The path only, never the query: public pages are cached per path, for every visitor alike.
    path = request.path if request.url_rule is not None else "/"
    if visitor_language():
        language = school_language()
        return LanguageLink(school_root() + path, language, LANGUAGE_NAMES[language])
    return LanguageLink(f"{school_root()}/en{path}", "en", LANGUAGE_NAMES["en"])


def ui_text(plan=None) -> dict[str, str]:
    """Return the texts the page's scripts show, in the page's language (JS holds no UI text).

    Base.html writes them into a data attribute (the CSP forbids inline script). `{name}` marks a
    value the script fills in. The note for the archive is written in the school's language even on
    an English page: it is pasted into the school's own records (its title and hint are content).
    """
    archive = plan.meta.archive.name if plan is not None else ""
    texts = {
        "locale": BROWSER_LOCALES.get(current_language(), "nb-NO"),
        "updated": _("Planen er oppdatert"),
        "reload": _("Last inn ny versjon"),
        "myAccount": _("Min konto"),
        "copied": _("Kopiert."),
        "selected": _("Teksten er merket. Velg «Kopier» på telefonen."),
        "drill": _("ØVELSE – dette er ikke en ekte sak"),
        "doneToday": _("Gjort kl. %(time)s", time="{time}"),
        "doneOn": _("Gjort %(date)s kl. %(time)s", date="{date}", time="{time}"),
        "contact": _("Kontakt"),
        "wasReset": _("%(label)s er nullstilt.", label="{label}"),
        "noteCopied": _("Notatet er kopiert. Lim det inn i %(archive)s.", archive=archive),
        "offerTitle": _("Nettet er tilbake. Varselet til ledelsen er ikke sendt."),
        "offerText": _(
            "Du trykket «Varsle ledelsen» kl. %(time)s uten nett. Vil du sende det nå?", time="{time}"
        ),
        "offerTextFor": _(
            "Du trykket «Varsle ledelsen» kl. %(time)s uten nett (%(label)s). Vil du sende det nå?",
            time="{time}",
            label="{label}",
        ),
        "sendNow": _("Send varselet nå"),
        "dontSend": _("Ikke send"),
        "pushOff": _("Varsler er av på denne telefonen."),
        "pushOn": _("Varsler er på for denne telefonen."),
        "pushAsking": _("Telefonen spør om du vil tillate varsler. Svar «Tillat»."),
        "pushWaiting": _("Slår på varsler …"),
        "pushSlow": _("Dette tar litt tid. Vent litt til …"),
        "pushTimeout": _(
            "Det tok for lang tid å slå på varsler. Sjekk at du har nett, og trykk «Prøv igjen»."
        ),
        "pushBlocked": _("Varsler er blokkert i nettleseren. Se under for hvordan du tillater dem."),
        "pushDismissed": _(
            "Du svarte ikke på spørsmålet om varsler. Trykk «Slå på varsler» for å prøve igjen."
        ),
        "pushFailed": _("Kunne ikke slå på varsler på denne telefonen. Trykk «Prøv igjen»."),
        "pushOffline": _("Fikk ikke kontakt med Rusplan. Sjekk at du har nett, og prøv igjen."),
        "pushSaveFailed": _("Kunne ikke lagre valgene. Prøv igjen."),
        "pushOffFailed": _("Kunne ikke slå av varsler. Prøv igjen."),
        "pushUnexpected": _("Serveren svarte ikke som ventet. Prøv igjen."),
        "pushRetry": _("Prøv igjen"),
        "devicesNone": _("Du har ikke slått på varsler på noen enhet ennå."),
        "devicesOne": ngettext(
            "Du har slått på varsler på %(count)s enhet.",
            "Du har slått på varsler på %(count)s enheter.",
            1,
            count="{count}",
        ),
        "devicesMany": ngettext(
            "Du har slått på varsler på %(count)s enhet.",
            "Du har slått på varsler på %(count)s enheter.",
            2,
            count="{count}",
        ),
    }
    with force_locale(school_language()):
        texts.update(
            {
                "noteLocale": BROWSER_LOCALES.get(school_language(), "nb-NO"),
                "noteDrill": _("ØVELSE – dette er ikke en ekte sak"),
                "noteMade": _("Laget %(time)s.", time="{time}"),
                "noteAt": _("%(date)s kl. %(time)s", date="{date}", time="{time}"),
                "noteUnder18": _("Eleven er under 18 år."),
                "noteOver18": _("Eleven er 18 år eller eldre."),
                "noteAgeUnknown": _("Elevens alder er ikke valgt."),
                "noteDone": _("Gjort:"),
                "noteNoneDone": _("Ingen steg er krysset av ennå."),
                "noteOpen": _("Ikke krysset av:"),
                "noteCalled": _("%(who)s, ringt fra Rusplan", who="{who}"),
                "noteContacted": _("Kontaktet (rolle):"),
                "noteNoneContacted": _("Ingen registrert ennå."),
                "noteCalledBy": _("Møtet kalles inn av: %(who)s", who="{who}"),
                "noteAttendees": _("Deltar: %(who)s", who="{who}"),
                "noteAgenda": _("Dagsorden – %(intro)s", intro="{intro}"),
                "noteNoName": _("Ikke skriv elevens navn eller andre opplysninger om eleven i Rusplan."),
            }
        )
    return {key: str(value) for key, value in texts.items()}


def init_app(app: Flask) -> None:
    """Set up Flask-Babel and the /en prefix; `current_language` becomes a template global."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "nb")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Oslo")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["language_switch"] = language_switch
    app.jinja_env.globals["ui_text"] = ui_text
    app.wsgi_app = LanguagePrefix(app.wsgi_app)
