"""The waiting API across workspaces (issue 20): `Prefer: wait` and the event stream only ever
wait on, or stream, the caller's own jobs."""

import asyncio

import pytest
from django.test import AsyncClient

from generation.models import GenerationJob
from tests.cross_tenant.routes_generation import _job
from tests.cross_tenant.routes_styles import _preset
from tests.factories import make_api_key, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def _as(tenant):
    _, plaintext = make_api_key(tenant)
    return {"Authorization": f"Bearer {plaintext}"}


def _run(coroutine):
    return asyncio.run(coroutine)


def test_prefer_wait_with_another_workspaces_preset_is_404_and_waits_for_nothing(no_models):
    mine, theirs = make_tenant("Tenant A", credits_amount=100), make_tenant("Tenant B")
    body = {"description": "a robot", "engine": "vector", "n": 1, "preset": str(_preset(theirs).pk)}
    response = _run(
        AsyncClient().post(
            "/api/v1/jobs/",
            body,
            content_type="application/json",
            headers={**_as(mine), "Prefer": "wait=30"},
        )
    )
    assert response.status_code == 404 and response.json()["error"]["field"] == "preset"
    assert not GenerationJob.objects.filter(tenant=mine).exists()


def test_event_stream_of_another_workspaces_job_is_404_through_the_async_stack():
    mine, theirs = make_tenant("Tenant A"), make_tenant("Tenant B")
    foreign, own = _job(theirs, status="running"), _job(mine, status="succeeded")
    client = AsyncClient()
    response = _run(client.get(f"/api/v1/jobs/{foreign.pk}/events/", headers=_as(mine)))
    assert response.status_code == 404 and not response.streaming
    # The same request for an own job streams (positive control).
    response = _run(client.get(f"/api/v1/jobs/{own.pk}/events/", headers=_as(mine)))
    assert response.status_code == 200 and response.streaming
