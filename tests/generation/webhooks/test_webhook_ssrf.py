"""Issue 18: webhooks must not be a port scanner and reader for internal services.

Each test performs the attack with real servers on loopback: private targets are refused when
the URL is saved and again at delivery (with no connection made), redirects are not followed,
slow and huge answers are cut off, and no response body is ever stored or returned."""

import json
import time
import tracemalloc

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from generation.models import WebhookDelivery, WebhookEndpoint
from generation.webhooks import delivery as webhooks
from tests.factories import api_client_for
from tests.generation.webhooks.webhook_servers import (
    SECRET,
    FakeDNS,
    Server,
    drip,
    huge_body,
    redirect_to,
    reply,
)

pytestmark = pytest.mark.django_db

PUBLIC_IP = "93.184.215.14"  # what the fake resolver answers for "public" names


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS(monkeypatch)
    fake.answers.update(
        {
            "hooks.example.com": [PUBLIC_IP],
            "intranet.example.test": ["10.1.2.3"],
            "metadata.example.test": ["169.254.169.254"],
            "mixed.example.test": [PUBLIC_IP, "10.0.0.1"],  # one bad answer among good ones
            "mapped.example.test": ["::ffff:127.0.0.1"],
        }
    )
    return fake


@pytest.fixture
def v4():
    """An internal service on 127.0.0.1 that must never be reached."""
    server = Server(reply(200))
    yield server
    server.close()


@pytest.fixture
def v6():
    try:
        server = Server(reply(200), host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    yield server
    server.close()


def _nothing_kept(client, delivery: WebhookDelivery) -> dict:
    """No trace of the far side's answer in the row or in the API's delivery log."""
    delivery.refresh_from_db()
    assert SECRET.decode() not in json.dumps(model_to_dict(delivery), default=str)
    response = client.get(f"/api/v1/webhooks/{delivery.endpoint_id}/deliveries/")
    assert response.status_code == 200
    assert SECRET.decode() not in response.content.decode()
    entry = next(e for e in response.json()["results"] if e["id"] == str(delivery.pk))
    assert entry["response_excerpt"] == ""
    return entry


def _one_delivery(endpoint: WebhookEndpoint) -> WebhookDelivery:
    (delivery,) = webhooks.emit_event(
        tenant=endpoint.tenant, event_type="job.succeeded", data={"id": "job_1"}
    )
    return delivery


# (url template, which loopback server stands behind it, if any)
MATRIX = [
    ("http://127.0.0.1:{v4}/hook", "v4"),
    ("http://localhost:{v4}/hook", "v4"),
    ("http://[::ffff:127.0.0.1]:{v4}/hook", "v4"),
    ("http://0.0.0.0:{v4}/hook", "v4"),
    ("https://mapped.example.test:{v4}/hook", "v4"),
    ("http://[::1]:{v6}/hook", "v6"),
    ("https://10.0.0.7/hook", None),
    ("http://172.16.0.1/", None),
    ("http://192.168.1.1/admin", None),
    ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", None),
    ("http://100.64.0.1/", None),
    ("http://[fd00::1]/", None),
    ("http://[fe80::1]/", None),
    ("http://[2002:7f00:1::1]/", None),  # 6to4 wrapping 127.0.0.1
    ("http://224.0.0.1/", None),
    ("https://intranet.example.test/hook", None),
    ("https://metadata.example.test/latest/meta-data/", None),
    ("https://mixed.example.test/hook", None),
]


@pytest.mark.parametrize(("template", "server_kind"), MATRIX, ids=[m[0] for m in MATRIX])
def test_internal_targets_are_refused_when_saved_and_when_delivered(
    template, server_kind, tenant, settings, dns, request
):
    settings.DEBUG = True  # the default, where any http target used to be accepted
    server = request.getfixturevalue(server_kind) if server_kind else None
    port = server.port if server else 0
    url = template.format(v4=port, v6=port)
    client = api_client_for(tenant)

    created = client.post("/api/v1/webhooks/", {"url": url}, format="json")
    assert created.status_code == 400, created.content
    assert created.json()["error"]["field"] == "url"
    public = WebhookEndpoint.objects.create(
        tenant=tenant, url="https://hooks.example.com/ok", secret=webhooks.new_secret()
    )
    patched = client.patch(f"/api/v1/webhooks/{public.pk}/", {"url": url}, format="json")
    assert patched.status_code == 400 and patched.json()["error"]["field"] == "url"
    public.refresh_from_db()
    assert public.url == "https://hooks.example.com/ok"

    # Saved before this check existed, or its name resolves elsewhere now: refused again,
    # at delivery, before any connection.
    public.delete()
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url=url, secret=webhooks.new_secret())
    delivery = _one_delivery(endpoint)
    assert webhooks.deliver(delivery.pk) == "failed"
    entry = _nothing_kept(client, delivery)
    assert entry["error"] == "blocked address" and entry["response_code"] is None
    if server is not None:
        assert server.hits == 0


