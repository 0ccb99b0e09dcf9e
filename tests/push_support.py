"""Helpers for tests of the alert pages: push settings, places, leaders, alerts and browser subscriptions."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend.extensions import db
from backend.models import Place
from backend.services.alerts import sender as push_sender

_VAPID_KEY = ec.generate_private_key(ec.SECP256R1())
VAPID_PEM = _VAPID_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()

# A VAPID key given in the config (so no test writes one into instance/), the fake push service's
# host allowed, and short timeouts.
PUSH_CONFIG = {
    "VAPID_PRIVATE_KEY": VAPID_PEM,
    "VAPID_SUBJECT": "mailto:rektor@skole.example",
    "PUSH_ALLOWED_HOSTS": ["fcm.googleapis.com", "*.push.apple.com", "http://127.0.0.1"],
    "PUSH_TIMEOUT_CONNECT": 1.0,
    "PUSH_TIMEOUT_READ": 1.0,
    "PUSH_RETRY_BASE_SECONDS": 0.1,
    "PUSH_POLL_SECONDS": 0.2,
    "PUSH_SENDER_THREADS": 2,
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def browser_subscription(endpoint: str = "https://fcm.googleapis.com/fcm/send/abc123") -> dict:
    """Return what PushSubscription.toJSON() gives, with real P-256 keys."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
    }


def add_places(app, *names: str) -> list[int]:
    """Put places into the admin's list, in this order; return their ids."""
    with app.app_context():
        places = [Place(name=name, sort_order=n) for n, name in enumerate(names, start=1)]
        db.session.add_all(places)
        db.session.commit()
        return [place.id for place in places]


def stop(app) -> None:
    """Stop the app's background sender, if a test woke it."""
    push_sender.stop_sender(app)


# Three urgent procedures under ids, labels and titles no code knows: what another school might have.
URGENT_ELSEWHERE = {
    "akutt-a": ("Akutt A", "en elev er påvirket i timen", "Påvirket i timen"),
    "akutt-b": ("Akutt B", "mistanke om salg av rusmidler", "Salg"),
    "akutt-c": ("Akutt C", "rusmidler funnet i et rom", "Funnet rusmidler"),
}


def publish_urgent_elsewhere(app) -> dict[str, str]:
    """Publish the current plan with its urgent procedures replaced by URGENT_ELSEWHERE; return id → text.

    akutt-a and akutt-c take the steps of the plan's first urgent procedure, akutt-b those of its last
    (Halden's alternative 4: the leadership calls the police), so akutt-b has a service number.
    """
    from backend.content.schema import Plan
    from backend.database import write_transaction
    from backend.services import plan as plan_service

    # Read and write in one BEGIN IMMEDIATE: the push sender may commit in between (SQLite, WAL).
    with app.app_context(), write_transaction():
        data = plan_service.revision_cache.current().plan.model_dump(mode="json")
        key, flag = "procedures", "urgent"
        container = data["procedure_list"]
        items = container[key]
        urgent = [item for item in items if item.get(flag)]
        steps_of = {"akutt-a": urgent[0], "akutt-b": urgent[-1], "akutt-c": urgent[0]}
        replaced = []
        for procedure_id, (label, title, short) in URGENT_ELSEWHERE.items():
            source = steps_of[procedure_id]
            replaced.append({**source, "id": procedure_id, "label": label, "title": title, "short": short})
        container[key] = [item for item in items if not item.get(flag)] + replaced
        renamed = {urgent[0]["id"]: "akutt-a", urgent[-1]["id"]: "akutt-b"}
        _lead_guide_to(data.get("guide"), renamed, "akutt-c")
        plan_service.publish(Plan.model_validate(data), author=None, note="Andre akutte alternativer")
    return {procedure_id: f"{label}: {title}" for procedure_id, (label, title, _) in URGENT_ELSEWHERE.items()}


def _lead_guide_to(guide: dict | None, renamed: dict[str, str], added: str) -> None:
    """In the general model the guided questions name procedures too: follow the new ids, and let
    the answer that led to the first urgent procedure be followed by one to `added` (still urgent first)."""
    if not guide:
        return
    first = next(iter(renamed.values()))
    for question in guide.get("questions", []):
        answers = question.get("answers", [])
        for answer in answers:
            if answer.get("procedure") in renamed:
                answer["procedure"] = renamed[answer["procedure"]]
        for index, answer in enumerate(answers):
            if answer.get("procedure") == first:
                answers.insert(index + 1, {"label": "Det er funnet rusmidler", "procedure": added})
                break
