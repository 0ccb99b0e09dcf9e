"""Devices' Web Push subscriptions: the allow-list of push services, subscribe, unsubscribe, renew.

A subscription says what a device wants (alerts, drills, plan updates) and to whom it belongs;
nothing else about a person is stored.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from backend.extensions import db
from backend.models import AlertDelivery, PushSubscription, User
from backend.services import notices
from backend.services.vapid import b64url, b64url_decode


class SubscriptionError(ValueError):
    """A subscription the server refuses to store; the message is Norwegian and can be shown to the user."""


# ---------------------------------------------------------------- allow-list of push services

# Real endpoints are well under this (FCM's are about 190 characters, WNS's about 450).
MAX_ENDPOINT_LENGTH = 1000
# The strict form of an endpoint, checked before any parser sees it: ASCII only, no userinfo (`@`),
# no backslash, no percent-escape before the path, no fragment. Path segments and the query use
# URL-safe characters only; the query may hold the escapes a base64 token needs (WNS: `%2f`, `%2b`,
# `%3d`), nothing that decodes to a space, a line break or prose.
_STRICT_ENDPOINT = re.compile(
    r"(?P<scheme>[A-Za-z]+)://(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"(?P<path>(?:/[A-Za-z0-9_~:=.-]*)+)"
    r"(?:\?(?P<query>(?:[A-Za-z0-9_~:=&.-]|%(?:2[bBfF]|3[dD]))*))?"
)
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A last label the C resolver reads as a number (inet_aton: 2130706433, 0x7f000001, 0177.0.0.1, 127.1).
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")


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


def _invalid() -> SubscriptionError:
    return SubscriptionError(_("Adressen til varslingstjenesten er ugyldig."))


def _host_is_plain(host: str) -> bool:
    """A DNS name of [a-z0-9-] labels, or an IPv4 address written the one usual way (127.0.0.1).

    An address then passes only if the allow-list names it exactly (the tests' fake push service).
    """
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        pass
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and not _NUMERIC_LABEL.fullmatch(labels[-1])
    )


def _capital_escapes(query: str | None) -> str | None:
    return re.sub(r"%[0-9a-fA-F]{2}", lambda escape: escape[0].upper(), query) if query else None


def _dot_segments(path: str) -> bool:
    return any(segment in {".", ".."} for segment in path.split("/"))


def check_endpoint(endpoint: str, allowed_hosts: Iterable[str] | None = None) -> str:
    """Return the endpoint in its normal form if the server may post to it; raise SubscriptionError if not.

    The endpoint is read by urllib3's own parser (`parse_url`, the one the sender's HTTP client uses)
    and accepted only in a strict form both it and `urlsplit` read the same way: https on port 443,
    a host of [a-z0-9.-] on the allow-list, URL-safe path and query. What is returned (and stored and
    posted to) is the URL re-built from those parts, so nothing between the check and the request can
    read it differently.
    """
    if allowed_hosts is None:
        allowed_hosts = current_app.config["PUSH_ALLOWED_HOSTS"]
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise SubscriptionError(_("Abonnementet mangler en gyldig adresse til varslingstjenesten."))
    strict = _STRICT_ENDPOINT.fullmatch(endpoint)
    if strict is None or _dot_segments(strict["path"]):
        raise _invalid()
    try:
        parsed = parse_url(endpoint)
        split = urlsplit(endpoint)
        split_port = split.port
    except (LocationParseError, ValueError) as error:
        raise _invalid() from error
    scheme, host = strict["scheme"].lower(), strict["host"].lower()
    port = int(strict["port"]) if strict["port"] is not None else None
    # urllib3 writes percent-escapes in capitals (`%2F`) when it sends; so is the endpoint stored.
    path, query = strict["path"], _capital_escapes(strict["query"])
    # Both parsers must see the very host, port, path and query the strict form names.
    seen = {
        (parsed.scheme, parsed.host, parsed.port, parsed.path, parsed.query),
        (split.scheme, split.hostname, split_port, split.path, _capital_escapes(split.query)),
    }
    if seen != {(scheme, host, port, path, query)}:
        raise _invalid()
    entries = [AllowedHost.parse(entry) for entry in allowed_hosts]
    if scheme not in {"https", "http"} or not _host_is_plain(host):
        raise _invalid()
    for entry in entries:
        if not entry.matches(host):
            continue
        if scheme == "https" and port in (None, 443):
            return _rebuild(scheme, host, None, path, query)
        if entry.plain_http:
            return _rebuild(scheme, host, port, path, query)
        raise SubscriptionError(
            _(
                "Varslingstjenesten %(host)s må brukes over https på vanlig port; "
                "abonnementet ble ikke lagret.",
                host=host,
            )
        )
    raise SubscriptionError(
        _(
            "Varslingstjenesten %(host)s er ikke på listen over godkjente tjenester "
            "(PUSH_ALLOWED_HOSTS), så serveren sender ikke varsler dit. Abonnementet ble ikke lagret.",
            host=host,
        )
    )


def _rebuild(scheme: str, host: str, port: int | None, path: str, query: str | None) -> str:
    """Write the endpoint from its checked parts: lower-case scheme and host, no default port."""
    authority = host if port is None else f"{host}:{port}"
    return f"{scheme}://{authority}{path}" + (f"?{query}" if query else "")


def normalised_endpoint(endpoint) -> str | None:
    """Return the form in which a device's endpoint is stored, to look it up; None if it is no string.

    An endpoint the current rules refuse is looked up as given (stored before a rule changed, it can
    still be unsubscribed); comparing it is all that happens to it.
    """
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 2048:
        return None
    try:
        return check_endpoint(endpoint)
    except SubscriptionError:
        return endpoint


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
        raise SubscriptionError(_("Abonnementet har feil format."))
    endpoint = check_endpoint(data.get("endpoint"))
    keys = data.get("keys")
    if not isinstance(keys, Mapping):
        raise SubscriptionError(_("Abonnementet mangler nøkler (keys)."))
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        if not isinstance(p256dh, str) or not isinstance(auth, str) or len(p256dh) > 128 or len(auth) > 64:
            raise ValueError("missing or too long")
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65 or len(b64url_decode(auth)) != 16:
            raise ValueError("wrong length")
    except ValueError as error:
        raise SubscriptionError(_("Nøklene i abonnementet er ugyldige.")) from error
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
    query = select(PushSubscription).where(PushSubscription.endpoint == normalised_endpoint(endpoint))
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
    endpoint = normalised_endpoint(endpoint)
    if endpoint is None:
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


def update_subscription(
    old_endpoint: str, data: Mapping, *, owner_id: int | None, old_auth: str | None
) -> PushSubscription | None:
    """Move a subscription to the browser's new one (pushsubscriptionchange), keeping owner and choices.

    Only the old subscription's owner (signed in: owner_id) or whoever holds its auth secret (the
    service worker: old_auth, compared in constant time) may move it. Returns None when the old
    endpoint is unknown, the caller proves neither, or the new endpoint belongs to someone else's
    device: the same answer for each, so it tells a stranger nothing. The device subscribes again.
    """
    info = parse_subscription(data)
    old = db.session.execute(
        select(PushSubscription).where(PushSubscription.endpoint == normalised_endpoint(old_endpoint))
    ).scalar_one_or_none()
    if old is None or not _may_move(old, owner_id, old_auth):
        return None
    clash = db.session.execute(
        select(PushSubscription).where(
            PushSubscription.endpoint == info.endpoint, PushSubscription.id != old.id
        )
    ).scalar_one_or_none()
    if clash is not None:  # the new endpoint was already stored: keep one row for the device
        if clash.user_id != old.user_id:  # never drop or take over another person's device
            return None
        _delete_subscription(clash)
        db.session.flush()
    old.endpoint, old.p256dh, old.auth = info.endpoint, info.p256dh, info.auth
    old.failure_count = 0
    db.session.commit()
    return old


def _may_move(subscription: PushSubscription, owner_id: int | None, old_auth) -> bool:
    """Whether the caller is the subscription's signed-in owner or holds its auth secret."""
    if owner_id is not None and subscription.user_id == owner_id:
        return True
    if not isinstance(old_auth, str) or not 0 < len(old_auth) <= 64:
        return False
    try:
        given = b64url(b64url_decode(old_auth))
    except ValueError:
        return False
    return hmac.compare_digest(given.encode("ascii"), subscription.auth.encode("ascii"))


def delete_user_subscriptions(user_id: int) -> int:
    """Delete every subscription of a user (disabled: their devices get nothing more); no commit."""
    subscriptions = db.session.execute(
        select(PushSubscription).where(PushSubscription.user_id == user_id)
    ).scalars()
    count = 0
    for subscription in subscriptions:
        _delete_subscription(subscription)
        count += 1
    return count


def _delete_subscription(subscription: PushSubscription) -> None:
    """Delete a subscription, keeping its deliveries (as history) without the link to it."""
    notices.devices_leaving([subscription.id])  # mails the admins after the commit if it was a leader's last
    db.session.execute(
        AlertDelivery.__table__.update()
        .where(AlertDelivery.subscription_id == subscription.id)
        .values(subscription_id=None)
    )
    db.session.delete(subscription)


def subscription_owner(endpoint: str | None) -> User | None:
    """Return the owner of a stored subscription, so a service worker's answer names its leader."""
    endpoint = normalised_endpoint(endpoint)
    if endpoint is None:
        return None
    user_id = db.session.execute(
        select(PushSubscription.user_id).where(PushSubscription.endpoint == endpoint)
    ).scalar_one_or_none()
    user = db.session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.is_active else None
