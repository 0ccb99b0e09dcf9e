"""Alerts and notifications under /varsel: settings, the alert form, the sender's screen, answers, history.

Every page here is personal and never cached (the service worker leaves /varsel alone too).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms import SelectChoice

from backend import auth
from backend.extensions import csrf, limiter
from backend.forms import AlertForm, DrillForm, EmptyForm
from backend.models import Alert, get_by_id
from backend.routes.common import no_store, render
from backend.services import alerts
from backend.services import vapid as vapid_service
from backend.services.plan import revision_cache

bp = Blueprint("push", __name__, url_prefix="/varsel")

SENDERS = ("staff", "leader", "admin")
FOLLOWERS = ("leader", "admin")
# A device renews its subscription rarely; a school's phones may share one address behind its NAT.
CHANGE_LIMIT = "30 per minute"


@bp.context_processor
def _push_context():
    return {"current_user": current_user, "plan": None}


bp.after_request(no_store)  # pages under /varsel are personal


def _plan():
    current = revision_cache.current()
    return current.plan if current is not None else None


def _json_error(message: str, status: int):
    return jsonify({"ok": False, "error": message}), status


# ---------------------------------------------------------------- settings and subscriptions


@bp.get("/innstillinger")
@login_required
def settings():
    """Let a signed-in user turn notifications on or off on this phone, per purpose."""
    user = current_user._get_current_object()
    plan = _plan()
    return render_template(
        "alerts/settings.html",
        application_server_key=vapid_service.application_server_key(),
        offers_alerts=user.is_leader,
        # The plan's own urgent procedures, the ones an alert is about.
        urgent_labels=[procedure.label for procedure in plan.urgent_procedures()] if plan else [],
        device_count=alerts.device_count(user.id),
    )


def _choices(data: dict) -> dict:
    """Read what the user wants on this device; alerts and drills are for leaders only."""
    leader = current_user.is_leader
    return {
        "alerts": leader and data.get("alerts") is True,
        "drills": leader and data.get("drills") is True,
        "plan_updates": data.get("plan_updates") is True,
    }


def _json_object() -> dict:
    """Return the request's JSON object, or an empty one for anything else (a list, a number, junk)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@bp.post("/abonnement")
@login_required
def subscribe():
    """Store this device's push subscription (JSON from js/push.js) with what it is for."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(_("Forespørselen hadde feil format."), 400)
    choices = _choices(data)
    if not any(choices.values()):
        return _json_error(_("Velg minst én type varsel, eller slå varslene av."), 422)
    try:
        alerts.subscribe(data.get("subscription"), user_id=current_user.id, **choices)
    except alerts.SubscriptionError as error:
        return _json_error(str(error), 422)
    return jsonify(
        {
            "ok": True,
            **choices,
            "message": _("Varsler er slått på for denne telefonen."),
            "device_count": alerts.device_count(current_user.id),
        }
    )


@bp.post("/abonnement/status")
@login_required
def subscription_status():
    """Tell the settings page what this device (by its endpoint) is subscribed to."""
    data = _json_object()
    found = alerts.find_subscription(data.get("endpoint"), user_id=current_user.id)
    if found is None:
        return jsonify({"ok": True, "subscribed": False})
    return jsonify(
        {
            "ok": True,
            "subscribed": True,
            "alerts": found.alerts,
            "drills": found.drills,
            "plan_updates": found.plan_updates,
        }
    )


@bp.post("/abonnement/slett")
@login_required
def unsubscribe():
    """Forget this device's subscription (the page has unsubscribed in the browser too)."""
    endpoint = _json_object().get("endpoint")
    if isinstance(endpoint, str) and endpoint:
        alerts.unsubscribe(endpoint, user_id=current_user.id)
    return jsonify(
        {
            "ok": True,
            "message": _("Varsler er slått av for denne telefonen."),
            "device_count": alerts.device_count(current_user.id),
        }
    )


