"""Signed webhooks delivered to a real HTTP server on loopback, retries, redelivery."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from generation.models import WebhookDelivery
from generation.webhooks import delivery as webhooks
from generation.worker import runner
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_receivers_allowed(settings):
    """These receivers listen on loopback, which deliveries refuse unless the operator
    allowlists it (test_webhook_ssrf.py shows what is refused without it)."""
    settings.AVATARSAAS_WEBHOOK_ALLOWED_CIDRS = ["127.0.0.1/32"]


class Receiver:
    def __init__(self, status=200):
        self.status = status
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body.decode()))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _deliver_all():
    for d in WebhookDelivery.objects.filter(status__in=["pending", "failed"]):
        webhooks.deliver(d.pk)


def test_job_succeeded_webhook_is_signed_per_standard_webhooks(no_models, tenant, receiver):
    client = api_client_for(tenant)
    created = client.post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["job.succeeded"]}, format="json"
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    job_id = client.post("/api/v1/jobs/", {"description": "robot", "n": 1}, format="json").json()[
        "id"
    ]
    runner.process_one("w")
    _deliver_all()
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    lowered = {k.lower(): v for k, v in headers.items()}
    payload = Webhook(secret).verify(body, lowered)  # raises if the signature is wrong
    assert payload["type"] == "job.succeeded" and payload["data"]["id"] == job_id
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(body, lowered)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded" and delivery.response_code == 200


def test_event_filter_skips_unwanted_events(no_models, tenant, receiver):
    client = api_client_for(tenant)
    client.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["job.failed"]}, format="json")
    client.post("/api/v1/jobs/", {"description": "robot", "n": 1}, format="json")
    runner.process_one("w")
    assert not WebhookDelivery.objects.exists()


def test_failed_delivery_is_retried_with_backoff_then_redelivered(no_models, tenant):
    failing = Receiver(status=500)
    try:
        client = api_client_for(tenant)
        endpoint = client.post("/api/v1/webhooks/", {"url": failing.url}, format="json").json()
        client.post("/api/v1/jobs/", {"description": "robot", "n": 1}, format="json")
        runner.process_one("w")
        delivery = WebhookDelivery.objects.get()
        assert webhooks.deliver(delivery.pk) == "failed"
        delivery.refresh_from_db()
        assert delivery.status == "failed" and delivery.response_code == 500
        assert delivery.next_attempt_at is not None and delivery.attempts == 1
        log = client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/").json()["results"]
        assert log[0]["response_code"] == 500
        failing.status = 200
        response = client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
        assert response.status_code == 202
        assert webhooks.deliver(delivery.pk) == "delivered"
        delivery.refresh_from_db()
        assert delivery.status == "succeeded" and delivery.attempts == 2
        ids = {json.dumps(h.get("webhook-id")) for h, _ in failing.requests}
        assert len(ids) == 1  # retries keep the same webhook-id so receivers can dedupe
    finally:
        failing.close()


def test_webhook_validation(no_models, tenant):
    client = api_client_for(tenant)
    bad_url = client.post("/api/v1/webhooks/", {"url": "ftp://x"}, format="json")
    assert bad_url.status_code == 400 and bad_url.json()["error"]["field"] == "url"
    bad_event = client.post(
        "/api/v1/webhooks/", {"url": "https://example.com", "events": ["nope"]}, format="json"
    )
    assert bad_event.status_code == 400 and bad_event.json()["error"]["field"].startswith("events")
    no_scope = api_client_for(tenant, scopes=["jobs:read"])
    assert no_scope.get("/api/v1/webhooks/").status_code == 403
