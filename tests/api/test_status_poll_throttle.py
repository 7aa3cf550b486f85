"""Issue 20: polling a job's status has its own, larger bucket; submits keep theirs."""

from unittest import mock

import pytest

from avatarsaas import throttling
from tenants.models import Plan
from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db
JOBS = "/api/v1/jobs/"
WINDOW_START = 60 * 30_000_000  # a minute boundary: the whole test stays in one fixed window


def test_polling_one_job_at_1_hz_for_30_s_is_not_throttled_and_submits_still_are(api_tenant):
    Plan.objects.filter(pk=api_tenant.plan_id).update(requests_per_minute=30)  # the free plan
    client = key_client(api_tenant)
    clock = mock.patch.object(throttling, "_now")
    with clock as now:
        now.return_value = WINDOW_START
        job = client.post(JOBS, {"description": "a robot", "n": 1, "seed": 1}, format="json")
        assert job.status_code == 201
        polls = []
        for second in range(30):
            now.return_value = WINDOW_START + second
            response = client.get(f"{JOBS}{job.json()['id']}/")
            polls.append(response.status_code)
        assert polls == [200] * 30
        assert response["X-RateLimit-Limit"] == str(30 * throttling.status_read_multiplier())
        # Submits are still counted against the plan's 30/minute: 1 spent, 29 left, then 429.
        now.return_value = WINDOW_START + 31
        submits = [client.post(JOBS, {}, format="json").status_code for _ in range(30)]
        assert submits == [400] * 29 + [429]


def test_a_runaway_poller_is_still_stopped(api_tenant):
    Plan.objects.filter(pk=api_tenant.plan_id).update(requests_per_minute=2)
    client = key_client(api_tenant)
    with mock.patch.object(throttling, "_now", return_value=WINDOW_START + 60):
        job = client.post(JOBS, {"description": "a robot", "n": 1, "seed": 1}, format="json")
        url = f"{JOBS}{job.json()['id']}/"
        statuses = [client.get(url).status_code for _ in range(2 * 4 + 1)]
    assert statuses == [200] * 8 + [429]