@bp.post("/abonnement/bytt")
@csrf.exempt
@limiter.limit(CHANGE_LIMIT)
def subscription_change():
    """Move a subscription to the browser's new one (the service worker's pushsubscriptionchange).

    The service worker has no CSRF token. What authorises the move is the signed-in owner, or the
    old subscription's auth secret, which only the device and the server hold (the push service
    and anyone who learns the endpoint do not). Unknown, unproven and refused look the same: 404.
    """
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("old_endpoint"), str):
        return _json_error(_("Forespørselen hadde feil format."), 400)
    owner_id = current_user.id if current_user.is_authenticated else None
    try:
        moved = alerts.update_subscription(
            data["old_endpoint"], data.get("subscription"), owner_id=owner_id, old_auth=data.get("old_auth")
        )
    except alerts.SubscriptionError as error:
        return _json_error(str(error), 422)
    if moved is None:
        return _json_error(_("Fant ikke abonnementet; slå varsler på igjen i innstillingene."), 404)
    return jsonify({"ok": True})


# ---------------------------------------------------------------- sending an alert


def _alert_form() -> AlertForm:
    form = AlertForm()
    # The plan's urgent procedures in its own words: the same text as the notification and the screens.
    form.alternative.choices = [
        SelectChoice(procedure.id, f"{procedure.label}: {procedure.title}")
        for procedure in alerts.alert_procedures(_plan())
    ]
    form.place.choices = [SelectChoice(place.id, place.name) for place in alerts.active_places()]
    return form


@bp.route("/ny", methods=["GET", "POST"])
@auth.role_required(*SENDERS)
def new_alert():
    """Choose an urgent procedure of the plan and a place, and alert the leadership (the call comes first)."""
    form = _alert_form()
    if request.method == "GET":
        wanted = request.args.get("alternativ")
        if alerts.alert_procedure(_plan(), wanted) is not None:
            form.alternative.data = wanted
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _render_form(form), status
    try:
        alert = alerts.send_alert(
            form.alternative.data,
            form.place.data,
            drill=form.drill.data == "1",
            sender=current_user._get_current_object(),
        )
    except alerts.AlertError as error:
        getattr(form, error.field).errors = [str(error)]
        return _render_form(form), 422
    return redirect(url_for("push.show_alert", alert_id=alert.id))


def _render_form(form: AlertForm) -> str:
    """Render the alert form with who it would reach right now (a real alert, and a drill)."""
    return render_template(
        "alerts/new.html",
        form=form,
        chain=_chain(),
        reach=alerts.reach(drill=False, sender_user_id=current_user.id),
        drill_reach=alerts.reach(drill=True, sender_user_id=current_user.id),
    )


def _chain() -> list:
    plan = _plan()
    return plan.call_chain() if plan is not None else []


# ---------------------------------------------------------------- the sender's screen


def _alert_or_404(alert_id: int) -> Alert:
    alert = get_by_id(Alert, alert_id)
    if alert is None:
        abort(404)
    return alert


@bp.get("/<dbid:alert_id>")
@auth.role_required(*SENDERS)
def show_alert(alert_id: int):
    """Show how far the alert has got and who is coming, updated live; call buttons stay on top."""
    alert = _alert_or_404(alert_id)
    user = current_user._get_current_object()
    if not alerts.can_view(alert, user):
        abort(403, description=_("Bare den som sendte varselet og ledelsen kan følge det."))
    plan = _plan()
    status = alerts.alert_status(alert, plan)
    procedure = plan.procedure(alert.alternative) if plan is not None else None
    context = {
        "alert": alert,
        "status": status,
        "chain": alerts.chain_for(status, _chain(), user, plan),
        "alternative_text": alerts.alternative_text(alert.alternative),
        # The numbers the leadership calls in this procedure (for example the police).
        "services": alerts.procedure_services(plan, procedure),
        "can_answer": user.is_leader and not alerts.has_answered(alert, user),
        "ack_url": url_for("push.acknowledge", alert_id=alert.id, token=alerts.ack_token(alert)),
        "form": EmptyForm(),
    }
    return render("alerts/alert.html", "live", target="varsel-live", **context)


