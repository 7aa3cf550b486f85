"""Few-step ("fast") jobs, the sampler offer, and SDXL end to end through a real worker."""

from __future__ import annotations

import pytest

from generation.engines import few_step
from generation.engines import registry as engine_registry
from generation.jobs import pricing
from generation.models import GenerationJob, JobStatus
from generation.worker import runner
from tests.factories import api_client_for

pytestmark = pytest.mark.ml

BODY = {"description": "a robot barista", "engine": "diffusers", "n": 2, "size": 64, "steps": 10}


@pytest.fixture
def fast_models(use_tiny_models, settings, tiny_loras):
    # The second tiny LoRA stands in for an LCM-LoRA (the mechanism, not LCM's quality).
    settings.AVATARSAAS_FAST_MODE = "lcm_lora"
    settings.AVATARSAAS_FAST_LORA = str(tiny_loras[1])
    engine_registry.reset()
    yield
    engine_registry.reset()


@pytest.mark.django_db
def test_fast_and_lcm_are_refused_where_no_few_step_model_runs(use_tiny_models, tenant):
    client = api_client_for(tenant)
    response = client.post("/api/v1/jobs/", {**BODY, "speed": "fast"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "speed"
    assert "AVATARSAAS_FAST_MODE" in response.json()["error"]["message"]

    response = client.post("/api/v1/jobs/", {**BODY, "scheduler": "lcm"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "scheduler"

    response = client.post("/api/v1/jobs/", {**BODY, "speed": "ludicrous"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "speed"
    assert not GenerationJob.objects.exists()


@pytest.mark.django_db
def test_fast_job_renders_few_steps_with_both_adapters_and_costs_less(fast_models, tenant):
    client = api_client_for(tenant)
    standard = client.post("/api/v1/jobs/", {**BODY, "seed": 5}, format="json").json()
    fast = client.post("/api/v1/jobs/", {**BODY, "seed": 5, "speed": "fast"}, format="json")
    assert fast.status_code == 201, fast.json()
    job = fast.json()
    plan = few_step.plan_for("lcm_lora")
    assert job["speed"] == "fast" and job["steps"] == plan.steps
    assert job["guidance_scale"] == plan.guidance_scale
    assert job["cost_credits"] == pricing.quote_cost(
        engine="diffusers", n=2, size=64, steps=plan.steps, fast=True
    )
    assert job["cost_credits"] < standard["cost_credits"]

    runner.process_one("t")
    runner.process_one("t")
    done = GenerationJob.objects.get(pk=job["id"])
    assert done.status == JobStatus.SUCCEEDED, done.failure_message
    meta = done.images.first().metadata
    assert meta["fast"] is True and meta["scheduler"] == "lcm" and meta["steps"] == 4
    assert {"name": few_step.FAST_ADAPTER, "weight": 1.0} in meta["active_adapters"]
    # Same seed and prompt at standard speed is a different cache entry and picture.
    other = GenerationJob.objects.get(pk=standard["id"])
    assert other.cache_key != done.cache_key
    # The LCM sampler alone is still not offered: this model is not LCM-distilled.
    response = client.post("/api/v1/jobs/", {**BODY, "scheduler": "lcm"}, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_lcm_sampler_is_offered_on_an_lcm_distilled_model(use_tiny_models, settings, tenant):
    settings.AVATARSAAS_FAST_MODE = "lcm"
    client = api_client_for(tenant)
    response = client.post("/api/v1/jobs/", {**BODY, "scheduler": "lcm"}, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
def test_fast_is_refused_on_the_vector_engine(fast_models, tenant):
    client = api_client_for(tenant)
    response = client.post(
        "/api/v1/jobs/", {**BODY, "engine": "vector", "speed": "fast"}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["field"] == "speed"


@pytest.mark.django_db
def test_sdxl_job_end_to_end_through_a_real_worker(use_tiny_models, settings, tiny_sdxl, tenant):
    settings.AVATARSAAS_SD_MODEL = str(tiny_sdxl[0])
    settings.AVATARSAAS_CONTROLNET_MODELS = {}
    engine_registry.reset()
    client = api_client_for(tenant)
    job = client.post("/api/v1/jobs/", {**BODY, "seed": 9}, format="json").json()

    assert runner.process_one("t") is not None
    done = GenerationJob.objects.get(pk=job["id"])
    assert done.status == JobStatus.SUCCEEDED, done.failure_message
    images = list(done.images.order_by("index"))
    assert len(images) == 2
    meta = images[0].metadata
    assert meta["pipeline"] == "StableDiffusionXLPipeline" and meta["dtype"] == "float32"
    assert meta["module_dtypes"]["text_encoder_2"] == "float32"
    engine = engine_registry.get_engine("diffusers")
    assert engine.warm  # warmed before the first claim
