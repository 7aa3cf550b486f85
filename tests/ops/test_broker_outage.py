"""A broker outage must not fail a submission whose job is already committed and paid for:
the row is the truth, the queue message only a nudge that the sweeper repeats."""

import pytest
import redis

from generation.models import GenerationJob
from generation.worker import runner
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_submit_answers_201_and_the_sweeper_renudges_when_the_broker_is_down(
    no_models, tenant, monkeypatch
):
    import django_q.tasks

    def broker_down(*args, **kwargs):
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(django_q.tasks, "async_task", broker_down)
    response = api_client_for(tenant).post(
        "/api/v1/jobs/", {"description": "a robot", "n": 1, "seed": 4}, format="json"
    )
    assert response.status_code == 201, response.content
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == "queued"

    nudges = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *a, **k: nudges.append(a))
    assert runner.sweep_stale_jobs(stale_nudge_after=0)["nudged"] == 1
    assert nudges and nudges[0][1] == str(job.pk)


def test_cancel_with_webhooks_answers_200_and_the_delivery_waits_for_the_retry(
    no_models, tenant, monkeypatch
):
    import django_q.tasks

    from generation.models import WebhookDelivery, WebhookEndpoint
    from generation.webhooks import delivery as webhooks

    WebhookEndpoint.objects.create(
        tenant=tenant, url="https://hooks.example.com/x", events=["job.canceled"], secret="s"
    )
    client = api_client_for(tenant)
    job_id = client.post(
        "/api/v1/jobs/", {"description": "a robot", "n": 1, "seed": 5}, format="json"
    ).json()["id"]

    def broker_down(*args, **kwargs):
        raise redis.ConnectionError("Connection refused.")

    monkeypatch.setattr(django_q.tasks, "async_task", broker_down)
    response = client.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 200, response.content  # was a 500 after the commit
    delivery = WebhookDelivery.objects.get(event_type="job.canceled")
    assert delivery.status == WebhookDelivery.Status.PENDING

    nudges = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *a, **k: nudges.append(a))
    assert webhooks.retry_due() == 1 and nudges[0][1] == str(delivery.pk)
