"""The sender's connection layer: VAPID tokens reused per audience, connections kept alive per host."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest
import urllib3
from py_vapid import Vapid

from backend.models import DeliveryStatus
from backend.services.alerts import alerts, subscriptions, transport
from backend.services.alerts.transport import VapidTokens
from tests.alerts.conftest import add_device, deliveries, wait_until
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


# ---------------------------------------------------------------- the address a connection goes to


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (an address to refuse, nothing binds to it)
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    ],
)
def test_special_use_addresses_are_not_public(address):
    """Private, loopback, link-local, multicast, unspecified and reserved addresses are refused."""
    assert not transport.is_public(address)


@pytest.mark.parametrize("address", ["142.250.74.106", "2a00:1450:4001:80b::200a", "::ffff:142.250.74.106"])
def test_push_service_addresses_are_public(address):
    """The addresses real push services have pass."""
    assert transport.is_public(address)


def test_only_ip_literals_and_http_entries_are_local():
    """A name on the allow-list may not resolve into a private range; 127.0.0.1 and http:// hosts may."""
    entries = [
        "fcm.googleapis.com",
        "*.push.apple.com",
        "http://127.0.0.1",
        "[::1]",
        "10.0.0.5",
        "http://fake.test",
    ]
    assert transport.local_hosts(entries) == {"127.0.0.1", "::1", "10.0.0.5", "fake.test"}


@pytest.fixture
def listener():
    """A TCP listener on 127.0.0.1 that records whether anything connected to it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        yield server


def _arrived(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


def _resolve_to(monkeypatch, name: str, *sockaddrs: tuple) -> list[str]:
    """Make `name` resolve to these addresses (and ports), as a rebinding DNS server would; log lookups."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        if host != name:
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in sockaddr[0] else socket.AF_INET, socket.SOCK_STREAM, 6, "", sockaddr)
            for sockaddr in sockaddrs
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def _subscribe(app, fake, endpoint: str) -> None:
    device = fake.new_subscriber().subscription_json()
    device["endpoint"] = endpoint
    with app.app_context():
        subscriptions.subscribe(device, user_id=None, alerts=True)


def test_allowed_name_resolving_to_loopback_is_never_connected_to(
    push_app, fake_push, place_id, listener, monkeypatch
):
    """fcm.googleapis.com resolving to 127.0.0.1 (or ::ffff:127.0.0.1): no connection, failed at once."""
    port = listener.getsockname()[1]
    lookups = _resolve_to(
        monkeypatch, "fcm.googleapis.com", ("::ffff:127.0.0.1", port, 0, 0), ("127.0.0.1", port)
    )
    _subscribe(push_app, fake_push, "https://fcm.googleapis.com/fcm/send/abc")
    with push_app.app_context():
        alert_id = alerts.create_alert("alternativ-3", place_id).id
    (row,) = wait_until(
        push_app, lambda: [r for r in deliveries(push_app, alert_id) if r.status == DeliveryStatus.FAILED]
    )
    assert "fcm.googleapis.com" in lookups  # it was resolved, then refused
    assert not _arrived(listener)
    assert (row.last_error, row.last_status_code, row.attempts) == ("address-refused", None, 1)


def test_local_ip_on_the_allow_list_is_connected_to(push_app, fake_push, place_id, listener):
    """The same listener is reached when the allow-list names 127.0.0.1 itself (the test set-up)."""
    port = listener.getsockname()[1]
    _subscribe(push_app, fake_push, f"http://127.0.0.1:{port}/push/abc")
    with push_app.app_context():
        alerts.create_alert("alternativ-3", place_id)
    deadline = time.monotonic() + 10
    while not _arrived(listener):
        assert time.monotonic() < deadline, "no connection arrived"
        time.sleep(0.02)


def test_connection_goes_only_to_an_address_that_passed_the_check(monkeypatch):
    """One lookup per connection; the socket connects to the checked public address, never the private one."""
    resolved = [(socket.AF_INET, ("127.0.0.1", 443)), (socket.AF_INET, ("142.250.74.106", 443))]
    lookups, connects = [], []
    monkeypatch.setattr(transport, "resolve", lambda host, port: lookups.append(host) or resolved)

    class Socket:
        def __init__(self, family, kind):
            pass

        def setsockopt(self, *option):
            pass

        def settimeout(self, timeout):
            pass

        def connect(self, sockaddr):
            connects.append(sockaddr)
            raise ConnectionRefusedError

        def close(self):
            pass

    monkeypatch.setattr(transport, "socket", SimpleNamespace(**{**vars(socket), "socket": Socket}))
    http = transport.PushHTTP(1, ["fcm.googleapis.com"])
    with pytest.raises(urllib3.exceptions.NewConnectionError):
        http.post("https://fcm.googleapis.com/fcm/send/abc", b"x", {}, timeout=(1, 1))
    assert lookups == ["fcm.googleapis.com"]
    assert connects == [("142.250.74.106", 443)]
