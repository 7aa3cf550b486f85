"""Outbound HTTP to URLs that tenants choose (webhook deliveries), without SSRF.

A tenant picks the URL, so the server must not become their proxy into our own network:

* Every address the host resolves to must be public, or inside an operator allowlist. The name
  is resolved once and the socket connects to that pinned IP, so a DNS answer that changes
  between the check and the connection (rebinding) cannot move it. TLS still sends SNI and
  verifies the certificate for the hostname, and the Host header carries the hostname.
* Redirects are never followed (http.client does not follow them).
* One total deadline covers DNS, connect, TLS, sending, headers and body (a watchdog shuts
  the socket when it passes, so a server dripping a byte per read cannot hold a worker); the
  response is read up to a byte cap, then dropped. Callers get the status code and a short
  generic error, never the body.

Pure: no Django, no app imports.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urlsplit

import certifi

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Short generic outcomes, safe to show the tenant: none echoes what the far side sent.
BLOCKED = "blocked address"
INVALID_URL = "invalid URL"
DNS_FAILED = "DNS lookup failed"
REFUSED = "connection refused"
TIMED_OUT = "timed out"
TOO_LARGE = "response too large"
REDIRECT = "redirect not followed"
TLS_FAILED = "TLS error"
CONNECT_FAILED = "connection failed"
BAD_RESPONSE = "invalid response"
HTTPS_REQUIRED = "https required"

# Not covered by ipaddress' is_private/is_global on every supported Python, or hiding an
# IPv4 address inside an IPv6 one that a gateway would translate.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class OutboundPolicy:
    """Where outbound requests may go and how much they may cost."""

    allowed_networks: tuple[Network, ...] = ()  # operator allowlist: reachable even if private
    allow_public_http: bool = False  # plain http to public hosts (dev); allowlisted always may
    deadline_s: float = 10.0  # everything after DNS: connect, TLS, send, headers, body
    io_timeout_s: float = 5.0  # one socket operation (the deadline bounds their sum)
    max_response_bytes: int = 64 * 1024
    tls_context: ssl.SSLContext | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Destination:
    """A checked URL with the one address the connection will use."""

    scheme: str
    host: str  # as written in the URL (SNI, certificate name, Host header)
    port: int
    request_target: str  # path and query
    ip: IPAddress


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str  # "" when the response was 2xx and complete

    @property
    def ok(self) -> bool:
        return not self.error


class DestinationRejected(Exception):  # noqa: N818 - an outcome, like the errors above
    """The URL may not be fetched; `reason` is one of the short outcomes above."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """Operator CIDRs ("10.0.5.0/24", "fd00::/8", or a bare address); ValueError if bad."""
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client address, which the relay would reach
    return None


def is_public(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if ip.version == 6:
        # ::ffff:127.0.0.1 and ::127.0.0.1 reach IPv4 hosts on a dual-stack machine.
        if ip.ipv4_mapped is not None or ip in _IPV4_COMPATIBLE or ip.is_site_local:
            return False
        if ip in _NAT64:  # DNS64 answers: the gateway reaches the embedded IPv4 address
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public(embedded):
            return False
    elif ip in _CGNAT:
        return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def is_allowed(ip: IPAddress, policy: OutboundPolicy) -> bool:
    return _in_allowlist(ip, policy) or is_public(ip)


def _in_allowlist(ip: IPAddress, policy: OutboundPolicy) -> bool:
    return any(ip.version == net.version and ip in net for net in policy.allowed_networks)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order (the seam tests patch)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[IPAddress] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone
        if ip not in seen:
            seen.append(ip)
    return seen


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")  # Host header, SNI, DNS
    except (ValueError, UnicodeError) as exc:
        raise DestinationRejected(INVALID_URL, "Enter a valid URL.") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise DestinationRejected(
            INVALID_URL, "Enter an http(s) URL, e.g. https://example.com/hooks."
        )
    if parts.username or parts.password:
        raise DestinationRejected(INVALID_URL, "Leave credentials out of the URL.")
    port = port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, target


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _check(scheme: str, host: str, addresses: list[IPAddress], policy: OutboundPolicy) -> None:
    if not all(is_allowed(ip, policy) for ip in addresses):
        # One bad answer among good ones is refused too: the order is the attacker's to choose.
        raise DestinationRejected(
            BLOCKED,
            f"{host} is a private, loopback, link-local or reserved address; "
            "webhooks can only reach public hosts.",
        )
    plain_http_ok = policy.allow_public_http or all(_in_allowlist(ip, policy) for ip in addresses)
    if scheme == "http" and not plain_http_ok:
        raise DestinationRejected(HTTPS_REQUIRED, "Use an https URL.")


def _lookup(host: str, port: int, timeout: float) -> list[IPAddress]:
    """`resolve` within `timeout`: getaddrinfo cannot be interrupted, so it runs in a daemon
    thread that is abandoned (and ends with the resolver's own timeout) when it is too slow,
    and a name server that answers slowly on purpose cannot stretch the deadline."""
    answer: list = []
    worker = threading.Thread(target=lambda: answer.append(_try_resolve(host, port)), daemon=True)
    worker.start()
    worker.join(timeout)
    if not answer:
        raise DestinationRejected(TIMED_OUT, f"Looking up {host} timed out.")
    if isinstance(answer[0], BaseException):
        raise DestinationRejected(DNS_FAILED, f"{host} does not resolve.") from answer[0]
    if not answer[0]:
        raise DestinationRejected(DNS_FAILED, f"{host} does not resolve.")
    return answer[0]


def _try_resolve(host: str, port: int) -> list[IPAddress] | BaseException:
    try:
        return resolve(host, port)
    except (OSError, UnicodeError) as exc:
        return exc


def _addresses(host: str, port: int, timeout: float) -> list[IPAddress]:
    literal = _literal(host)
    return [literal] if literal is not None else _lookup(host, port, timeout)


def check_url(url: str, policy: OutboundPolicy) -> None:
    """Refuse a URL when it is saved. A name that does not resolve (yet) is accepted: it is
    checked again, and pinned, at every request; one that resolves anywhere private is not."""
    scheme, host, port, _ = _split(url)
    try:
        addresses = _addresses(host, port, policy.io_timeout_s)
    except DestinationRejected:
        addresses = []
    if addresses:
        _check(scheme, host, addresses, policy)
    elif scheme == "http" and not policy.allow_public_http:
        raise DestinationRejected(HTTPS_REQUIRED, "Use an https URL.")


def pin(url: str, policy: OutboundPolicy) -> Destination:
    """Resolve once, check every address, and choose the one the connection will use."""
    scheme, host, port, target = _split(url)
    addresses = _addresses(host, port, policy.deadline_s)
    _check(scheme, host, addresses, policy)
    return Destination(scheme, host, port, target, addresses[0])


@cache
def _default_tls_context() -> ssl.SSLContext:
    # The same CA bundle requests used before, so receivers' certificates verify as they did.
    return ssl.create_default_context(cafile=certifi.where())


class _PinnedConnection(http.client.HTTPConnection):
    """http.client connection to `ip` that speaks as `host`: Host header, SNI, cert check."""

    def __init__(self, dest: Destination, *, timeout: float, tls: ssl.SSLContext | None):
        super().__init__(dest.host, dest.port, timeout=timeout)
        self._ip, self._tls = dest.ip, tls
        self.default_port = 443 if tls is not None else 80  # Host omits the default port
        self._lock = threading.Lock()
        self.expired = False

    def connect(self) -> None:
        raw = socket.create_connection((str(self._ip), self.port), timeout=self.timeout)
        with self._lock:
            self.sock = raw
            if self.expired:  # the watchdog fired while we were connecting
                raise TimeoutError
        if self._tls is not None:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)

    def expire(self) -> None:
        """Called by the watchdog: unblock whatever socket operation is waiting."""
        with self._lock:
            self.expired = True
            if self.sock is not None:
                with contextlib.suppress(OSError):  # already closed: nothing left to unblock
                    self.sock.shutdown(socket.SHUT_RDWR)


def post(url: str, *, body: bytes, headers: dict[str, str], policy: OutboundPolicy) -> Outcome:
    """POST `body` to `url` under `policy`. Never raises for what the network or the far side
    does; the outcome carries the status code (if any) and a short generic error."""
    started = time.monotonic()
    try:
        dest = pin(url, policy)
    except DestinationRejected as exc:
        return Outcome(None, exc.reason)
    left = policy.deadline_s - (time.monotonic() - started)  # DNS took its share
    tls = (policy.tls_context or _default_tls_context()) if dest.scheme == "https" else None
    conn = _PinnedConnection(dest, timeout=max(0.01, min(policy.io_timeout_s, left)), tls=tls)
    watchdog = threading.Timer(max(0.0, left), conn.expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request("POST", dest.request_target, body=body, headers=headers)
        response = conn.getresponse()
        outcome = _read_capped(response, policy)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a generic outcome
        outcome = Outcome(None, TIMED_OUT if conn.expired else _describe(exc))
    finally:
        watchdog.cancel()
        conn.close()
    if conn.expired or time.monotonic() - started > policy.deadline_s:
        return Outcome(outcome.status_code, TIMED_OUT)
    return outcome


def _read_capped(response: http.client.HTTPResponse, policy: OutboundPolicy) -> Outcome:
    status, cap = response.status, policy.max_response_bytes
    declared = response.getheader("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return Outcome(status, TOO_LARGE)
    received = 0
    while chunk := response.read1(min(16 * 1024, cap + 1 - received)):
        received += len(chunk)  # counted, then dropped: nobody ever sees the body
        if received > cap:
            return Outcome(status, TOO_LARGE)
    if 300 <= status < 400:
        return Outcome(status, REDIRECT)
    if not 200 <= status < 300:
        return Outcome(status, f"HTTP {status}")
    return Outcome(status, "")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return TIMED_OUT
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return TLS_FAILED
    if isinstance(exc, http.client.HTTPException):
        return BAD_RESPONSE
    return CONNECT_FAILED
