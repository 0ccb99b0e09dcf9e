"""The plan on paper: /om-planen/utskrift for A4, the same HTML as PDF for admins, a poster with a QR code.

Every fact of the plan on the print page and in the PDF is checked against the plan's own text in
tests/test_content_fidelity.py (it reads ../shared/plan/); this file checks the rest.
"""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from backend.services import pdf
from backend.services import plan as plan_service
from tests.conftest import ROOT
from tests.support import admin_client, login, make_user

PRINT = "/om-planen/utskrift"
PDF = "/om-planen/utskrift.pdf"
POSTER = "/om-planen/plakat"
A4 = (595, 842)  # points, rounded


def signed_in(app, email: str, roles: tuple[str, ...]):
    make_user(app, email, roles, totp=False)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF, read back with pypdf."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def publish_changed_checklist(app) -> None:
    """Publish a new revision whose first checklist sign reads differently."""
    with app.app_context():
        data = plan_service.latest_revision().data
        signs = data["checklist_list"]["checklists"][0]["signs"]
        signs[0] = signs[0].replace("Har eleven", "Har eleven kanskje")
        plan_service.publish(plan_service.plan_from_data(data), author=None, note="test")
        plan_service.db.session.commit()


def test_the_pdf_is_the_print_pages_own_html(app, client, monkeypatch):
    """Identical in content to the live revision: the PDF is made from the bytes the print page serves."""
    seen: list[str] = []
    real = pdf.render_pdf

    def spy(html: str, **kwargs) -> bytes:
        seen.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", spy)
    page = client.get(PRINT).get_data(as_text=True)
    response = admin_client(app).get(PDF)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert seen == [page]


def test_only_admins_download_the_pdf(app, client):
    """A download for the admin: anyone else is sent to log in, or refused."""
    assert client.get(PDF).status_code == 302 and "/konto/logg-inn" in client.get(PDF).headers["Location"]
    assert signed_in(app, "leder@skole.no", ("leader",)).get(PDF).status_code == 403
    response = admin_client(app).get(PDF)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="handlingsplan-mot-rus-halden-vgs-2025-2026-revisjon-1.pdf"'
    assert "no-store" in response.headers["Cache-Control"]


def test_the_pdf_is_a4_with_version_and_next_review_on_every_page(app):
    """Every page is A4 and its footer names the version, the next review and the page."""
    data = admin_client(app).get(PDF).data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 5
    for number, page in enumerate(reader.pages, 1):
        assert (round(page.mediabox.width), round(page.mediabox.height)) == A4
        text = re.sub(r"\s+", " ", page.extract_text())
        assert "Versjon august 2025. Neste revisjon juni 2026 (innen 1. juni 2026)." in text, number
        assert f"Side {number} av {len(reader.pages)}." in text


def test_the_pdf_is_made_once_per_revision_and_follows_a_new_one(app, monkeypatch):
    """Made once per revision (it takes the server a second); a published change is in the next PDF."""
    calls = []
    real = pdf.render_pdf
    monkeypatch.setattr(pdf, "render_pdf", lambda html, **kw: calls.append(1) or real(html, **kw))
    admin = admin_client(app)
    first = admin.get(PDF).data
    assert admin.get(PDF).data == first and len(calls) == 1
    publish_changed_checklist(app)
    second = admin.get(PDF)
    assert len(calls) == 2 and "revisjon-2.pdf" in second.headers["Content-Disposition"]
    assert "Har eleven kanskje stort fravær?" in " ".join(pdf_pages(second.data))
    assert "Har eleven kanskje" not in " ".join(pdf_pages(first))


def test_a_server_without_weasyprint_says_so(app, monkeypatch):
    """No Pango on the server: a clear Norwegian 503, never a traceback or an empty file."""

    def unavailable(html: str, **kwargs) -> bytes:
        raise pdf.PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "render_pdf", unavailable)
    response = admin_client(app).get(PDF)
    assert response.status_code == 503
    assert "PDF kan ikke lages på denne serveren ennå. Skriv ut siden i stedet." in response.get_data(
        as_text=True
    )