def test_dashboard_form_names_the_url_field(owner_client, tenant, settings, v4):
    settings.DEBUG = True
    response = owner_client.post(reverse("webhook_list"), {"url": v4.url()})
    assert response.status_code == 200
    assert "public hosts" in " ".join(response.context["form"].errors["url"])
    assert not WebhookEndpoint.objects.for_tenant(tenant).exists() and v4.hits == 0


def test_allowlist_lets_an_internal_target_through_on_purpose(tenant, settings, v4):
    settings.DEBUG = False
    settings.AVATARSAAS_WEBHOOK_ALLOWED_CIDRS = ["127.0.0.1/32"]
    client = api_client_for(tenant)
    created = client.post("/api/v1/webhooks/", {"url": v4.url()}, format="json")
    assert created.status_code == 201, created.content  # plain http too: the operator chose it
    delivery = _one_delivery(WebhookEndpoint.objects.get(pk=created.json()["id"]))
    assert webhooks.deliver(delivery.pk) == "delivered"
    assert v4.hits == 1 and json.loads(v4.requests[0]["body"])["type"] == "job.succeeded"
    entry = _nothing_kept(client, delivery)
    assert entry["response_code"] == 200 and entry["error"] == ""

    # Only what is listed: the rest of 127/8 stays closed.
    other = Server(reply(200), host="127.0.0.2")
    try:
        refused = client.post("/api/v1/webhooks/", {"url": other.url()}, format="json")
        assert refused.status_code == 400 and other.hits == 0
    finally:
        other.close()


def test_public_hosts_need_https_in_production(tenant, settings, dns):
    settings.DEBUG = False
    client = api_client_for(tenant)
    plain = client.post("/api/v1/webhooks/", {"url": "http://hooks.example.com/x"}, format="json")
    assert plain.status_code == 400 and "https" in plain.json()["error"]["message"]
    secure = client.post("/api/v1/webhooks/", {"url": "https://hooks.example.com/x"}, format="json")
    assert secure.status_code == 201


@pytest.fixture
def allow_loopback(settings):
    """The attacker's "public" server: the operator allowlist lets the test reach it."""
    settings.AVATARSAAS_WEBHOOK_ALLOWED_CIDRS = ["127.0.0.1/32"]


def _deliver_to(tenant, server: Server) -> tuple[WebhookDelivery, str, float]:
    client = api_client_for(tenant)
    created = client.post("/api/v1/webhooks/", {"url": server.url()}, format="json")
    assert created.status_code == 201, created.content
    delivery = _one_delivery(WebhookEndpoint.objects.get(pk=created.json()["id"]))
    started = time.monotonic()
    result = webhooks.deliver(delivery.pk)
    return delivery, result, time.monotonic() - started


@pytest.mark.parametrize("status", [302, 307])
@pytest.mark.parametrize("to", ["private server", "metadata"])
def test_redirect_to_an_internal_address_is_not_followed(tenant, allow_loopback, status, to):
    internal = Server(reply(200), host="127.0.0.2")
    location = (
        internal.url() if to == "private server" else "http://169.254.169.254/latest/meta-data/"
    )
    attacker = Server(redirect_to(location, status=status))
    try:
        delivery, result, _ = _deliver_to(tenant, attacker)
        assert result == "failed" and attacker.hits == 1 and internal.hits == 0
        entry = _nothing_kept(api_client_for(tenant), delivery)
        assert entry["response_code"] == status and entry["error"] == "redirect not followed"
    finally:
        attacker.close()
        internal.close()


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_slow_drip_is_cut_off_by_the_total_deadline(tenant, allow_loopback, monkeypatch, phase):
    # One byte every 0.2 s never trips the 5 s per-read timeout; only a total deadline helps.
    monkeypatch.setattr(webhooks, "DEADLINE_S", 1.0)
    assert webhooks.IO_TIMEOUT_S >= 5
    server = Server(drip(phase=phase, every_s=0.2, for_s=15))
    try:
        delivery, result, elapsed = _deliver_to(tenant, server)
        assert result == "failed" and elapsed < 3.0, elapsed
        entry = _nothing_kept(api_client_for(tenant), delivery)
        assert entry["error"] == "timed out"
    finally:
        server.close()


@pytest.mark.parametrize("declare_length", [False, True], ids=["streamed", "content-length"])
def test_100_mb_answer_is_cut_off_at_the_byte_cap(tenant, allow_loopback, declare_length):
    server = Server(huge_body(declare_length=declare_length))
    try:
        tracemalloc.start()
        try:
            delivery, result, elapsed = _deliver_to(tenant, server)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result == "failed"
        assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while reading the answer"
        time.sleep(0.2)  # let the server notice the hang-up
        assert server.bytes_sent < 20 * 1024 * 1024  # read to the cap, then hung up
        entry = _nothing_kept(api_client_for(tenant), delivery)
        assert entry["response_code"] == 200 and entry["error"] == "response too large"
    finally:
        server.close()
