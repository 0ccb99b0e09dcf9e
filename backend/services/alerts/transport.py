"""The sender's connection layer: kept-alive connections per push service, reused VAPID tokens,
and a check of the address each connection really goes to.

A fan-out posts hundreds of messages to the same few hosts (FCM, Mozilla, Apple), so each host
gets one pool of kept-alive connections, and each audience (a push service's origin) one VAPID
token, signed once and reused until shortly before it expires. Only the encryption is done per
message, as RFC 8291 demands (a fresh key pair and salt each time; pywebpush does it).

Every new connection resolves the host once, drops addresses in private, loopback, link-local,
multicast, unspecified or reserved ranges, and connects to an address it kept, so a name that
resolves (or is rebound) to an internal address is never connected to. TLS still checks the
certificate against the name (SNI). Only a host that PUSH_ALLOWED_HOSTS names as local may reach
such an address: an IP literal (`127.0.0.1`) or an `http://` entry (tests and local fakes).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import urllib3
from py_vapid import Vapid01
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

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


# ---------------------------------------------------------------- where a connection may go


class AddressRefused(urllib3.exceptions.HTTPError):
    """The push service's host resolved only to addresses the server must not connect to."""


def resolve(host: str, port: int) -> list[tuple[int, tuple]]:
    """Resolve a host once: (family, sockaddr) for each address, in the resolver's order."""
    return [
        (family, sockaddr)
        for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    ]


def is_public(address: str) -> bool:
    """True for a globally routable unicast address; false for every special-use range."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # no IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:  # 64:ff9b::a.b.c.d reaches a.b.c.d
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(str(embedded))
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_reserved
    )


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def local_hosts(allowed_hosts: Iterable[str]) -> frozenset[str]:
    """The hosts PUSH_ALLOWED_HOSTS names as local: IP literals and `http://` entries, never a wildcard."""
    hosts = set()
    for entry in allowed_hosts:
        entry = entry.strip().lower().rstrip("/")
        host = entry.removeprefix("http://").removeprefix("https://").rstrip(".").strip("[]")
        if not host or "*" in host:
            continue
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not entry.startswith("http://"):
                continue
        hosts.add(host)
    return frozenset(hosts)


class _GuardedConnection(HTTPConnection):
    """A connection that resolves its host once and connects only to an address it may reach."""

    local: frozenset[str] = frozenset()  # set on the subclass PushHTTP makes

    def _new_conn(self) -> socket.socket:
        host = self._dns_host.rstrip(".").strip("[]").lower()
        try:
            addresses = resolve(host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        if host not in self.local:
            addresses = [(family, sockaddr) for family, sockaddr in addresses if is_public(sockaddr[0])]
            if not addresses:
                raise AddressRefused(f"{self.host} resolves only to addresses the server does not post to")
        error: OSError | None = None
        for family, sockaddr in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                sock.settimeout(self.timeout)
                sock.connect(sockaddr)
                return sock
            except TimeoutError as timeout:
                sock.close()
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from timeout
            except OSError as failed:
                sock.close()
                error = failed
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    """The same for https: the socket goes to the checked address, TLS checks the name."""


def _guarded_pools(allowed_hosts: Iterable[str]) -> dict[str, type]:
    """Connection pool classes whose connections only reach the addresses they may."""
    local = local_hosts(allowed_hosts)
    plain = type("PushConnection", (_GuardedConnection,), {"local": local})
    tls = type("PushHTTPSConnection", (_GuardedHTTPSConnection,), {"local": local})
    return {
        "http": type("PushConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
        "https": type("PushHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
    }


# ---------------------------------------------------------------- posting


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
    bounce the server to another address. Without a proxy, every connection goes only to an
    address the guard above accepts.
    """

    def __init__(self, threads: int, allowed_hosts: Iterable[str] = (), proxy: str = "") -> None:
        options = {"num_pools": MAX_HOSTS, "maxsize": max(1, threads), "block": False, "retries": False}
        if proxy:  # the operator's proxy resolves and connects; it must keep internal addresses out
            self.pool = urllib3.ProxyManager(proxy, **options)
        else:
            self.pool = urllib3.PoolManager(**options)
            self.pool.pool_classes_by_scheme = _guarded_pools(allowed_hosts)

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
