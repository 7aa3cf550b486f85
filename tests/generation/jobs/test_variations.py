"""Image-to-image variations: from the parent's latents on the tiny SD / SDXL models, by
perturbing the plan on the vector engine; lineage, pricing and bit-identical re-render."""

from __future__ import annotations

import numpy as np
import pytest

from core import storage
from generation.engines.base import AdapterRef, EngineError
from generation.engines.diffusers_engine import DiffusersEngine
from generation.engines.diffusers_requests import request_from_metadata
from generation.engines.vector import VectorEngine
from generation.engines.vector.variations import vary_plan
from generation.jobs import pricing
from generation.models import GenerationJob
from generation.worker import runner
from tests.factories import api_client_for

pytestmark = pytest.mark.ml


def mad(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).mean())


@pytest.fixture(scope="module")
def parent(sd_engine):
    from tests.generation.conftest import _render_request

    (candidate,) = sd_engine.generate(_render_request(seeds=(7,), steps=10))
    return candidate


def vary(make_request, parent, strength, **extra):
    return make_request(
        seeds=(parent.seed,),
        steps=10,
        init_image=parent.image,
        init_latents=parent.latents,
        strength=strength,
        **extra,
    )


def test_strength_near_zero_stays_close_and_strengths_differ(
    sd_engine, make_request, parent, pixels
):
    assert parent.latents is not None and parent.latents.shape == (1, 4, 32, 32)
    out = {s: sd_engine.generate(vary(make_request, parent, s))[0] for s in (0.1, 0.3, 0.6)}
    distance = {s: mad(c.image, parent.image) for s, c in out.items()}
    other_seed = mad(sd_engine.generate(make_request(seeds=(8,), steps=10))[0].image, parent.image)
    assert distance[0.1] < 1.0  # a fraction of one grey level on average
    assert distance[0.1] < distance[0.3] < distance[0.6] < other_seed
    assert not np.array_equal(pixels([out[0.3]])[0], pixels([out[0.6]])[0])
    meta = out[0.3].metadata
    assert meta["mode"] == "img2img" and meta["strength"] == 0.3
    assert meta["init_from"] == "latents"


def test_variation_replays_bit_identically_and_reports_its_steps(
    sd_engine, make_request, parent, pixels
):
    steps = []
    first = sd_engine.generate(
        vary(make_request, parent, 0.6), progress=lambda s, t: steps.append((s, t))
    )
    assert steps[-1] == (6, 6)  # 0.6 of 10 steps
    replay = sd_engine.generate(
        request_from_metadata(
            first[0].metadata, init_image=parent.image, init_latents=parent.latents
        )
    )
    assert np.array_equal(pixels(replay)[0], pixels(first)[0])


def test_variation_from_pixels_when_no_latents_were_kept(sd_engine, make_request, parent):
    (out,) = sd_engine.generate(
        make_request(seeds=(7,), steps=10, init_image=parent.image, strength=0.5)
    )
    assert out.metadata["init_from"] == "pixels" and out.image.size == (64, 64)


def test_variation_keeps_the_brand_adapter_and_controls(
    tiny_models, tiny_loras, make_request, parent, control
):
    engine = DiffusersEngine(
        tiny_models.sd_model_dir, device="cpu", controlnet_dirs=tiny_models.controlnet_dirs
    )
    lora = AdapterRef("brand-v1", str(tiny_loras[0]), 1.0)
    (out,) = engine.generate(vary(make_request, parent, 0.5, adapter=lora, controls=(control(),)))
    assert out.metadata["adapter"]["version_id"] == "brand-v1"
    assert out.metadata["controls"][0]["type"] == "canny"
    assert engine.pipelines.cached == ["img2img+canny"]
    derived = engine.pipelines.pipeline("img2img", ("canny",))
    assert type(derived).__name__ == "StableDiffusionControlNetImg2ImgPipeline"


def test_strength_below_one_step_is_refused(sd_engine, make_request, parent):
    with pytest.raises(EngineError, match="less than one step"):
        sd_engine.generate(vary(make_request, parent, 0.05))


def test_sdxl_variation_from_latents(tiny_sdxl, make_request):
    engine = DiffusersEngine(tiny_sdxl[0], device="cpu")
    (parent,) = engine.generate(make_request(scheduler="euler_a", steps=4))
    (out,) = engine.generate(
        make_request(
            scheduler="euler_a",
            steps=4,
            init_image=parent.image,
            init_latents=parent.latents,
            strength=0.25,
        )
    )
    assert type(engine.pipelines.pipeline("img2img")).__name__ == (
        "StableDiffusionXLImg2ImgPipeline"
    )
    assert mad(out.image, parent.image) < mad(
        engine.generate(make_request(scheduler="euler_a", steps=4, seeds=(99,)))[0].image,
        parent.image,
    )


