"""A small HTML reader for route tests: elements with their attributes and text, no dependency."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    """One element: tag, attributes, its text (descendants included) and its ancestors' tags."""

    tag: str
    attrs: dict[str, str | None]
    ancestors: list[Element] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()

    def inside(self, tag: str | None = None, **attrs: str) -> bool:
        """Is this element inside an element with this tag and attributes (class_ means "has this class")?"""
        for parent in self.ancestors:
            if tag and parent.tag != tag:
                continue
            if all(
                parent.has_class(v) if k == "class_" else parent.attrs.get(k.replace("_", "-")) == v
                for k, v in attrs.items()
            ):
                return True
        return False


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), list(self.open))
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        for element in self.open:
            element.parts.append(data)


def parse(html: str | bytes) -> list[Element]:
    """Return every element of a page in document order."""
    reader = _Reader()
    reader.feed(html.decode("utf-8") if isinstance(html, bytes) else html)
    return reader.elements


def find(elements: list[Element], tag: str | None = None, **attrs: str | bool) -> list[Element]:
    """Return the elements with this tag whose attributes match (True means present)."""
    found = []
    for element in elements:
        if tag and element.tag != tag:
            continue
        ok = True
        for key, value in attrs.items():
            name = key.rstrip("_").replace("_", "-")
            present = name in element.attrs
            ok = ok and (present if value is True else element.attrs.get(name) == value)
        if ok:
            found.append(element)
    return found
