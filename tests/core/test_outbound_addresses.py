"""core.outbound's address rules, one address at a time: what webhooks may reach."""

import ipaddress

import pytest

from core import outbound
from tests.generation.webhooks.webhook_servers import FakeDNS

BLOCKED = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    "::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:8.8.8.8",  # mapped addresses are refused whatever they wrap
    "::127.0.0.1",  # IPv4-compatible
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "ff02::1",
    "2001:db8::1",
    "2002:a00:1::1",  # 6to4 wrapping 10.0.0.1
    "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
]
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "2002:808:808::1", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", BLOCKED)
def test_internal_and_special_addresses_are_not_public(address):
    assert not outbound.is_public(ipaddress.ip_address(address))
    assert not outbound.is_allowed(ipaddress.ip_address(address), outbound.OutboundPolicy())


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are(address):
    assert outbound.is_public(ipaddress.ip_address(address))


def test_the_allowlist_opens_exactly_what_it_lists():
    policy = outbound.OutboundPolicy(
        allowed_networks=outbound.parse_networks(["10.20.0.0/16", "fd00::1"])
    )
    assert outbound.is_allowed(ipaddress.ip_address("10.20.3.4"), policy)
    assert outbound.is_allowed(ipaddress.ip_address("fd00::1"), policy)
    assert not outbound.is_allowed(ipaddress.ip_address("10.21.0.1"), policy)
    assert not outbound.is_allowed(ipaddress.ip_address("169.254.169.254"), policy)
    with pytest.raises(ValueError):
        outbound.parse_networks(["10.0.0.0/33"])


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "https://user:pw@example.com/x", "https:///nohost", "http://h:99999/"],
)
def test_urls_that_are_not_plain_http_targets_are_refused(url):
    with pytest.raises(outbound.DestinationRejected):
        outbound.check_url(url, outbound.OutboundPolicy())
    assert outbound.post(url, body=b"", headers={}, policy=outbound.OutboundPolicy()).error


def test_names_are_pinned_to_the_one_address_resolved(monkeypatch):
    dns = FakeDNS(monkeypatch)
    dns.answers["xn--mnchen-3ya.example"] = ["93.184.215.14", "2606:4700:4700::1111"]
    dest = outbound.pin("https://münchen.example/x?a=1#frag", outbound.OutboundPolicy())
    assert dest.host == "xn--mnchen-3ya.example"  # Host header, SNI and DNS all use punycode
    assert dest.port == 443 and dest.request_target == "/x?a=1"
    assert dest.ip == ipaddress.ip_address("93.184.215.14")
    assert dns.calls == {"xn--mnchen-3ya.example": 1}
