"""Billing fixtures: a real local Stripe server (localstripe) and signed webhook deliveries."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe

API_KEY = "sk_test_avatarsaas_localstripe"
WEBHOOK_SECRET = "whsec_test_avatarsaas"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _localstripe_executable() -> str | None:
    beside_python = Path(sys.executable).with_name("localstripe")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("localstripe")


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """Start localstripe on a free loopback port for the session; stop it at the end."""
    executable = _localstripe_executable()
    if executable is None:
        pytest.skip("localstripe is not installed (pip install -e .[dev])")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("localstripe") / "localstripe.log").open("w")
    process = subprocess.Popen(
        [executable, "--port", str(port), "--from-scratch"], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/v1/customers", auth=(API_KEY, ""), timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"localstripe did not start on {url}; see {log.name}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def stripe_settings(settings, localstripe_url):
    """Point the app at localstripe with a webhook secret."""
    settings.STRIPE_API_KEY = API_KEY
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_avatarsaas"
    return settings


@pytest.fixture
def webhook_secret(settings):
    """Webhook verification only (no Stripe API)."""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


@pytest.fixture
def stripe_api(localstripe_url) -> stripe.StripeClient:
    """A client acting as 'the customer's browser / Stripe dashboard' in tests."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_url})


@pytest.fixture
def packs(db):
    from tenants.billing.catalog import ensure_builtin_packs
    from tenants.billing.models import CreditPack

    ensure_builtin_packs(CreditPack)
    return {pack.slug: pack for pack in CreditPack.objects.all()}


def make_event(
    event_type: str, obj: dict[str, Any], *, created: int | None = None, event_id: str = ""
) -> dict[str, Any]:
    created = created or int(time.time())
    return {
        "id": event_id or f"evt_test_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": event_type,
        "created": created,
        "livemode": False,
        "api_version": "2025-01-27.acacia",
        "data": {"object": obj},
    }


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The real `Stripe-Signature` header, built with stripe's own helper."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def deliver(client, event: dict[str, Any] | str, **sign_kwargs):
    payload = event if isinstance(event, str) else json.dumps(event)
    return client.post(
        "/billing/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, **sign_kwargs),
    )


def localstripe_event(api: stripe.StripeClient, event_type: str, object_id: str) -> dict:
    """The event localstripe recorded for `object_id`, as the JSON it would POST to us."""
    events = api.v1.events.list(params={"type": event_type, "limit": 100})
    for event in events.auto_paging_iter():
        if event.data.object.id == object_id:
            return event.to_dict(for_json=True)
    raise AssertionError(f"localstripe has no {event_type} event for {object_id}")
