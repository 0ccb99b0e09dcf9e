"""A local fake push service: a real HTTP server that checks VAPID and decrypts what it receives.

It stands in for FCM/Mozilla/Apple in tests and the benchmark. Each POST to /push/<id> is
recorded with its VAPID verdict (ES256 signature against the key in the header, aud = this
server's origin, exp in the future) and its payload decrypted (aes128gcm, RFC 8291) with the
private key and auth secret of the subscriber the test made. Per subscriber it can answer with
a script of replies: 201, 404/410, 429/503 with Retry-After, or a hang longer than the client's
timeout.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Reply:
    """One answer of the fake service: a status, headers, and an optional delay before it."""

    status: int = 201
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


CREATED = Reply(201)
GONE = Reply(410)
NOT_FOUND = Reply(404)


def throttled(retry_after: str = "1", status: int = 429) -> Reply:
    """A 429 (or 503) with Retry-After, as a push service under load answers."""
    return Reply(status, {"Retry-After": retry_after})


def hang(seconds: float) -> Reply:
    """Hold the request this long before answering 201 (longer than the client's timeout)."""
    return Reply(201, delay=seconds)


@dataclass
class Subscriber:
    """A browser's side of a subscription: its key pair and auth secret, as PushManager makes them."""

    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def subscription_json(self) -> dict:
        """Return what PushSubscription.toJSON() gives the page."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth_secret)},
        }


@dataclass
class ReceivedPush:
    """One POST the fake service got, with what it made of it."""

    subscriber_id: str | None
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.monotonic()
    answered: int = 0
    answered_at: float | None = None  # time.monotonic() when the answer was sent
    vapid_ok: bool = False
    vapid_error: str | None = None
    vapid_claims: dict = field(default_factory=dict)
    vapid_key: str | None = None
    plaintext: bytes | None = None
    decrypt_error: str | None = None

    @property
    def message(self) -> dict:
        """The decrypted JSON payload."""
        assert self.plaintext is not None, self.decrypt_error
        return json.loads(self.plaintext)


def verify_vapid(authorization: str, origin: str, now: float | None = None) -> tuple[dict, str]:
    """Check an `Authorization: vapid t=<jwt>, k=<key>` header; return (claims, key) or raise ValueError."""
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"scheme {scheme!r} is not vapid")
    parts = {}
    for item in params.split(","):
        name, _, value = item.strip().partition("=")
        parts[name.strip()] = value.strip()
    token, key = parts.get("t"), parts.get("k")
    if not token or not key:
        raise ValueError("t or k missing")
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    if header.get("alg") != "ES256":
        raise ValueError(f"alg {header.get('alg')!r} is not ES256")
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    signature = b64url_decode(signature_b64)
    if len(signature) != 64:
        raise ValueError("signature is not 64 bytes (r||s)")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, f"{header_b64}.{payload_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise ValueError("bad signature") from error
    claims = json.loads(b64url_decode(payload_b64))
    now = time.time() if now is None else now
    if claims.get("aud") != origin:
        raise ValueError(f"aud {claims.get('aud')!r} is not {origin!r}")
    exp = int(claims.get("exp", 0))
    if exp <= now or exp > now + 24 * 3600:
        raise ValueError("exp not within the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError("sub is not a mailto: or https: URL")
    return claims, key


class FakePushService:
    """The fake push service, on 127.0.0.1 and a free port; use as a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real push services

            def log_message(self, format, *args):  # quiet
                pass

            def do_POST(self):
                service._handle_post(self)

            def do_GET(self):
                service._handle_get(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            # socketserver's default backlog of 5 resets some of the 64 connections a fan-out opens
            # at once (ECONNRESET); a real push service accepts them all.
            request_queue_size = 128

            def process_request(self, request, client_address):
                service.connections += 1  # TCP connections accepted: few when the client keeps them alive
                super().process_request(request, client_address)

            def handle_error(self, request, client_address):
                # socketserver would print the traceback from this thread; on Python 3.11 formatting
                # a traceback (ast.parse for the ^^^ marks) while the test's thread builds an app
                # can raise «SystemError: AST constructor recursion depth mismatch» there. Keep it.
                service.connection_errors.append(repr(sys.exc_info()[1]))

        self._server = Server((host, 0), Handler)
        self.connection_errors: list[str] = []  # a client that reset the connection, for instance
        self.connections = 0
        self.origin = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._lock = threading.Condition()
        self._stopped = threading.Event()
        self._subscribers: dict[str, Subscriber] = {}
        self._scripts: dict[str, list[Reply]] = {}
        self.received: list[ReceivedPush] = []
        self.expected_vapid_key: str | None = None  # like FCM: only the key the browser subscribed with

    # ---- life cycle

    def start(self) -> FakePushService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()  # releases hanging requests
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakePushService:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- set-up

    def new_subscriber(self, *replies: Reply) -> Subscriber:
        """Make a subscriber (P-256 key pair and 16-byte auth secret) and optionally script its replies."""
        subscriber_id = b64url(os.urandom(12))
        subscriber = Subscriber(
            id=subscriber_id,
            endpoint=f"{self.origin}/push/{subscriber_id}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
        )
        with self._lock:
            self._subscribers[subscriber_id] = subscriber
        if replies:
            self.script(subscriber, *replies)
        return subscriber

    def script(self, subscriber: Subscriber, *replies: Reply) -> None:
        """Answer this subscriber's next posts with these replies in order; the last one repeats."""
        with self._lock:
            self._scripts[subscriber.id] = list(replies)

    # ---- reading what arrived

    def received_for(self, subscriber: Subscriber) -> list[ReceivedPush]:
        with self._lock:
            return [push for push in self.received if push.subscriber_id == subscriber.id]

    def wait_for(self, count: int, subscriber: Subscriber | None = None, timeout: float = 30.0) -> list:
        """Wait until `count` posts (for one subscriber, or in all) were answered; return them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                pushes = [
                    p
                    for p in self.received
                    if p.answered and (subscriber is None or p.subscriber_id == subscriber.id)
                ]
                if len(pushes) >= count:
                    return pushes
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(pushes)} of {count} pushes arrived within {timeout} s")
                self._lock.wait(left)

    def stats(self) -> dict:
        """Count what arrived, by answer, with the VAPID and decryption verdicts."""
        with self._lock:
            pushes = list(self.received)
        by_status: dict[str, int] = {}
        for push in pushes:
            by_status[str(push.answered)] = by_status.get(str(push.answered), 0) + 1
        delivered = [p.answered_at for p in pushes if 200 <= p.answered < 300 and p.answered_at]
        answered = [p.answered_at for p in pushes if p.answered_at]
        return {
            "posts": len(pushes),
            "by_status": by_status,
            "vapid_ok": sum(p.vapid_ok for p in pushes),
            "decrypted": sum(p.plaintext is not None for p in pushes),
            # time.monotonic() is system-wide on Linux, so another process can compare these
            "first_received": min((p.received_at for p in pushes), default=None),
            "first_delivered": min(delivered, default=None),
            "last_answered": max(answered, default=None),
            "vapid_tokens": len({p.headers.get("authorization") for p in pushes}),
            "connections": self.connections,
        }

    # ---- HTTP

    def _next_reply(self, subscriber_id: str | None) -> Reply:
        with self._lock:
            script = self._scripts.get(subscriber_id or "")
            if not script:
                return CREATED
            return script.pop(0) if len(script) > 1 else script[0]

    def _handle_get(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps(self.stats()).encode()
        handler.send_response(200 if handler.path == "/_stats" else 404)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _handle_post(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        path = handler.path
        subscriber_id = path.removeprefix("/push/") if path.startswith("/push/") else None
        with self._lock:
            subscriber = self._subscribers.get(subscriber_id or "")
        push = ReceivedPush(
            subscriber_id=subscriber.id if subscriber else None,
            path=path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            received_at=time.monotonic(),
        )
        try:
            push.vapid_claims, push.vapid_key = verify_vapid(
                push.headers.get("authorization", ""), self.origin
            )
            if self.expected_vapid_key and push.vapid_key != self.expected_vapid_key:
                raise ValueError("k is not the applicationServerKey the browser subscribed with")
            push.vapid_ok = True
        except (ValueError, KeyError) as error:
            push.vapid_error = str(error)
        if subscriber is not None and body:
            try:
                if push.headers.get("content-encoding") != "aes128gcm":
                    raise ValueError(f"content-encoding {push.headers.get('content-encoding')!r}")
                push.plaintext = http_ece.decrypt(
                    body,
                    private_key=subscriber.private_key,
                    auth_secret=subscriber.auth_secret,
                    version="aes128gcm",
                )
            except Exception as error:
                push.decrypt_error = f"{type(error).__name__}: {error}"
        with self._lock:
            self.received.append(push)
        if subscriber is None:
            reply = NOT_FOUND
        elif not push.vapid_ok:
            reply = Reply(403)
        elif push.plaintext is None and body:
            reply = Reply(400)
        else:
            reply = self._next_reply(subscriber.id)
        if reply.delay and self._stopped.wait(reply.delay):
            return  # stopping: drop the connection unanswered
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            if reply.status == 201:
                handler.send_header("Location", f"{self.origin}/message/{b64url(os.urandom(8))}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        except OSError:  # the client gave up (its timeout) before we answered
            handler.close_connection = True
        finally:
            with self._lock:
                push.answered = reply.status
                push.answered_at = time.monotonic()
                self._lock.notify_all()
