"""Read pages the way a person does: the visible text, the links, and what is reachable from home."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

# Elements that start a new line on screen: their text never runs into the text around them.
BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "section", "table", "td", "th", "tr", "ul", "title", "button", "label", "summary", "details",
}  # fmt: skip
HIDDEN_TAGS = {"script", "style", "template", "noscript"}


def normalise(text: str) -> str:
    """Collapse every run of whitespace (also non-breaking spaces) to one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


@dataclass
class Link:
    """An <a href> with the text a person sees on it."""

    href: str
    text: str
    attrs: dict[str, str | None] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[Link] = []
        self.h1: list[str] = []
        self._hidden = 0
        self._open_links: list[tuple[dict[str, str | None], list[str]]] = []
        self._h1_parts: list[str] | None = None

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        for _attrs, parts in self._open_links:
            parts.append(text)
        if self._h1_parts is not None:
            self._h1_parts.append(text)

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_TAGS:
            self._hidden += 1
        if tag in BLOCK_TAGS:
            self._emit(" ")
        if tag == "a":
            self._open_links.append((dict(attrs), []))
        if tag == "h1":
            self._h1_parts = []

    def handle_endtag(self, tag):
        if tag in HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        if tag in BLOCK_TAGS:
            self._emit(" ")
        if tag == "a" and self._open_links:
            attrs, parts = self._open_links.pop()
            if attrs.get("href") is not None:
                self.links.append(Link(attrs["href"] or "", normalise("".join(parts)), attrs))
        if tag == "h1" and self._h1_parts is not None:
            self.h1.append(normalise("".join(self._h1_parts)))
            self._h1_parts = None

    def handle_data(self, data):
        if not self._hidden:
            self._emit(data)


@dataclass
class Page:
    """One rendered HTML page: its URL, visible text, links and main headings."""

    url: str
    html: str
    text: str
    links: list[Link]
    h1: list[str]

    def contains(self, fact: str) -> bool:
        """Whether the fact stands in the text as whole words (not glued to a neighbouring word)."""
        pattern = r"(?<!\w)" + re.escape(normalise(fact)) + r"(?!\w)"
        return re.search(pattern, self.text) is not None


def parse_page(url: str, html: str) -> Page:
    """Parse HTML into the text and links a person sees."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return Page(url, html, normalise("".join(parser.parts)), parser.links, parser.h1)


def is_internal(href: str) -> bool:
    """Whether a link stays on this site (same origin, a page or file we serve)."""
    parts = urlsplit(href)
    if parts.scheme and parts.scheme not in {"http", "https"}:
        return False  # tel:, mailto:, ...
    return not parts.netloc or parts.netloc == "localhost"


# Personal areas behind a login (the emergency mode links to /varsel/ny): not public pages, not crawled.
PERSONAL_PREFIXES = ("/konto", "/admin", "/varsel")


# The visitor's languages under their own path prefix (backend/i18n.py): /en/... is the English site.
LANGUAGE_PREFIXES = ("/en",)


def language_of(path: str) -> str | None:
    """Return the language prefix a path starts with ("/en"), or None for the school's language."""
    return next((p for p in LANGUAGE_PREFIXES if path == p or path.startswith(p + "/")), None)


def strip_language(path: str) -> str:
    """Return the path without its language prefix (/en/akutt -> /akutt)."""
    prefix = language_of(path)
    return (path[len(prefix) :] or "/") if prefix else path


def crawl(client, start: str = "/") -> dict[str, Page]:
    """Follow every same-origin link from start with GET, like a person tapping through; return HTML pages.

    Fails when a followed link does not answer 200, so a broken link is a test failure. Links into the
    personal areas (login required) are left alone; their own tests check them.
    """
    pages: dict[str, Page] = {}
    queue = [start]
    seen = {start}
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        if response.mimetype != "text/html":
            continue
        page = parse_page(url, response.get_data(as_text=True))
        pages[url] = page
        for link in page.links:
            if not is_internal(link.href):
                continue
            target, _fragment = urldefrag(urljoin(url, link.href))
            target = urlsplit(target)._replace(scheme="", netloc="").geturl()
            path = urlsplit(target).path
            if language_of(path) != language_of(start):
                continue  # the footer's language switch: the other language is its own site
            if strip_language(path).startswith(PERSONAL_PREFIXES):
                continue
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    return pages
