"""The list of every public page: what the offline cache holds and what the tests visit."""

from __future__ import annotations

from backend.content.schema import Plan
from backend.routes import emergency, printout, public, statements

# Modules with a urls(plan) function; a new public blueprint adds itself here.
PUBLIC_BLUEPRINTS = (public, emergency, statements, printout)


def public_page_urls(plan: Plan) -> list[str]:
    """Return the URL of every public page for this plan, in a stable order."""
    seen: list[str] = []
    for module in PUBLIC_BLUEPRINTS:
        seen += [url for url in module.urls(plan) if url not in seen]
    return seen