@bp.post("/<dbid:alert_id>/kvitter/<token>")
@csrf.exempt
def acknowledge(alert_id: int, token: str):
    """Record "Jeg kommer" from a leader: from the notification's action or the alert page.

    CSRF-exempt because the service worker has no CSRF token: the alert's one-time token (an HMAC
    under SECRET_KEY) authorises the answer, and the session or the device's own subscription
    endpoint says who is answering.
    """
    data = request.get_json(silent=True) if request.is_json else None
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if user is None and isinstance(data, dict):
        user = alerts.subscription_owner(data.get("endpoint"))
    if user is None or not user.is_leader:
        if request.is_json:
            return _json_error(_("Logg inn som leder for å svare på varselet."), 403)
        abort(403, description=_("Logg inn som leder for å svare på varselet."))
    ack = alerts.acknowledge(alert_id, token, user.id)
    if ack is None:
        if request.is_json:
            return _json_error(_("Lenken til varselet er ugyldig."), 404)
        abort(404)
    if request.is_json:
        return jsonify({"ok": True, "url": url_for("push.show_alert", alert_id=alert_id)})
    flash(_("Takk. Den som sendte varselet ser at du kommer."), "success")
    return redirect(url_for("push.show_alert", alert_id=alert_id))


# ---------------------------------------------------------------- history


@bp.get("/historikk")
@auth.role_required(*FOLLOWERS)
def history():
    """List past alerts: when, which alternative, where, drill or not, who answered and when."""
    plan = _plan()
    entries = alerts.history(plan)
    return render_template(
        "alerts/history.html",
        entries=entries,
        days=current_app.config["ALERT_HISTORY_DAYS"],
        labels={
            entry.alert.alternative: alerts.alternative_text(entry.alert.alternative) for entry in entries
        },
    )


# ---------------------------------------------------------------- readiness and drills


def _drill_form() -> DrillForm:
    form = DrillForm()
    form.place.choices = [SelectChoice(place.id, place.name) for place in alerts.active_places()]
    return form


def _readiness_page(form: DrillForm, status: int = 200):
    state = alerts.chain_readiness(_plan())
    drill = state.last_drill
    progress = alerts.alert_progress(drill.alert.id) if drill is not None else None
    return render_template(
        "alerts/readiness.html",
        readiness=state,
        form=form,
        drill_progress=progress,
        min_receivers=alerts.MIN_RECEIVERS,
    ), status


@bp.get("/beredskap")
@auth.role_required(*FOLLOWERS)
def readiness():
    """Show whether each person in the call chain can get an alert now, and offer a drill."""
    return _readiness_page(_drill_form())


@bp.post("/beredskap/ovelse")
@auth.role_required(*FOLLOWERS)
def drill():
    """Send a drill («ØVELSE») to the leadership's devices that take drills, to test the chain."""
    form = _drill_form()
    if not form.validate_on_submit():
        return _readiness_page(form, 422)
    # A drill is about the plan's first urgent procedure: what is tested is the chain, not the case.
    procedures = alerts.alert_procedures(_plan())
    if not procedures:
        form.place.errors = [_("Planen har ingen akutte alternativer å øve på.")]
        return _readiness_page(form, 422)
    try:
        alert = alerts.send_alert(
            procedures[0].id, form.place.data, drill=True, sender=current_user._get_current_object()
        )
    except alerts.AlertError as error:
        form.place.errors = [str(error)]
        return _readiness_page(form, 422)
    devices = alerts.alert_progress(alert.id).devices
    if devices:
        flash(
            ngettext(
                "Øvelsen er lagt ut til %(num)d enhet. Levering og svar vises under.",
                "Øvelsen er lagt ut til %(num)d enheter. Levering og svar vises under.",
                devices,
            ),
            "success",
        )
    else:
        flash(_("Øvelsen nådde ingen: ingen i ledelsen har slått på øvelser på en telefon."), "error")
    return redirect(url_for("push.readiness"))


@bp.get("")
@login_required
def index():
    """Send the user to the notification settings."""
    return redirect(url_for("push.settings"))


def init_app(app) -> None:
    """Register the alert pages."""
    app.register_blueprint(bp)
