"""The staff "Engine & models" page: what is configured, demo mode, queue and per-engine
throughput, adapters trained on another base model; staff-only and behind the admin allowlist."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from generation.admin import engine_status
from generation.models import GenerationJob
from generation.worker import model_hashes
from tests.cross_tenant.routes_generation import _job
from tests.cross_tenant.routes_styles import _adapter
from tests.factories import make_user, owner_of

pytestmark = pytest.mark.django_db
URL = "/admin/engine/"


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(make_user("ops@avatarsaas.local", is_staff=True, is_superuser=True))
    return client


def _finished(tenant, *, engine="vector", status="succeeded", seconds=None, ago_h=1.0, **extra):
    job = _job(tenant, status=status)
    at = timezone.now() - timedelta(hours=ago_h)
    GenerationJob.objects.filter(pk=job.pk).update(
        engine=engine,
        queued_at=at - timedelta(seconds=5),
        started_at=at - timedelta(seconds=4),
        finished_at=at,
        engine_seconds=seconds,
        **extra,
    )
    return job


def test_only_staff_reach_the_page(client, tenant):
    assert client.get(URL).status_code == 302  # to the admin login
    client.force_login(owner_of(tenant))
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_allowlist_hides_the_page(staff_client, settings):
    settings.ADMIN_IP_ALLOWLIST = ["10.0.0.0/8"]
    assert staff_client.get(URL, REMOTE_ADDR="192.0.2.7").status_code == 404
    assert staff_client.get(URL, REMOTE_ADDR="10.1.2.3").status_code == 200


def test_admin_index_links_to_it(staff_client):
    assert URL in staff_client.get("/admin/").content.decode()


def test_embedded_defaults_say_vector_engine_and_demo_mode(staff_client, no_models, settings):
    settings.AVATARSAAS_WEIGHTS_ARE_REAL = False
    page = staff_client.get(URL).content.decode()
    assert 'id="demo-mode"' in page
    assert "not configured: vector engine only" in page
    assert "not configured: candidates are not scored" in page
    assert "No job finished in the last 24 hours." in page


def test_real_weights_flag_drops_the_demo_warning(staff_client, use_tiny_models, settings):
    settings.AVATARSAAS_WEIGHTS_ARE_REAL = True
    page = staff_client.get(URL).content.decode()
    assert 'id="real-weights"' in page and 'id="demo-mode"' not in page


def test_tiny_models_are_found_on_disk_with_the_published_hash(staff_client, use_tiny_models):
    snap = engine_status.snapshot()
    assert snap.diffusion.on_this_host and snap.diffusion.file_count > 3
    assert snap.diffusion.size_bytes > 100_000 and snap.clip.on_this_host
    assert not snap.published_model_hash
    assert any("No GPU worker has published" in note for note in snap.notes)

    model_hashes.publish(str(use_tiny_models.sd_model_dir), "ab" * 32)
    page = staff_client.get(URL).content.decode()
    assert "abababababababab" in page and "No GPU worker has published" not in page


def test_model_not_mounted_here_is_explained_not_an_error(staff_client, settings, tmp_path):
    settings.AVATARSAAS_SD_MODEL = str(tmp_path / "on-the-gpu-nodes-only")
    page = staff_client.get(URL).content.decode()
    assert "not mounted here" in page and "normal for web pods" in page


def test_per_engine_window_counts_and_percentiles(tenant, no_models):
    for seconds in (1.0, 2.0, 3.0, 4.0):
        _finished(tenant, engine="diffusers", seconds=seconds)
    _finished(tenant, engine="diffusers", seconds=0.0, cache_hit=True)
    _finished(tenant, engine="diffusers", status="failed", failure_code="worker_lost")
    _finished(tenant, engine="vector", seconds=0.1)
    _finished(tenant, engine="vector", seconds=99.0, ago_h=25)  # outside the window
    _job(tenant, status="queued")

    snap = engine_status.snapshot()
    by_engine = {row.engine: row for row in snap.engines}
    diffusers = by_engine["diffusers"]
    assert (diffusers.succeeded, diffusers.failed, diffusers.cache_hits) == (5, 1, 1)
    assert diffusers.engine_p50_s == pytest.approx(2.5)  # the cache hit's 0 s is not timed
    assert 3.8 < diffusers.engine_p95_s <= 4.0
    assert by_engine["vector"].succeeded == 1 and by_engine["vector"].engine_p95_s == 0.1
    assert snap.failure_codes == [("worker_lost", 1)]
    assert snap.queued == 1 and snap.oldest_queued_age_s is not None


def test_running_jobs_list_the_workers_holding_leases(tenant, no_models):
    job = _job(tenant, status="running")
    GenerationJob.objects.filter(pk=job.pk).update(
        lease_owner="gpu-0:4242", lease_expires_at=timezone.now() + timedelta(seconds=60)
    )
    stale = _job(tenant, status="running")
    GenerationJob.objects.filter(pk=stale.pk).update(
        lease_owner="gpu-9:1", lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    snap = engine_status.snapshot()
    assert snap.running == 2 and snap.workers_with_leases == ["gpu-0:4242"]


def test_adapters_trained_on_another_base_model_are_flagged(
    staff_client, tenant, other_tenant, use_tiny_models
):
    model_hashes.publish(str(use_tiny_models.sd_model_dir), "c" * 64)
    current, old, unknown = _adapter(tenant), _adapter(other_tenant), _adapter(tenant)
    type(current).objects.filter(pk=current.pk).update(base_model_hash="c" * 64)
    type(old).objects.filter(pk=old.pk).update(base_model_hash="d" * 64)
    assert unknown.base_model_hash == ""

    snap = engine_status.snapshot()
    assert (snap.adapters_ready, snap.adapters_on_other_base) == (3, 1)
    page = staff_client.get(URL).content.decode()
    assert "1 trained on another base model" in page and "retrain them" in page


def test_a_broker_outage_is_shown_not_raised(staff_client, no_models, monkeypatch):
    import django_q.brokers

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(django_q.brokers, "get_broker", broken)
    response = staff_client.get(URL)
    assert response.status_code == 200 and "broker unreachable" in response.content.decode()
