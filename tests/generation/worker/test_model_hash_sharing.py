"""Web processes that cannot read the diffusion weights (k8s web pods do not mount them) still
take submissions; GPU workers publish the model hash and key the result cache by it."""

import shutil

import pytest

from generation.engines.loading import model_hash
from generation.jobs.cache import cache_key_for
from generation.models import GenerationJob
from generation.worker import model_hashes, runner
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db
BODY = {"description": "a friendly blue robot", "engine": "diffusers", "n": 1, "seed": 5}


@pytest.fixture
def model_dir(use_tiny_models, settings, tmp_path):
    """A private copy of the tiny model that a test can hide from "the web process"."""
    path = tmp_path / "sd"
    shutil.copytree(use_tiny_models.sd_model_dir, path)
    settings.AVATARSAAS_SD_MODEL = str(path)
    return path


def _submit(client):
    body = {**BODY, "size": 64, "steps": 2}
    response = client.post("/api/v1/jobs/", body, format="json")
    assert response.status_code == 201, response.content
    return GenerationJob.objects.get(pk=response.json()["id"])


def test_unreadable_weights_do_not_fail_a_submission(model_dir, tenant):
    hidden = model_dir.rename(model_dir.with_name("hidden"))
    try:
        job = _submit(api_client_for(tenant))
    finally:
        hidden.rename(model_dir)
    assert job.status == "queued"
    assert job.model_hash == "" and job.cache_key == ""  # unknown: no cache lookup, no 500


def test_worker_publishes_the_hash_and_a_weightless_web_process_then_hits_the_cache(
    model_dir, tenant
):
    client = api_client_for(tenant)
    hidden = model_dir.rename(model_dir.with_name("hidden"))
    first = _submit(client)  # as a web pod: no weights, nothing published yet
    hidden.rename(model_dir)

    runner.process_one("gpu-worker")  # as a GPU worker: the weights are here
    first.refresh_from_db()
    real = model_hash(model_dir)
    assert first.status == "succeeded"
    assert first.model_hash == real and first.cache_key == cache_key_for(first, ())
    assert first.images.first().metadata["model_hash"] == real

    hidden = model_dir.rename(model_dir.with_name("hidden"))
    try:
        again = _submit(client)  # the web pod reads the published hash
    finally:
        hidden.rename(model_dir)
    assert again.model_hash == real
    assert again.cache_hit is True and again.status == "succeeded" and again.cost_credits == 0


def test_published_hash_is_not_trusted_once_the_files_change(model_dir, tenant):
    path = str(model_dir)
    model_hashes.publish(path, "0" * 64, signature="stale")
    assert model_hashes.for_submit(path) == model_hash(model_dir)
    # Replaced in place: a new signature, so a new hash, published for everyone.
    (model_dir / "unet" / "config.json").write_text('{"_class_name": "UNet2DConditionModel"}\n')
    fresh = model_hashes.for_submit(path)
    assert fresh == model_hash(model_dir) and fresh != "0" * 64
    model_hashes.publish(path, "", signature="")
    shutil.rmtree(model_dir)
    assert model_hashes.for_submit(path) == ""  # nothing known, nothing readable
