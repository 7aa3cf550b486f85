import threading

import pytest
from django.db import connection

from generation.models import GenerationJob
from tenants.models import CreditReservation
from tests.factories import api_client_for, make_api_key, make_tenant

BODY = {"description": "a friendly robot", "n": 2}


@pytest.mark.django_db
def test_same_key_same_body_returns_the_first_job(no_models, tenant):
    client = api_client_for(tenant)
    first = client.post("/api/v1/jobs/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/jobs/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert GenerationJob.objects.filter(tenant=tenant).count() == 1


@pytest.mark.django_db
def test_same_key_other_body_is_a_conflict(no_models, tenant):
    client = api_client_for(tenant)
    client.post("/api/v1/jobs/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = client.post(
        "/api/v1/jobs/", {**BODY, "n": 3}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert other.json()["error"]["field"] == "Idempotency-Key"


@pytest.mark.django_db
def test_keys_are_per_tenant(no_models, tenant, other_tenant):
    a = api_client_for(tenant).post("/api/v1/jobs/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    b = api_client_for(other_tenant).post(
        "/api/v1/jobs/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_job(no_models):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL; CI runs this on PostgreSQL")
    from rest_framework.test import APIClient

    tenant = make_tenant(credits_amount=1000)
    _, plaintext = make_api_key(tenant)
    barrier = threading.Barrier(8)
    results = []

    def submit():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        try:
            barrier.wait()
            r = client.post("/api/v1/jobs/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="race")
            results.append((r.status_code, r.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert sorted(code for code, _ in results) == [200] * 7 + [201]
    assert len({job_id for _, job_id in results}) == 1
    assert GenerationJob.objects.filter(tenant=tenant).count() == 1
    assert CreditReservation.objects.filter(tenant=tenant).count() == 1
