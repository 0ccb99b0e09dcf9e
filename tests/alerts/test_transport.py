"""The sender's connection layer: VAPID tokens reused per audience, connections kept alive per host."""

from __future__ import annotations

from py_vapid import Vapid

from backend.services.alerts import alerts, transport
from backend.services.alerts.transport import VapidTokens
from tests.alerts.conftest import add_device
from tests.fakepush import verify_vapid


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _tokens(clock: Clock) -> VapidTokens:
    vapid = Vapid()
    vapid.generate_keys()
    return VapidTokens(vapid, "mailto:rektor@skole.example", clock=clock)


def test_token_is_signed_once_per_audience_and_reused(monkeypatch):
    """Posts to one push service share one token; another push service gets its own."""
    clock = Clock()
    tokens = _tokens(clock)
    signed = []
    sign = tokens.vapid.sign
    monkeypatch.setattr(tokens.vapid, "sign", lambda claims: signed.append(claims) or sign(claims))
    first = tokens.authorization("https://fcm.googleapis.com/fcm/send/a")
    assert tokens.authorization("https://fcm.googleapis.com/fcm/send/b") == first
    other = tokens.authorization("https://web.push.apple.com/QX")
    assert other != first
    assert [claims["aud"] for claims in signed] == [
        "https://fcm.googleapis.com",
        "https://web.push.apple.com",
    ]


def test_token_expires_within_24_hours_and_is_renewed_before_it_does():
    """exp is at most 24 h ahead (RFC 8292); an old token is replaced an hour before it runs out."""
    clock = Clock()
    tokens = _tokens(clock)
    endpoint = "https://fcm.googleapis.com/fcm/send/a"
    first = tokens.authorization(endpoint)
    claims, _ = verify_vapid(first, "https://fcm.googleapis.com", now=clock.now)
    assert clock.now < claims["exp"] <= clock.now + 24 * 3600
    renew_at = claims["exp"] - transport.VAPID_RENEW_BEFORE_SECONDS
    clock.now = renew_at - 1
    assert tokens.authorization(endpoint) == first
    clock.now = renew_at
    second = tokens.authorization(endpoint)
    assert second != first
    renewed, _ = verify_vapid(second, "https://fcm.googleapis.com", now=clock.now)
    assert renewed["exp"] > claims["exp"]


def test_a_fan_out_reuses_one_token_and_a_few_kept_alive_connections(push_app, fake_push, place_id):
    """Twenty devices on one push service: one VAPID token, at most one connection per worker thread."""
    devices = [add_device(push_app, fake_push) for _ in range(20)]
    with push_app.app_context():
        alerts.create_alert("alternativ-3", place_id)
    pushes = fake_push.wait_for(len(devices))
    assert all(push.vapid_ok for push in pushes), {push.vapid_error for push in pushes}
    assert len({push.headers["authorization"] for push in pushes}) == 1
    threads = push_app.config["PUSH_SENDER_THREADS"]
    assert fake_push.connections <= threads < len(devices)
