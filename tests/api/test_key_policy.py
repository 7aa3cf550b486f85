"""Key restrictions (brand lock, parameter ranges, engines) and monthly quotas, at submit."""

from datetime import timedelta

import pytest

from generation.models import GenerationJob
from styles.models import StylePreset
from tenants.key_policy import month_start, next_month_start
from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db
JOBS = "/api/v1/jobs/"


def _preset(tenant, slug):
    return StylePreset.objects.create(tenant=tenant, slug=slug, name=slug.title(), engine="vector")


def _submit(client, **body):
    return client.post(JOBS, {"description": "a friendly blue robot", **body}, format="json")


def _assert_restricted(response, field):
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "key_restricted"
    assert error["field"] == field
    assert error["request_id"] == response["X-Request-ID"]


def test_brand_lock_allows_only_listed_presets(api_tenant):
    brand, other = _preset(api_tenant, "brand"), _preset(api_tenant, "other")
    client = key_client(api_tenant, allowed_presets=[str(brand.pk)])

    assert _submit(client, preset=str(brand.pk), engine="vector").status_code == 201
    _assert_restricted(_submit(client, preset=str(other.pk), engine="vector"), "preset")
    response = _submit(client, engine="vector")  # no preset = the default style: not allowed
    _assert_restricted(response, "preset")
    assert str(brand.pk) in response.json()["error"]["message"]


def test_max_n_and_max_size(api_tenant):
    client = key_client(api_tenant, max_n=2, max_size=256)
    assert _submit(client, engine="vector", n=2, size=256).status_code == 201
    _assert_restricted(_submit(client, engine="vector", n=3, size=256), "n")
    _assert_restricted(_submit(client, engine="vector", n=1, size=512), "size")
    # The default size (512) counts too, not only an explicit one.
    _assert_restricted(_submit(client, engine="vector", n=1), "size")


def test_allowed_engines_apply_to_the_resolved_engine(api_tenant, settings):
    client = key_client(api_tenant, allowed_engines=["diffusers"])
    response = _submit(client, engine="vector")
    _assert_restricted(response, "engine")
    assert "diffusers" in response.json()["error"]["message"]
    vector_only = key_client(api_tenant, allowed_engines=["vector"])
    assert _submit(vector_only).status_code == 201  # "auto" resolves to vector without a model


def test_restrictions_also_answer_the_parse_preview(api_tenant):
    client = key_client(api_tenant, max_n=1)
    response = client.post("/api/v1/parse/", {"description": "a robot", "n": 4}, format="json")
    _assert_restricted(response, "n")


def test_rerender_obeys_the_key(api_tenant):
    from tests.cross_tenant.routes_generation import _image

    image = _image(api_tenant)
    client = key_client(api_tenant, allowed_engines=["diffusers"])
    response = client.post(f"/api/v1/images/{image.pk}/rerender/")
    _assert_restricted(response, "engine")


def test_unrestricted_keys_and_sessions_are_untouched(api_tenant, client):
    assert _submit(key_client(api_tenant), engine="vector", n=8, size=1024).status_code == 201


def test_monthly_quota_answers_429_quota_exceeded(api_tenant):
    client = key_client(api_tenant, monthly_quota=2)
    for i in range(2):
        assert _submit(client, engine="vector", seed=i).status_code == 201
    response = _submit(client, engine="vector", seed=3)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert error["quota"] == 2 and error["used"] == 2
    assert int(response["Retry-After"]) == error["retry_after"] > 0
    assert error["resets_at"].endswith("Z")
    # Another key of the same workspace has its own quota.
    assert _submit(key_client(api_tenant), engine="vector", seed=4).status_code == 201


def test_idempotent_replays_and_failed_jobs_do_not_spend_quota(api_tenant):
    client = key_client(api_tenant, monthly_quota=1)
    first = client.post(
        JOBS,
        {"description": "a robot", "engine": "vector"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="once",
    )
    replay = client.post(
        JOBS,
        {"description": "a robot", "engine": "vector"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="once",
    )
    assert (first.status_code, replay.status_code) == (201, 200)
    GenerationJob.objects.filter(pk=first.json()["id"]).update(status="failed")
    assert _submit(client, engine="vector", seed=9).status_code == 201


def test_last_months_jobs_do_not_count(api_tenant):
    client = key_client(api_tenant, monthly_quota=1)
    job_id = _submit(client, engine="vector").json()["id"]
    last_month = month_start() - timedelta(days=3)
    GenerationJob.objects.filter(pk=job_id).update(created_at=last_month)
    assert _submit(client, engine="vector", seed=5).status_code == 201


def test_month_boundaries():
    from datetime import UTC, datetime

    december = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert month_start(december) == datetime(2026, 12, 1, tzinfo=UTC)
    assert next_month_start(december) == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submits_cannot_overshoot_the_quota():
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    from tests.factories import make_api_key, make_tenant

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this on PostgreSQL")
    tenant = make_tenant("Quota Racers", credits_amount=1000)
    key, plaintext = make_api_key(tenant, ["jobs:read", "jobs:write"])
    key.monthly_quota = 3
    key.save(update_fields=["monthly_quota"])
    racers = 6
    barrier = threading.Barrier(racers)
    statuses: list[int] = []

    def submit(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        try:
            barrier.wait(timeout=30)
            statuses.append(_submit(client, engine="vector", seed=100 + i).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(statuses) == [201, 201, 201, 429, 429, 429]
    assert GenerationJob.objects.filter(requested_by_key=key).count() == 3
