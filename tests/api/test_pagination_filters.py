"""Cursor pagination and filters on every list endpoint (jobs, webhooks, deliveries)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation.models import GenerationJob, WebhookDelivery, WebhookEndpoint
from tests.api.conftest import key_client
from tests.cross_tenant.routes_generation import _job

pytestmark = pytest.mark.django_db


def _walk(client, url):
    ids, pages = [], 0
    while url:
        body = client.get(url).json()
        assert set(body) == {"next", "previous", "results"}
        ids += [item["id"] for item in body["results"]]
        url, pages = body["next"], pages + 1
    return ids, pages


def _age(model, objs):
    now = timezone.now()
    for i, obj in enumerate(objs):
        model.objects.filter(pk=obj.pk).update(created_at=now - timedelta(minutes=i))
    return [str(o.pk) for o in objs]  # newest first


def test_jobs_cursor_pages_newest_first_without_gaps(api_tenant):
    expected = _age(GenerationJob, [_job(api_tenant) for _ in range(5)])
    ids, pages = _walk(key_client(api_tenant), "/api/v1/jobs/?page_size=2")
    assert (ids, pages) == (expected, 3)


def test_jobs_filters(api_tenant):
    jobs = [_job(api_tenant, status="queued"), _job(api_tenant), _job(api_tenant)]
    expected = _age(GenerationJob, jobs)
    client = key_client(api_tenant)
    assert _walk(client, "/api/v1/jobs/?status=queued")[0] == expected[:1]
    cut = (timezone.now() - timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    assert _walk(client, f"/api/v1/jobs/?created_before={cut}")[0] == expected[1:]
    assert _walk(client, f"/api/v1/jobs/?created_after={cut}")[0] == expected[:1]


def _endpoint(tenant, active=True):
    return WebhookEndpoint.objects.create(
        tenant=tenant, url="https://example.com/h", secret="whsec_AAAA", is_active=active
    )


def test_webhooks_cursor_pages_and_filters(api_tenant):
    endpoints = [_endpoint(api_tenant, active=i != 1) for i in range(3)]
    expected = _age(WebhookEndpoint, endpoints)
    client = key_client(api_tenant)
    assert _walk(client, "/api/v1/webhooks/?page_size=1") == (expected, 3)
    assert _walk(client, "/api/v1/webhooks/?is_active=false")[0] == [expected[1]]
    assert client.get("/api/v1/webhooks/?is_active=maybe").status_code == 400


def test_deliveries_cursor_pages_and_filters(api_tenant):
    endpoint = _endpoint(api_tenant)
    deliveries = [
        WebhookDelivery.objects.create(
            tenant=api_tenant,
            endpoint=endpoint,
            event_type="job.succeeded" if i else "job.failed",
            message_id=f"msg_{i}",
            payload={},
            status="failed" if i == 2 else "succeeded",
        )
        for i in range(3)
    ]
    expected = _age(WebhookDelivery, deliveries)
    client = key_client(api_tenant)
    base = f"/api/v1/webhooks/{endpoint.pk}/deliveries/"
    assert _walk(client, base + "?page_size=2") == (expected, 2)
    assert _walk(client, base + "?status=failed")[0] == [expected[2]]
    assert _walk(client, base + "?event_type=job.failed")[0] == [expected[0]]
    assert client.get(base + "?status=lost").json()["error"]["field"] == "status"


def test_page_size_is_capped(api_tenant):
    for _ in range(3):
        _job(api_tenant)
    body = key_client(api_tenant).get("/api/v1/jobs/?page_size=1000").json()
    assert len(body["results"]) == 3  # max_page_size (100) applies, no error