def test_the_pdf_fetches_nothing_but_the_apps_static_files(app):
    """The stylesheet comes from disk; any other URL (the network) is refused while a PDF is made."""
    html = (
        '<link rel="stylesheet" href="/static/css/app.css?v=1">'
        '<img src="https://example.org/spy.png" alt=""><p>Hei</p>'
    )
    data = pdf.render_pdf(html, base_url="http://localhost/", static_folder=app.static_folder)
    assert "Hei" in pdf_pages(data)[0]
    with pytest.raises(pdf.PdfUnavailable):
        pdf.render_pdf("<p>Uten stil</p>", base_url="http://localhost/", static_folder=app.static_folder)


def test_the_print_page_is_rendered_once_per_revision_and_kept_offline(app, client):
    """Like every public page: from the per-revision cache, and in the service worker's list."""
    first = client.get(PRINT)
    assert first.status_code == 200 and client.get(PRINT).data == first.data
    with app.app_context():
        current = plan_service.revision_cache.current()
        plan_service.db.session.remove()
    assert any(key[:2] == (current.revision_id, PRINT) for key in plan_service.revision_cache._pages)
    assert PRINT in client.get("/precache.json").get_json()["urls"]
    assert PDF not in client.get("/precache.json").get_json()["urls"]


def test_the_print_page_has_version_and_next_review_in_its_footer(client):
    """The footer line says which version this is and when the plan is next reviewed."""
    html = client.get(PRINT).get_data(as_text=True)
    footer = re.search(r'<footer class="printout-footer">(.*?)</footer>', html, re.S).group(1)
    assert "Versjon august 2025. Neste revisjon juni 2026 (innen 1. juni 2026)." in footer
    # WeasyPrint repeats it on every page of the PDF from this attribute (string-set in printout.css).
    assert 'data-footer="Handlingsplan mot rus, Halden videregående skole. Versjon august 2025.' in html


def print_blocks(css: str) -> list[str]:
    """The bodies of the @media print blocks of a stylesheet."""
    blocks = []
    for match in re.finditer(r"@media print\s*{", css):
        depth, index = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(css[index], 0)
            index += 1
        blocks.append(css[match.end() : index - 1])
    return blocks


def test_the_print_page_has_one_print_block_with_breaks_urls_and_no_navigation():
    """One @media print block lays the page out for A4: breaks before sections, URLs after links, no menus."""
    css = (ROOT / "frontend" / "static" / "css" / "printout.css").read_text(encoding="utf-8")
    [block] = [block for block in print_blocks(css) if ".printout" in block]
    compact = re.sub(r"\s+", " ", block)
    assert "size: A4;" in compact
    assert ".printout-section { break-before: page; }" in compact
    assert 'a.printout-url::after { content: " (" attr(href) ")";' in compact
    hidden = re.search(r"([^{}]+){ display: none !important; }", compact).group(1)
    for navigation in (".printout-page .footer", ".printout-page .topbar", ".printout-toc"):
        assert navigation in hidden


def test_the_print_page_is_linked_from_about_the_plan_and_the_pdf_from_the_admin_home(app, client):
    """Anyone finds the print page under «Om planen»; the admin's start page has the PDF and the poster."""
    assert f'href="{PRINT}"' in client.get("/om-planen").get_data(as_text=True)
    home = admin_client(app).get("/admin").get_data(as_text=True)
    assert re.search(rf'href="{re.escape(PDF)}" hx-boost="false" download>', home)
    assert f'href="{POSTER}"' in home


def test_the_poster_has_a_qr_code_to_the_app_for_leaders_and_admins(app, client):
    """A4 poster: the app's address as a QR code and in print; staff and strangers cannot make one."""
    assert client.get(POSTER).status_code == 302
    assert signed_in(app, "ansatt@skole.no", ("staff",)).get(POSTER).status_code == 403
    leader = signed_in(app, "leder@skole.no", ("leader",))
    html = leader.get(POSTER).get_data(as_text=True)
    with app.test_request_context("/"):
        from backend.services import qr

        expected = qr.svg("http://localhost/", "QR-kode til Rusplan: http://localhost/")
    assert str(expected) in html
    assert "<figcaption>http://localhost/</figcaption>" in html
    poster = leader.get(f"{POSTER}.pdf")
    assert poster.status_code == 200 and poster.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(poster.data))
    assert len(reader.pages) == 1
    assert (round(reader.pages[0].mediabox.width), round(reader.pages[0].mediabox.height)) == A4
    assert "http://localhost/" in reader.pages[0].extract_text()
