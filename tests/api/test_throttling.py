"""Rate limits per key and per workspace: headers on every response, 429 + Retry-After."""

import time

import pytest
import redis
from django.core.cache import cache

from avatarsaas import throttling
from tenants.models import Plan
from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db
ME, JOBS = "/api/v1/me/", "/api/v1/jobs/"


def _set_plan_rpm(tenant, rpm):
    Plan.objects.filter(pk=tenant.plan_id).update(requests_per_minute=rpm)


def test_every_response_carries_rate_limit_headers(api_tenant):
    _set_plan_rpm(api_tenant, 5)
    client = key_client(api_tenant)
    for expected_remaining in (4, 3):
        response = client.get(JOBS)
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "5"
        assert response["X-RateLimit-Remaining"] == str(expected_remaining)
        assert int(response["X-RateLimit-Reset"]) > time.time()
    # Errors from a throttled endpoint carry them too.
    response = client.get("/api/v1/jobs/?status=nope")
    assert response.status_code == 400
    assert response["X-RateLimit-Remaining"] == "2"


def test_key_limit_then_429_with_retry_after(api_tenant):
    _set_plan_rpm(api_tenant, 100)
    client = key_client(api_tenant, requests_per_minute=3)
    statuses = [client.get(ME).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = client.get(ME)
    assert response.status_code == 429
    assert response["X-RateLimit-Limit"] == "3"
    assert response["X-RateLimit-Remaining"] == "0"
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert "API key" in error["message"]
    assert error["retry_after"] == int(response["Retry-After"]) > 0
    assert error["request_id"] == response["X-Request-ID"]
    # Another key of the same workspace is not affected by this key's limit.
    assert key_client(api_tenant).get(ME).status_code == 200


def test_key_override_is_capped_by_the_plan(api_tenant):
    _set_plan_rpm(api_tenant, 2)
    client = key_client(api_tenant, requests_per_minute=50)
    assert client.get(ME)["X-RateLimit-Limit"] == "2"


def test_workspace_limit_is_shared_by_its_keys(api_tenant, other_tenant):
    _set_plan_rpm(api_tenant, 4)  # the same plan row serves both tenants (free)
    a, b = key_client(api_tenant), key_client(api_tenant)
    assert [a.get(ME).status_code, b.get(ME).status_code] * 2 == [200, 200] * 2
    a.get(ME), b.get(ME)  # 5th and 6th requests of the workspace
    response = b.get(ME)
    assert response.status_code == 429
    assert "workspace" in response.json()["error"]["message"]
    # Cache keys carry the tenant id: another workspace on the same plan is unaffected.
    assert key_client(other_tenant).get(ME).status_code == 200


def test_window_resets(api_tenant, settings):
    settings.API_RATE_LIMIT_WINDOW_SECONDS = 60
    state = throttling.hit("key:test", limit=1, now=120.0)
    assert (state.allowed, state.reset) == (True, 180)
    assert not throttling.hit("key:test", limit=1, now=179.0).allowed
    assert throttling.hit("key:test", limit=1, now=180.0).allowed


def test_counter_keys_carry_the_key_and_tenant_ids(api_tenant):
    client = key_client(api_tenant)
    client.get(ME)
    window = int(time.time() // 3600)  # the suite's window (see conftest)
    assert cache.get(f"ratelimit:tenant:{api_tenant.pk}:{window}") == 1
    assert cache.get(f"ratelimit:key:{client.key.pk}:{window}") == 1


def test_unauthenticated_requests_are_not_counted(api_tenant):
    response = key_client(api_tenant).get("/api/schema/")
    assert "X-RateLimit-Limit" not in response


def test_unreachable_counter_cache_fails_open_and_logs(api_tenant, settings, caplog):
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "ratelimit_down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        },
    }
    settings.API_RATE_LIMIT_CACHE = "ratelimit_down"
    with pytest.raises(redis.exceptions.ConnectionError):  # the cache really is down
        caches["ratelimit_down"].add("probe", 1)
    response = key_client(api_tenant).get(ME)
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response
    assert "Rate-limit cache unavailable" in caplog.text
