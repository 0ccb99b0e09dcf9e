"""Print the URLs benchmarks/load.sh needs: every public page, or one static file (--static)."""

from __future__ import annotations

import sys

from backend import create_app
from backend.routes.common import public_page_urls
from backend.routes.pwa import asset_url
from backend.services.plan import revision_cache


def main() -> None:
    """Write one URL per line to stdout."""
    app = create_app()
    with app.test_request_context():
        if "--static" in sys.argv:
            print(asset_url("css/app.css"))
        else:
            print("\n".join(public_page_urls(revision_cache.current().plan)))


if __name__ == "__main__":
    main()
