"""The plan on paper: a page's own HTML rendered to PDF by WeasyPrint on the server.

The PDF is made from the bytes the app serves, so screen, paper and PDF never disagree. Its stylesheet is
read from the static folder; nothing is fetched over the network while a PDF is made.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit


class PdfUnavailable(RuntimeError):
    """WeasyPrint, or the Pango libraries it loads, is missing on this server."""


def render_pdf(
    html: str, *, base_url: str, static_folder: Path | str, static_url_path: str = "/static"
) -> bytes:
    """Render HTML to PDF with the page's @media print rules; raise PdfUnavailable without WeasyPrint."""
    try:
        import weasyprint  # imported here: it loads Pango, which only the PDF needs
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as error:  # OSError: Debian's libpango is not installed
        raise PdfUnavailable(str(error)) from error

    # WeasyPrint warns about every screen-only rule it does not know (sticky, hover, dark mode): not news.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    root = Path(static_folder).resolve()
    site = urlsplit(base_url).netloc
    fetched: list[str] = []

    class StaticFiles(URLFetcher):
        """Our own static files, read from disk; any other URL is refused."""

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.netloc == site and parts.path.startswith(f"{static_url_path}/"):
                file = (root / parts.path.removeprefix(f"{static_url_path}/")).resolve()
                if file.is_relative_to(root) and file.is_file():
                    fetched.append(parts.path)
                    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, file.read_bytes(), {"Content-Type": kind})
            raise ValueError(f"a PDF fetches only the app's static files, not {url}")

    pdf = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=StaticFiles()).write_pdf()
    if not any(path.endswith(".css") for path in fetched):
        raise PdfUnavailable("the stylesheet was not found in the static folder")
    return pdf
