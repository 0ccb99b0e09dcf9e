"""The plan on paper: the whole plan on one page for A4, the same page as PDF, and a poster with a QR code.

/om-planen/utskrift is public and cached per revision like every page of the plan (and kept offline).
The PDF is those very bytes rendered by WeasyPrint, made once per revision, for admins (making it takes
a second or two of the server's time). The poster links to the app with a QR code for staff rooms.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request, url_for
from flask_babel import gettext as _

from backend import auth
from backend.content.schema import Plan
from backend.routes.common import current_plan, render_page
from backend.services import pdf, qr
from backend.services.plan import CurrentPlan, revision_cache

bp = Blueprint("printout", __name__, url_prefix="/om-planen")

PRINTOUT = "public/printout.html"
POSTER = "public/poster.html"


@bp.get("/utskrift")
def plan():
    """Show the whole plan on one page, laid out for A4 when printed."""
    return render_page(PRINTOUT)


def _printout_html(current: CurrentPlan) -> bytes:
    """Return the bytes /om-planen/utskrift serves for this revision (render_page's cache entry)."""
    # The key render_page uses for the full page (request.path, which leaves out the script root).
    key = (url_for("printout.plan").removeprefix(request.script_root), PRINTOUT, None)

    def build() -> bytes:
        return render_template(PRINTOUT, plan=current.plan, current=current).encode("utf-8")

    return revision_cache.page(current.revision_id, key, build)


def _filename(plan: Plan, what: str, revision_id: int) -> str:
    """Return an ASCII file name (a header cannot carry «–» plainly): plakat-<school_short>-2025-2026-…"""
    name = f"{what}-{plan.meta.school_short}-{plan.meta.school_year}-revisjon-{revision_id}"
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".pdf"


def _pdf_response(body: bytes, filename: str) -> Response:
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _render_pdf(html: bytes) -> bytes:
    try:
        return pdf.render_pdf(
            html.decode("utf-8"), base_url=request.url_root, static_folder=current_app.static_folder
        )
    except pdf.PdfUnavailable as error:
        current_app.logger.error("PDF unavailable: %s", error)
        abort(
            503,
            description=_("PDF kan ikke lages på denne serveren ennå. Skriv ut siden i stedet."),
        )


@bp.get("/utskrift.pdf")
@auth.role_required("admin")
def plan_pdf():
    """Download the whole plan as PDF: the print page of the live revision, rendered on the server."""
    current = current_plan()
    body = revision_cache.page(
        current.revision_id, ("pdf", PRINTOUT), lambda: _render_pdf(_printout_html(current))
    )
    return _pdf_response(body, _filename(current.plan, "handlingsplan-mot-rus", current.revision_id))


def _poster_html(current: CurrentPlan) -> bytes:
    link = url_for("public.home", _external=True)
    context = {"plan": current.plan, "current": current, "link": link}
    context["qr_svg"] = qr.svg(link, _("QR-kode til Rusplan: %(link)s", link=link))
    return render_template(POSTER, **context).encode("utf-8")


@bp.get("/plakat")
@auth.role_required("leader", "admin")
def poster():
    """Show an A4 poster for staff rooms: what the app is, and a QR code to it."""
    response = make_response(_poster_html(current_plan()))
    response.headers["Cache-Control"] = "private, no-store"  # the link is this request's address
    return response


@bp.get("/plakat.pdf")
@auth.role_required("leader", "admin")
def poster_pdf():
    """Download the poster as PDF (A4)."""
    current = current_plan()
    return _pdf_response(
        _render_pdf(_poster_html(current)), _filename(current.plan, "plakat-rusplan", current.revision_id)
    )


def urls(plan: Plan) -> list[str]:
    """Return the public print page (kept offline like the rest of the plan)."""
    return [url_for("printout.plan")]
