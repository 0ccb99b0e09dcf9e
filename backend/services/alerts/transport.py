"""The sender's connection layer: kept-alive connections per push service and reused VAPID tokens.

A fan-out posts hundreds of messages to the same few hosts (FCM, Mozilla, Apple), so each host
gets one pool of kept-alive connections, and each audience (a push service's origin) one VAPID
token, signed once and reused until shortly before it expires. Only the encryption is done per
message, as RFC 8291 demands (a fresh key pair and salt each time; pywebpush does it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import urllib3
from py_vapid import Vapid01

# A VAPID token lives this long (RFC 8292 allows at most 24 hours; pywebpush signs 12) and is
# replaced this long before it expires, so no post ever carries a token about to run out.
VAPID_LIFETIME_SECONDS = 12 * 3600
VAPID_RENEW_BEFORE_SECONDS = 3600
# Push services the sender keeps connections to; beyond this the least recently used pool closes.
MAX_HOSTS = 64


def audience(endpoint: str) -> str:
    """Return the origin of an endpoint (scheme://host[:port]), the `aud` of its VAPID token."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class VapidTokens:
    """One signed VAPID `Authorization` header per audience, reused for its validity period."""

    def __init__(self, vapid: Vapid01, subject: str, clock=time.time) -> None:
        self.vapid = vapid
        self.subject = subject
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, str]] = {}  # audience -> (renew at, header)

    def authorization(self, endpoint: str) -> str:
        """Return the Authorization header for a post to this endpoint, signing only when needed."""
        aud = audience(endpoint)
        now = self.clock()
        cached = self._tokens.get(aud)
        if cached is not None and now < cached[0]:
            return cached[1]
        with self._lock:  # the workers of a fan-out start together: one of them signs, once
            cached = self._tokens.get(aud)
            if cached is not None and now < cached[0]:
                return cached[1]
            expires = int(now) + VAPID_LIFETIME_SECONDS
            header = self.vapid.sign({"sub": self.subject, "aud": aud, "exp": expires})["Authorization"]
            if len(self._tokens) >= MAX_HOSTS:  # endpoints on many hosts: keep the table small
                self._tokens = {key: value for key, value in self._tokens.items() if now < value[0]}
            self._tokens[aud] = (expires - VAPID_RENEW_BEFORE_SECONDS, header)
            return header


class _Response:
    """The parts of a requests.Response that pywebpush reads, and the Retry-After the sender needs."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self.status_code = response.status
        self.reason = response.reason
        self.headers = response.headers  # case-insensitive
        self.text = ""  # pywebpush logs it when verbose; a push service's answer is never kept


class PushHTTP:
    """What pywebpush needs of a requests session (`post`), done by one urllib3 pool per host.

    Each push service's host has its own pool of kept-alive connections, as many as there are
    worker threads, so a fan-out opens a connection per worker once and then only posts. About a
    third less CPU per message than requests; it never follows redirects, retries nothing on its
    own, and reads no proxy or netrc settings from the environment, so a push service cannot
    bounce the server to another address.
    """

    def __init__(self, threads: int, allowed_hosts: Iterable[str] = (), proxy: str = "") -> None:
        options = {"num_pools": MAX_HOSTS, "maxsize": max(1, threads), "block": False, "retries": False}
        self.pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)

    def post(self, url: str, data=None, headers=None, timeout=None) -> _Response:
        connect, read = timeout
        response = self.pool.urlopen(  # the host's pool, made on its first post
            "POST",
            url,
            body=data,
            headers=dict(headers or {}),
            timeout=urllib3.Timeout(connect=connect, read=read),
            redirect=False,
            retries=False,
        )
        return _Response(response)

    def clear(self) -> None:
        """Close every kept connection."""
        self.pool.clear()
