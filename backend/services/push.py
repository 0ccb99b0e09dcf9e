"""Web Push: devices' subscriptions, alerts to leadership, their answers, plan-update notices.

Everything is stored first and sent afterwards by the background sender (services/push_sender.py),
so a request never waits for a push service. No function here takes or stores free text.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from sqlalchemy import and_, delete, func, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.models import PlanRevision, utcnow
from backend.models_push import (
    ALERT_ALTERNATIVES,
    AckResponse,
    Alert,
    AlertAcknowledgement,
    AlertDelivery,
    DeliveryStatus,
    Place,
    PushSubscription,
)
from backend.services import notices
from backend.services.vapid import b64url, b64url_decode
from backend.sqlite import write_transaction

PLAN_UPDATE_TITLE = "Handlingsplanen er oppdatert"
PLAN_UPDATE_BODY = "Åpne Rusplan for å se den nye versjonen."
ALERT_TITLE = "Varsel til ledelsen"
DRILL_PREFIX = "ØVELSE: "
# Used when no plan has been imported yet; the plan's own wording is used when it is there.
FALLBACK_ALTERNATIVE_TEXT = {
    "alternativ-3": "Alternativ 3: eleven opptrer ruset på skolen",
    "alternativ-4": "Alternativ 4: bekymring for omsetning/oppbevaring av rusmidler på skolen",
}


class PushError(ValueError):
    """A push request that cannot be done; the message is Norwegian and can be shown to the user."""


class SubscriptionError(PushError):
    """A subscription the server refuses to store."""


class AlertError(PushError):
    """An alert that cannot be created as asked."""


# ---------------------------------------------------------------- allow-list of push services


@dataclass(frozen=True)
class AllowedHost:
    """One entry of PUSH_ALLOWED_HOSTS."""

    pattern: str  # "fcm.googleapis.com" or "*.push.apple.com"
    plain_http: bool  # "http://127.0.0.1": http allowed, on any port (tests, local fakes)

    @classmethod
    def parse(cls, entry: str) -> AllowedHost:
        entry = entry.strip().lower().rstrip("/")
        plain_http = entry.startswith("http://")
        host = entry.removeprefix("http://").removeprefix("https://")
        return cls(pattern=host.rstrip("."), plain_http=plain_http)

    def matches(self, host: str) -> bool:
        if self.pattern.startswith("*."):
            return host.endswith(self.pattern[1:]) and len(host) > len(self.pattern) - 1
        return host == self.pattern


def check_endpoint(endpoint: str, allowed_hosts: Iterable[str] | None = None) -> str:
    """Return the endpoint if the server may post to it; raise SubscriptionError if not."""
    if allowed_hosts is None:
        allowed_hosts = current_app.config["PUSH_ALLOWED_HOSTS"]
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 2048:
        raise SubscriptionError("Abonnementet mangler en gyldig adresse til varslingstjenesten.")
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError as error:
        raise SubscriptionError("Adressen til varslingstjenesten er ugyldig.") from error
    if parts.scheme not in {"https", "http"} or not host or parts.username or parts.password:
        raise SubscriptionError("Adressen til varslingstjenesten er ugyldig.")
    entries = [AllowedHost.parse(entry) for entry in allowed_hosts]
    for entry in entries:
        if not entry.matches(host):
            continue
        if parts.scheme == "https" and port in (None, 443):
            return endpoint
        if entry.plain_http:
            return endpoint
        raise SubscriptionError(
            f"Varslingstjenesten {host} må brukes over https på vanlig port; abonnementet ble ikke lagret."
        )
    raise SubscriptionError(
        f"Varslingstjenesten {host} er ikke på listen over godkjente tjenester "
        "(PUSH_ALLOWED_HOSTS), så serveren sender ikke varsler dit. Abonnementet ble ikke lagret."
    )


# ---------------------------------------------------------------- subscriptions


@dataclass(frozen=True)
class SubscriptionInfo:
    """A browser's PushSubscription.toJSON(), checked."""

    endpoint: str
    p256dh: str
    auth: str

    def as_webpush(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def parse_subscription(data: Mapping) -> SubscriptionInfo:
    """Check a subscription as the browser sends it: allowed endpoint, a P-256 key, a 16-byte secret."""
    if not isinstance(data, Mapping):
        raise SubscriptionError("Abonnementet har feil format.")
    endpoint = check_endpoint(data.get("endpoint"))
    keys = data.get("keys")
    if not isinstance(keys, Mapping):
        raise SubscriptionError("Abonnementet mangler nøkler (keys).")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        if not isinstance(p256dh, str) or not isinstance(auth, str) or len(p256dh) > 128 or len(auth) > 64:
            raise ValueError("missing or too long")
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65 or len(b64url_decode(auth)) != 16:
            raise ValueError("wrong length")
    except ValueError as error:
        raise SubscriptionError("Nøklene i abonnementet er ugyldige.") from error
    return SubscriptionInfo(endpoint=endpoint, p256dh=b64url(point), auth=b64url(b64url_decode(auth)))


def subscribe(
    data: Mapping,
    *,
    user_id: int | None,
    alerts: bool = False,
    plan_updates: bool = False,
    drills: bool = False,
    _retried: bool = False,
) -> PushSubscription:
    """Store a device's subscription (or update it, if the endpoint is known) with what it is for."""
    info = parse_subscription(data)
    subscription = db.session.execute(
        select(PushSubscription).where(PushSubscription.endpoint == info.endpoint)
    ).scalar_one_or_none()
    if subscription is None:
        subscription = PushSubscription(endpoint=info.endpoint)
        db.session.add(subscription)
    subscription.p256dh = info.p256dh
    subscription.auth = info.auth
    subscription.user_id = user_id  # a device signed in by someone else now belongs to them
    subscription.alerts = alerts
    subscription.plan_updates = plan_updates
    subscription.drills = drills
    subscription.failure_count = 0
    try:
        db.session.commit()
    except IntegrityError:  # the same device subscribed twice at once: keep the first, update it
        db.session.rollback()
        if _retried:
            raise
        return subscribe(
            data, user_id=user_id, alerts=alerts, plan_updates=plan_updates, drills=drills, _retried=True
        )
    return subscription


def unsubscribe(endpoint: str, *, user_id: int | None = None) -> bool:
    """Forget a device's subscription (only the owner's, when a user is given); True if one was removed."""
    query = select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    if user_id is not None:
        query = query.where(PushSubscription.user_id == user_id)
    subscription = db.session.execute(query).scalar_one_or_none()
    if subscription is None:
        return False
    _delete_subscription(subscription)
    db.session.commit()
    return True


def find_subscription(endpoint, *, user_id: int) -> PushSubscription | None:
    """Return this user's subscription with this endpoint, if stored."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 2048:
        return None
    return db.session.execute(
        select(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == user_id
        )
    ).scalar_one_or_none()


def device_count(user_id: int) -> int:
    """Count the devices a user has turned notifications on for."""
    return db.session.execute(
        select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == user_id)
    ).scalar_one()


def update_subscription(old_endpoint: str, data: Mapping) -> PushSubscription | None:
    """Move a subscription to the browser's new one (pushsubscriptionchange), keeping owner and choices.

    Returns None when the old endpoint is unknown: the device must then subscribe again.
    """
    info = parse_subscription(data)
    old = db.session.execute(
        select(PushSubscription).where(PushSubscription.endpoint == old_endpoint)
    ).scalar_one_or_none()
    if old is None:
        return None
    clash = db.session.execute(
        select(PushSubscription).where(
            PushSubscription.endpoint == info.endpoint, PushSubscription.id != old.id
        )
    ).scalar_one_or_none()
    if clash is not None:  # the new endpoint was already stored: keep one row for the device
        _delete_subscription(clash)
        db.session.flush()
    old.endpoint, old.p256dh, old.auth = info.endpoint, info.p256dh, info.auth
    old.failure_count = 0
    db.session.commit()
    return old


def _delete_subscription(subscription: PushSubscription) -> None:
    """Delete a subscription, keeping its deliveries (as history) without the link to it."""
    notices.devices_leaving([subscription.id])  # mails the admins after the commit if it was a leader's last
    db.session.execute(
        AlertDelivery.__table__.update()
        .where(AlertDelivery.subscription_id == subscription.id)
        .values(subscription_id=None)
    )
    db.session.delete(subscription)


# ---------------------------------------------------------------- places


def active_places() -> list[Place]:
    """Return the places an alert can name, in the admin's order."""
    return list(
        db.session.execute(
            select(Place).where(Place.active.is_(True)).order_by(Place.sort_order, Place.name)
        ).scalars()
    )


# ---------------------------------------------------------------- alerts


def _recipients(drill: bool, sender_user_id: int | None, user_ids: Collection[int] | None):
    """Build the query of subscriptions an alert goes to."""
    wanted = PushSubscription.drills.is_(True) if drill else PushSubscription.alerts.is_(True)
    conditions = [wanted]
    if sender_user_id is not None:  # the sender knows already; do not buzz their own phone
        conditions.append(or_(PushSubscription.user_id.is_(None), PushSubscription.user_id != sender_user_id))
    if user_ids is not None:
        conditions.append(PushSubscription.user_id.in_(list(user_ids)))
    return and_(*conditions)


def _store_deliveries(where, *, alert_id: int | None = None, revision_id: int | None = None) -> int:
    """Insert one pending delivery per matching subscription in one statement; return how many."""
    now = utcnow()
    columns = ["alert_id", "plan_revision_id", "subscription_id", "user_id", "status", "attempts"]
    columns.append("next_attempt_at")
    source = select(
        literal(alert_id, db.Integer),
        literal(revision_id, db.Integer),
        PushSubscription.id,
        PushSubscription.user_id,
        literal(DeliveryStatus.PENDING.value),
        literal(0),
        literal(now, AlertDelivery.__table__.c.next_attempt_at.type),
    ).where(where)
    # rowcount of an INSERT ... SELECT is only kept when asked for (psycopg otherwise reports -1).
    result = db.session.execute(
        insert(AlertDelivery.__table__).from_select(columns, source),
        execution_options={"preserve_rowcount": True},
    )
    return result.rowcount


def create_alert(
    alternative: str,
    place_id: int,
    *,
    drill: bool = False,
    sender_user_id: int | None = None,
    recipient_user_ids: Collection[int] | None = None,
) -> Alert:
    """Store an alert and one delivery per recipient device, commit, then wake the background sender.

    recipient_user_ids limits the alert to those users' devices (services/alerts.py passes the leaders).
    """
    if alternative not in ALERT_ALTERNATIVES:
        raise AlertError("Velg alternativ 3 eller 4.")
    # Read the place and write the alert in one BEGIN IMMEDIATE transaction: in WAL mode a deferred
    # transaction that has read cannot start writing once the sender has committed meanwhile.
    with write_transaction():
        place = db.session.get(Place, place_id) if isinstance(place_id, int) else None
        if place is None or not place.active:
            raise AlertError("Velg et sted fra listen.")
        alert = Alert(
            alternative=alternative,
            place_id=place.id,
            drill=bool(drill),
            sender_user_id=sender_user_id,
            ack_nonce=secrets.token_bytes(16),
        )
        db.session.add(alert)
        db.session.flush()
        _store_deliveries(_recipients(alert.drill, sender_user_id, recipient_user_ids), alert_id=alert.id)
    _wake_sender(current_app._get_current_object())
    return alert


def notify_plan_update(revision: PlanRevision, *, wake: bool = True) -> int:
    """Queue a "Handlingsplanen er oppdatert" notice to everyone who opted in; return how many devices.

    `wake=False` only stores the rows (the command line): the server's sender finds them on its next poll.
    """
    count = _store_deliveries(PushSubscription.plan_updates.is_(True), revision_id=revision.id)
    db.session.commit()
    if count and wake:
        _wake_sender(current_app._get_current_object())
    return count


def _wake_sender(app: Flask) -> None:
    from backend.services.push_sender import sender_for

    sender_for(app).wake()


# ---------------------------------------------------------------- acknowledgements


def ack_token(alert: Alert) -> str:
    """Return the alert's acknowledgement token: an HMAC of its random nonce under SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, b"alert-ack:%d:" % alert.id + alert.ack_nonce, hashlib.sha256).digest()
    return b64url(digest[:24])


def acknowledge(
    alert_id: int,
    token: str,
    user_id: int | None,
    response: str = AckResponse.KOMMER,
    _retried: bool = False,
) -> AlertAcknowledgement | None:
    """Record a leader's answer to an alert; None if the token is wrong. Answering twice keeps the first."""
    alert = db.session.get(Alert, alert_id)
    if alert is None or not isinstance(token, str) or not hmac.compare_digest(ack_token(alert), token):
        return None
    answer = AckResponse(response)
    if user_id is not None:
        existing = db.session.execute(
            select(AlertAcknowledgement).where(
                AlertAcknowledgement.alert_id == alert.id, AlertAcknowledgement.user_id == user_id
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    ack = AlertAcknowledgement(alert_id=alert.id, user_id=user_id, response=answer)
    db.session.add(ack)
    try:
        db.session.commit()
    except IntegrityError:  # the same leader tapped twice at once: the first answer stands
        db.session.rollback()
        if _retried:
            raise
        return acknowledge(alert_id, token, user_id, response, _retried=True)
    return ack


@dataclass(frozen=True)
class AlertProgress:
    """What the sender's screen shows: how far the alert has got, and who answered."""

    devices: int
    delivered: int
    pending: int
    gone: int
    failed: int
    acknowledgements: list[AlertAcknowledgement]


def alert_progress(alert_id: int) -> AlertProgress:
    """Count an alert's deliveries by status and list its answers, oldest first."""
    counts = dict(
        db.session.execute(
            select(AlertDelivery.status, func.count())
            .where(AlertDelivery.alert_id == alert_id)
            .group_by(AlertDelivery.status)
        ).all()
    )
    acks = list(
        db.session.execute(
            select(AlertAcknowledgement)
            .where(AlertAcknowledgement.alert_id == alert_id)
            .order_by(AlertAcknowledgement.responded_at, AlertAcknowledgement.id)
        ).scalars()
    )
    return AlertProgress(
        devices=sum(counts.values()),
        delivered=counts.get(DeliveryStatus.DELIVERED, 0),
        pending=counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.SENDING, 0),
        gone=counts.get(DeliveryStatus.GONE, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        acknowledgements=acks,
    )


# ---------------------------------------------------------------- history


def purge_history(days: int | None = None, now: datetime | None = None) -> int:
    """Delete alerts older than ALERT_HISTORY_DAYS with their deliveries and answers; return how many.

    Children are deleted explicitly: SQLite does not enforce ON DELETE CASCADE unless told to.
    """
    days = current_app.config["ALERT_HISTORY_DAYS"] if days is None else days
    cutoff = (now or utcnow()) - timedelta(days=days)
    old_alerts = select(Alert.id).where(Alert.created_at < cutoff)
    settled = [DeliveryStatus.DELIVERED, DeliveryStatus.GONE, DeliveryStatus.FAILED]
    with write_transaction():
        db.session.execute(delete(AlertDelivery).where(AlertDelivery.alert_id.in_(old_alerts)))
        db.session.execute(delete(AlertAcknowledgement).where(AlertAcknowledgement.alert_id.in_(old_alerts)))
        db.session.execute(
            delete(AlertDelivery).where(
                AlertDelivery.plan_revision_id.is_not(None),
                AlertDelivery.next_attempt_at < cutoff,
                AlertDelivery.status.in_(settled),
            )
        )
        count = db.session.execute(delete(Alert).where(Alert.created_at < cutoff)).rowcount
    return count


# ---------------------------------------------------------------- payloads


def alternative_text(alternative: str) -> str:
    """Return "Alternativ 3: eleven opptrer ruset på skolen" in the current plan's own words."""
    from backend.services.plan import revision_cache

    current = revision_cache.current()
    found = current.plan.alternative(alternative) if current is not None else None
    if found is None:
        return FALLBACK_ALTERNATIVE_TEXT[alternative]
    return f"{found.label}: {found.title}"


def alert_payload(alert: Alert) -> dict:
    """Build the JSON the service worker gets for an alert (no student data: alternative and place)."""
    title = (DRILL_PREFIX if alert.drill else "") + ALERT_TITLE
    return {
        "type": "alert",
        "title": title,
        "body": f"{alternative_text(alert.alternative)} – {alert.place.name}",
        "drill": alert.drill,
        "alert_id": alert.id,
        "alternative": alert.alternative,
        "place": alert.place.name,
        "created_at": _iso(alert.created_at),
        "tag": f"alert-{alert.id}",
        "ack_url": f"/varsel/{alert.id}/kvitter/{ack_token(alert)}",
        "url": f"/varsel/{alert.id}",
    }


def plan_update_payload(revision_id: int) -> dict:
    """Build the JSON of a plan-update notice."""
    return {
        "type": "plan_update",
        "title": PLAN_UPDATE_TITLE,
        "body": PLAN_UPDATE_BODY,
        "revision_id": revision_id,
        "tag": "plan-update",
        "url": "/",
    }


def _iso(moment: datetime) -> str:
    from backend.services.push_sender import as_utc

    return as_utc(moment).isoformat(timespec="seconds")


# ---------------------------------------------------------------- wiring


def init_app(app: Flask) -> None:
    """Register the push CLI and resume unsent deliveries once the app serves its first request."""
    from backend.cli_push import push_cli
    from backend.services.push_sender import start_sender

    app.cli.add_command(push_cli)
    if not app.config.get("PUSH_SENDER_AUTOSTART", True) or app.testing:
        return
    started = threading.Event()

    @app.before_request
    def _resume_push_sender() -> None:
        if not started.is_set():
            started.set()
            start_sender(app)
