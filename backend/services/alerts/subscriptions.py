"""Devices' Web Push subscriptions: the allow-list of push services, subscribe, unsubscribe, renew.

A subscription says what a device wants (alerts, drills, plan updates) and to whom it belongs;
nothing else about a person is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.extensions import db
from backend.models import AlertDelivery, PushSubscription, User
from backend.services.vapid import b64url, b64url_decode


class SubscriptionError(ValueError):
    """A subscription the server refuses to store; the message is Norwegian and can be shown to the user."""


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
    if user_id is not None:  # a device is on again: the notice about a dropped one has done its job
        owner = db.session.get(User, user_id)
        if owner is not None:
            owner.push_dropped_at = None
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
    db.session.execute(
        AlertDelivery.__table__.update()
        .where(AlertDelivery.subscription_id == subscription.id)
        .values(subscription_id=None)
    )
    db.session.delete(subscription)


def subscription_owner(endpoint: str | None) -> User | None:
    """Return the owner of a stored subscription, so a service worker's answer names its leader."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 2048:
        return None
    user_id = db.session.execute(
        select(PushSubscription.user_id).where(PushSubscription.endpoint == endpoint)
    ).scalar_one_or_none()
    user = db.session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.is_active else None
