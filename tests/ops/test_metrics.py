"""/metrics: Prometheus exposition with the expected families, computed from real jobs, and
guarded by a bearer token and/or an IP allowlist."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from generation.worker import runner
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests"
EXPECTED = {
    "avatarsaas_http_request_duration_seconds": "histogram",
    "avatarsaas_jobs": "gauge",
    "avatarsaas_job_duration_seconds": "histogram",
    "avatarsaas_job_queue_wait_seconds": "histogram",
    "avatarsaas_job_engine_seconds": "histogram",
    "avatarsaas_queue_depth": "gauge",
    "avatarsaas_oldest_queued_job_age_seconds": "gauge",
    "avatarsaas_webhook_delivery_failures": "gauge",
}


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return settings


def _scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    families = text_string_to_metric_families(response.content.decode())
    return {family.name: family for family in families}


def _samples(family, name, **labels):
    return [
        s.value
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]


def test_exposition_has_the_expected_families_with_real_values(
    client, metrics_on, no_models, tenant
):
    api = api_client_for(tenant)
    for seed in (1, 2, 3):
        body = {"description": "a robot", "n": 1, "seed": seed}
        assert api.post("/api/v1/jobs/", body, format="json").status_code == 201
    runner.process_one("test-worker")  # one succeeds; two stay queued
    client.get("/healthz")

    families = _scrape(client)
    for name, kind in EXPECTED.items():
        assert name in families, f"missing {name}"
        assert families[name].type == kind, (name, families[name].type)

    jobs = families["avatarsaas_jobs"]
    assert _samples(jobs, "avatarsaas_jobs", status="queued") == [2]
    assert _samples(jobs, "avatarsaas_jobs", status="succeeded") == [1]
    duration = families["avatarsaas_job_duration_seconds"]
    assert _samples(duration, "avatarsaas_job_duration_seconds_count") == [1]
    assert _samples(duration, "avatarsaas_job_duration_seconds_bucket", le="+Inf") == [1]
    engine = families["avatarsaas_job_engine_seconds"]
    assert _samples(engine, "avatarsaas_job_engine_seconds_sum")[0] > 0
    assert families["avatarsaas_oldest_queued_job_age_seconds"].samples[0].value >= 0
    latency = families["avatarsaas_http_request_duration_seconds"]
    assert (
        _samples(
            latency, "avatarsaas_http_request_duration_seconds_count", route="healthz", status="200"
        )[0]
        >= 1
    )
    # The registry is process-wide: at least this test's three submits (route = URL name).
    posts = _samples(
        latency,
        "avatarsaas_http_request_duration_seconds_count",
        route="api_jobs",
        method="POST",
        status="201",
    )
    assert posts and posts[0] >= 3


def test_metrics_is_absent_without_configuration(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Token {TOKEN}", "Bearer "])
def test_metrics_refuses_a_missing_or_wrong_token(client, metrics_on, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    assert client.get("/metrics", **extra).status_code == 403


def test_ip_allowlist_admits_listed_networks_only(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.1").status_code == 403


def test_finetunes_are_reported_when_the_styles_app_has_them(client, metrics_on):
    from django.apps import apps

    families = _scrape(client)
    try:
        apps.get_model("styles", "FineTune")
    except LookupError:
        assert "avatarsaas_finetunes" not in families
    else:
        family = families["avatarsaas_finetunes"]
        assert family.type == "gauge"
        assert family.samples and all(s.value == 0 for s in family.samples)  # every state, 0


def test_a_job_that_waited_longer_than_the_job_timeout_still_counts_when_it_finishes(
    client, metrics_on, tenant
):
    """The finished window is read on finished_at alone: a job queued hours ago (a backlog,
    retries) that finished a minute ago is in it; one that finished before the window is not."""
    from datetime import timedelta

    from django.utils import timezone

    from generation.models import GenerationJob

    now = timezone.now()
    base = {"tenant": tenant, "description": "a robot", "prompt": "a robot", "engine": "vector"}
    GenerationJob.objects.create(
        **base,
        status="succeeded",
        started_at=now - timedelta(minutes=2),
        finished_at=now - timedelta(minutes=1),
        engine_seconds=5.0,
    )
    GenerationJob.objects.create(
        **base,
        status="failed",
        started_at=now - timedelta(hours=2),
        finished_at=now - timedelta(hours=1),
    )
    GenerationJob.objects.update(queued_at=now - timedelta(hours=3))  # auto_now_add on create
    jobs = _scrape(client)["avatarsaas_jobs"]
    assert _samples(jobs, "avatarsaas_jobs", status="succeeded") == [1]
    assert _samples(jobs, "avatarsaas_jobs", status="failed") == [0]