def test_vector_variations_perturb_around_the_parent():
    from generation.engines.base import RenderRequest

    engine = VectorEngine()
    attributes = {"subject": "robot", "colors": ["blue"]}
    base = RenderRequest(prompt="", attributes=attributes, seeds=(11,), width=128, height=128)
    (parent,) = engine.generate(base)
    parent_image = parent.image

    def varied(strength):
        request = RenderRequest(
            prompt="",
            attributes=attributes,
            seeds=(11,),
            width=128,
            height=128,
            init_image=parent_image,
            strength=strength,
        )
        return engine.generate(request)[0]

    subtle, strong = varied(0.3), varied(0.9)
    assert subtle.metadata["mode"] == "img2img" and subtle.metadata["strength"] == 0.3
    assert np.array_equal(np.asarray(varied(0.3).image), np.asarray(subtle.image))
    assert not np.array_equal(np.asarray(subtle.image), np.asarray(strong.image))
    assert mad(varied(0.05).image, parent_image) < mad(strong.image, parent_image)
    # What the user asked for stays: the subject and the requested colour.
    for strength in (0.3, 0.6, 1.0):
        plan = vary_plan(attributes, (), 11, strength)
        assert plan.subject == "robot" and plan.main == (vary_plan(attributes, (), 11, 0.0).main)


@pytest.mark.django_db
def test_vary_over_the_api_links_prices_and_rerenders(use_tiny_models, tenant):
    client = api_client_for(tenant)
    body = {"description": "a robot", "engine": "diffusers", "n": 2, "size": 64, "steps": 10}
    job = client.post("/api/v1/jobs/", {**body, "seed": 3}, format="json").json()
    runner.process_one("t")
    parent = GenerationJob.objects.get(pk=job["id"]).images.get(index=1)
    assert parent.latents.name.startswith(f"tenants/{tenant.pk}/latents/")

    response = client.post(f"/api/v1/images/{parent.pk}/vary/", {"strength": 0.6}, format="json")
    assert response.status_code == 201, response.json()
    vary_job = response.json()
    assert vary_job["mode"] == "vary" and vary_job["parent_image"] == str(parent.pk)
    assert vary_job["strength"] == 0.6 and vary_job["seeds"] == [parent.seed]
    assert vary_job["cost_credits"] == pricing.quote_cost(
        engine="diffusers", n=1, size=64, steps=10, strength=0.6
    )
    runner.process_one("t")
    child = GenerationJob.objects.get(pk=vary_job["id"]).images.get()
    assert child.metadata["init_from"] == "latents" and child.metadata["strength"] == 0.6
    assert child.metadata["init_hash"]

    rerender = client.post(f"/api/v1/images/{child.pk}/rerender/").json()
    assert rerender["mode"] == "vary" and rerender["parent_image"] == str(parent.pk)
    runner.process_one("t")
    again = GenerationJob.objects.get(pk=rerender["id"]).images.get()
    assert storage.read_bytes(again.original.name) == storage.read_bytes(child.original.name)

    for bad in ({"strength": 0}, {"strength": 1.5}, {"strength": 0.05}):
        response = client.post(f"/api/v1/images/{parent.pk}/vary/", bad, format="json")
        assert response.status_code == 400, bad
        assert response.json()["error"]["field"] == "strength"


@pytest.mark.django_db
def test_vary_buttons_on_the_job_page_for_the_vector_engine(no_models, tenant, owner_client):
    client = api_client_for(tenant)
    job = client.post(
        "/api/v1/jobs/", {"description": "a blue robot", "n": 1, "size": 128}, format="json"
    ).json()
    runner.process_one("t")
    page = owner_client.get(f"/jobs/{job['id']}/")
    assert b"Vary (subtle)" in page.content and b"Vary (strong)" in page.content
    image = GenerationJob.objects.get(pk=job["id"]).images.get()
    response = owner_client.post(f"/images/{image.pk}/vary/", {"variation": "strong"})
    assert response.status_code == 302
    child_job = GenerationJob.objects.get(mode="vary")
    assert child_job.strength == 0.6 and child_job.parent_image_id == image.pk
    runner.process_one("t")
    child_job.refresh_from_db()
    assert child_job.status == "succeeded"
    page = owner_client.get(f"/jobs/{child_job.pk}/")
    assert b"Variation (strength 0.6)" in page.content
    detail = owner_client.get(f"/gallery/{child_job.images.get().pk}/")
    assert b"Variation of" in detail.content
