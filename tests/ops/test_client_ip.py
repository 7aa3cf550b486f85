"""The client address behind the shipped ingress (one proxy, TRUSTED_PROXY_HOPS=1): every
consumer (admin allowlist, metrics allowlist, login throttle, audit log) sees the client, not
the ingress pod, and a client cannot choose its address by sending X-Forwarded-For."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from core.client_ip import resolve_client_ip
from tenants.models import AuditEvent
from tests.factories import PASSWORD, make_user, owner_of

INGRESS_POD = "10.42.0.7"  # REMOTE_ADDR of every request that came through ingress-nginx


def via_ingress(client_address: str, sent_by_client: str = "") -> dict:
    """META of a request from `client_address` after ingress-nginx (which appends its peer)."""
    chain = f"{sent_by_client}, {client_address}" if sent_by_client else client_address
    return {"REMOTE_ADDR": INGRESS_POD, "HTTP_X_FORWARDED_FOR": chain}


@pytest.fixture
def behind_ingress(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.TRUSTED_PROXY_CIDRS = []
    cache.clear()
    yield settings
    cache.clear()


def _resolve(settings, remote, forwarded=None, *, hops=0, cidrs=()):
    settings.TRUSTED_PROXY_HOPS = hops
    settings.TRUSTED_PROXY_CIDRS = list(cidrs)
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return resolve_client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    ("remote", "forwarded", "hops", "cidrs", "expected"),
    [
        # No proxy configured: X-Forwarded-For is the client's own text and is ignored.
        ("203.0.113.9", "10.0.0.1", 0, (), "203.0.113.9"),
        # One proxy: the rightmost entry, whatever the client prepended.
        ("10.42.0.7", "203.0.113.9", 1, (), "203.0.113.9"),
        ("10.42.0.7", "127.0.0.1, 10.9.9.9, 203.0.113.9", 1, (), "203.0.113.9"),
        ("10.42.0.7", None, 1, (), "10.42.0.7"),  # straight to the pod (a probe, Prometheus)
        ("10.42.0.7", "203.0.113.9:51234", 1, (), "203.0.113.9"),
        ("10.42.0.7", "[2001:db8::5]:443", 1, (), "2001:db8::5"),
        # Two proxies (CDN + ingress): the second entry from the right.
        ("10.42.0.7", "1.1.1.1, 203.0.113.9, 198.51.100.2", 2, (), "203.0.113.9"),
        ("10.42.0.7", "203.0.113.9", 2, (), "203.0.113.9"),  # chain shorter than the hops
        # Trusted networks: step left only past our own proxies.
        ("10.42.0.7", "8.8.8.8, 203.0.113.9, 10.1.0.4", 0, ("10.0.0.0/8",), "203.0.113.9"),
        ("203.0.113.50", "10.0.0.1", 0, ("10.0.0.0/8",), "203.0.113.50"),  # not via our proxy
        ("10.42.0.7", "10.1.2.3", 0, ("10.0.0.0/8",), "10.1.2.3"),  # an in-cluster client
        ("10.42.0.7", "bogus, 203.0.113.9", 0, ("10.0.0.0/8",), "203.0.113.9"),
        ("10.42.0.7", "unknown", 1, (), "10.42.0.7"),  # garbage where the proxy writes
    ],
)
def test_rightmost_untrusted_address_is_the_client(
    settings, remote, forwarded, hops, cidrs, expected
):
    assert _resolve(settings, remote, forwarded, hops=hops, cidrs=cidrs) == expected


@pytest.mark.django_db
def test_admin_allowlist_is_closed_to_internet_clients_behind_the_ingress(client, behind_ingress):
    behind_ingress.ADMIN_IP_ALLOWLIST = ["10.0.0.0/8"]
    # Today's config admitted this: the ingress pod (10.x) was taken for the client.
    assert client.get("/admin/login/", **via_ingress("203.0.113.9")).status_code == 404
    # Nor can a client claim an inside address by sending the header itself.
    spoofed = via_ingress("203.0.113.9", sent_by_client="10.0.0.1")
    assert client.get("/admin/login/", **spoofed).status_code == 404
    assert client.get("/admin/login/", **via_ingress("10.8.0.3")).status_code == 200  # VPN


@pytest.mark.django_db
def test_metrics_allowlist_is_closed_to_internet_clients_behind_the_ingress(client, behind_ingress):
    behind_ingress.METRICS_TOKEN = ""
    behind_ingress.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", **via_ingress("203.0.113.9")).status_code == 403
    # Prometheus scrapes the pod directly: no proxy, no header.
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


@pytest.mark.django_db
def test_one_attacker_behind_the_ingress_cannot_lock_everyone_out_of_sign_in(
    client, behind_ingress
):
    behind_ingress.LOGIN_THROTTLE_PER_IP = 4
    for i in range(4):
        client.post(
            "/login/",
            {"username": f"victim{i}@example.com", "password": "guess"},
            **via_ingress("203.0.113.66"),
        )
    refused = client.post(
        "/login/",
        {"username": "victim9@example.com", "password": "guess"},
        **via_ingress("203.0.113.66"),
    )
    assert refused.status_code == 429  # the attacker's own address is throttled ...
    user = make_user("bystander@example.com")
    ok = client.post(
        "/login/",
        {"username": user.username, "password": PASSWORD},
        **via_ingress("198.51.100.7"),
    )
    assert ok.status_code == 302  # ... but not everyone else behind the same ingress


@pytest.mark.django_db
def test_audit_log_records_the_client_address_not_the_ingress(client, behind_ingress, tenant):
    client.force_login(owner_of(tenant))
    response = client.post(
        "/settings/api-keys/",
        {"name": "bot", "scopes": ["jobs:read"]},
        **via_ingress("198.51.100.23", sent_by_client="192.0.2.1"),
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(tenant=tenant, action="api_key.created")
    assert event.ip == "198.51.100.23"
