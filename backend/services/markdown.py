"""Markdown from content files, turned into sanitised HTML."""

from __future__ import annotations

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {"p", "h2", "h3", "ul", "ol", "li", "strong", "em", "a", "br", "blockquote"}


def render(source: str) -> Markup:
    """Render Markdown to HTML that keeps only plain text markup and safe links."""
    html = md.markdown(source, output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"https", "http", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )
    # nh3 has just removed every tag and attribute outside the allow-list.
    return Markup(clean)  # noqa: S704
