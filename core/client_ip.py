"""The client's address, the one place that decides it.

Behind a reverse proxy REMOTE_ADDR is the proxy (every client of ingress-nginx looks like the
ingress pod), and X-Forwarded-For is written partly by the client: each proxy *appends* the
address of its own peer, so only the rightmost entries were written by proxies we run.
The rule is therefore "rightmost untrusted": read ``X-Forwarded-For + [REMOTE_ADDR]`` from the
right, step over the proxies we trust, and take the first address that is not one of ours.
Everything left of it is whatever the client chose to send and is never used.

Which proxies are ours comes from settings, one of:

* ``TRUSTED_PROXY_CIDRS``: the networks the proxies live in. Each step left is taken only if
  the address just read is in one of them, so a request that bypasses the proxy (straight to
  a pod) cannot claim an address either.
* ``TRUSTED_PROXY_HOPS``: how many proxies stand in front of the app (ingress-nginx alone: 1).
  The client is the address that many steps from the right, or the leftmost one when the
  chain is shorter (a request that reached the app past some of the proxies).

With neither (the default: ``runserver``, a bare gunicorn), X-Forwarded-For is ignored and
REMOTE_ADDR is the client. python-ipware was considered; its trusted-proxy list is matched
position by position against the chain rather than as a set of networks, it does not check
that REMOTE_ADDR itself is a trusted proxy, and by default it also believes X-Real-IP,
Client-IP and similar headers that our ingress does not overwrite.
"""

from __future__ import annotations

import contextlib
import ipaddress
from functools import lru_cache

from django.conf import settings

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(value: str) -> IpAddress | None:
    """An address from a forwarding header entry, tolerating a port (``1.2.3.4:5``,
    ``[2001:db8::1]:5``); None for anything else (``unknown``, obfuscated ids, garbage)."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


@lru_cache(maxsize=16)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def address_in(address: str | None, cidrs: list[str] | tuple[str, ...]) -> bool:
    """Whether `address` lies in one of the networks (addresses or CIDRs) in `cidrs`."""
    parsed = parse_ip(address or "")
    if parsed is None:
        return False
    return any(parsed in net for net in _networks(tuple(cidrs)))


def _chain(request) -> list[str]:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [e.strip() for e in forwarded.split(",") if e.strip()]
    return [*entries, request.META.get("REMOTE_ADDR", "")]


def resolve_client_ip(request) -> str:
    """Compute the client address from the request and the trusted-proxy settings."""
    cidrs = list(getattr(settings, "TRUSTED_PROXY_CIDRS", []) or [])
    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0) or 0)
    remote = request.META.get("REMOTE_ADDR", "")
    if not cidrs and hops <= 0:
        return remote
    chain = _chain(request)
    client = remote
    steps = len(chain) - 1 if cidrs else min(hops, len(chain) - 1)
    for position in range(len(chain) - 1, len(chain) - 1 - steps, -1):
        # chain[position] is the peer we are standing on; step left only past a proxy of ours.
        if cidrs and not address_in(chain[position], cidrs):
            break
        candidate = parse_ip(chain[position - 1])
        if candidate is None:
            break  # garbage where a proxy should have written an address: keep the last good one
        client = str(candidate)
    return client


def client_ip(request) -> str:
    """The client address for this request, computed once and kept on the request."""
    cached = getattr(request, "_client_ip", None)
    if cached is None:
        cached = resolve_client_ip(request)
        with contextlib.suppress(AttributeError):  # an immutable stand-in request
            request._client_ip = cached
    return cached
