"""Issue 18: endpoints per workspace are a plan limit, and deliveries wait on their own
django-q cluster ("webhooks"), so slow receivers cannot starve sweeps and purges."""

import threading
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django_q.brokers import get_broker

from generation.webhooks import delivery as webhooks
from tenants.models import Plan
from tests.factories import api_client_for, make_tenant
from tests.generation.webhooks.webhook_servers import FakeDNS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS(monkeypatch)
    fake.answers.update({f"hooks{i}.example.com": ["93.184.215.14"] for i in range(4)})
    return fake


def test_builtin_plans_carry_a_webhook_endpoint_limit():
    limits = dict(Plan.objects.values_list("slug", "max_webhook_endpoints"))
    assert limits["free"] == 2 and limits["pro"] == 10 and limits["business"] == 25


def test_endpoint_count_is_limited_by_the_plan(tenant, dns):
    assert tenant.plan_id == "free"
    client = api_client_for(tenant)
    for i in range(2):
        url = f"https://hooks{i}.example.com/h"
        assert client.post("/api/v1/webhooks/", {"url": url}, format="json").status_code == 201
    third = client.post("/api/v1/webhooks/", {"url": "https://hooks2.example.com/h"}, format="json")
    assert third.status_code == 403, third.content
    error = third.json()["error"]
    assert error["code"] == "plan_limit" and error["field"] == "max_webhook_endpoints"
    assert error["limit"] == 2 and "Free plan" in error["message"]
    endpoints = client.get("/api/v1/webhooks/").json()["results"]
    assert len(endpoints) == 2

    # A paused endpoint still counts (it can be switched back on); an upgrade lifts the cap.
    paused = client.patch(
        f"/api/v1/webhooks/{endpoints[0]['id']}/", {"is_active": False}, format="json"
    )
    assert paused.status_code == 200
    url = "https://hooks2.example.com/h"
    assert client.post("/api/v1/webhooks/", {"url": url}, format="json").status_code == 403
    Plan.objects.filter(pk="pro").update(max_webhook_endpoints=3)
    type(tenant).objects.filter(pk=tenant.pk).update(plan_id="pro")
    url = "https://hooks2.example.com/h"
    assert client.post("/api/v1/webhooks/", {"url": url}, format="json").status_code == 201
    url = "https://hooks3.example.com/h"
    assert client.post("/api/v1/webhooks/", {"url": url}, format="json").status_code == 403


def test_dashboard_shows_the_plan_limit(owner_client, tenant, dns):
    for i in range(2):
        owner_client.post(reverse("webhook_list"), {"url": f"https://hooks{i}.example.com/h"})
    response = owner_client.post(reverse("webhook_list"), {"url": "https://hooks2.example.com/h"})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "plan includes 2 webhook endpoint" in errors


def _queued(cluster: str) -> int:
    return get_broker(cluster).queue_size()


def test_deliveries_are_queued_on_the_webhooks_cluster(
    tenant, dns, django_capture_on_commit_callbacks
):
    webhooks_before, default_before = _queued("webhooks"), _queued("default")
    client = api_client_for(tenant)
    client.post("/api/v1/webhooks/", {"url": "https://hooks0.example.com/h"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhooks.emit_event(tenant=tenant, event_type="job.succeeded", data={})
    assert _queued("webhooks") == webhooks_before + 1
    assert _queued("default") == default_before  # the sweepers' queue stays clear

    # The retry sweep (a default-cluster schedule) hands due deliveries to the same cluster.
    assert webhooks.retry_due() == 1
    assert _queued("webhooks") == webhooks_before + 2 and _queued("default") == default_before
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
    assert _queued("webhooks") == webhooks_before + 3
    get_broker("webhooks").purge_queue()


def test_the_webhooks_cluster_is_configured_and_run_everywhere():
    clusters = django_settings.Q_CLUSTER["ALT_CLUSTERS"]
    assert clusters["webhooks"]["timeout"] < clusters["webhooks"]["retry"]
    assert clusters["webhooks"]["timeout"] >= webhooks.DEADLINE_S * 3
    assert "Q_CLUSTER_NAME=webhooks" in (ROOT / "bin" / "dev-run").read_text()
    assert "Q_CLUSTER_NAME=webhooks" in (ROOT / "Makefile").read_text()
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    assert compose["services"]["worker-webhooks"]["environment"]["Q_CLUSTER_NAME"] == "webhooks"
    docs = list(yaml.safe_load_all((ROOT / "docker" / "k8s" / "worker-webhooks.yaml").read_text()))
    env = docs[0]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "Q_CLUSTER_NAME", "value": "webhooks"} in env
    kustomization = yaml.safe_load((ROOT / "docker" / "k8s" / "kustomization.yaml").read_text())
    assert "worker-webhooks.yaml" in kustomization["resources"]


@pytest.mark.django_db(transaction=True)
def test_simultaneous_creates_cannot_overshoot_the_endpoint_limit(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this on PostgreSQL")
    FakeDNS(monkeypatch).answers.update(
        {f"race{i}.example.com": ["93.184.215.14"] for i in range(6)}
    )
    tenant = make_tenant("Endpoint Racers")  # free plan: 2 endpoints
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def create(i):
        try:
            client = api_client_for(tenant)
            barrier.wait(timeout=30)
            url = f"https://race{i}.example.com/h"
            statuses.append(
                client.post("/api/v1/webhooks/", {"url": url}, format="json").status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(statuses) == [201, 201, 403, 403, 403, 403]
