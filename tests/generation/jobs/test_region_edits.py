"""Region edits (inpainting): only the masked region changes, bit for bit outside the feathered
edge, through the base model's inpainting path, a dedicated inpainting model and the vector
engine; bad masks get a clear 400; edits re-render bit-identically."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from core import storage
from generation.engines.base import RenderRequest
from generation.engines.diffusers_engine import DiffusersEngine
from generation.engines.diffusers_requests import request_from_metadata
from generation.engines.loading import model_hash
from generation.engines.masks import binary_mask, feather, feather_radius
from generation.engines.vector import VectorEngine
from generation.jobs import pricing
from generation.models import GenerationJob
from generation.worker import runner
from tests.factories import api_client_for

pytestmark = pytest.mark.ml


def square_mask(size: int, box=(0.3, 0.55, 0.7, 0.9)) -> Image.Image:
    mask = Image.new("L", (size, size), 0)
    left, top, right, bottom = (round(v * size) for v in box)
    mask.paste(255, (left, top, right, bottom))
    return mask


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def assert_only_the_region_changed(result, parent, mask):
    result, parent = np.asarray(result), np.asarray(parent)
    outside = np.asarray(feather(mask)) == 0
    assert outside.mean() > 0.5  # most of the picture is outside the edit
    assert np.array_equal(result[outside], parent[outside])  # bit for bit
    inside = np.asarray(mask) > 0
    assert not np.array_equal(result[inside], parent[inside])


@pytest.fixture(scope="module")
def parent(sd_engine):
    from tests.generation.conftest import _render_request

    return sd_engine.generate(_render_request(seeds=(9,), steps=4))[0]


def edit(make_request, parent, mask, **extra):
    return make_request(
        prompt="a friendly robot avatar with a red bow tie",
        seeds=(parent.seed,),
        steps=4,
        init_image=parent.image,
        mask_image=mask,
        mask_hash="m" * 64,
        strength=1.0,
        **extra,
    )


def test_base_model_inpainting_changes_only_the_masked_region(
    sd_engine, make_request, parent, pixels
):
    mask = square_mask(64)
    (out,) = sd_engine.generate(edit(make_request, parent, mask))
    assert_only_the_region_changed(out.image, parent.image, mask)
    assert out.metadata["mode"] == "inpaint" and out.metadata["mask_hash"] == "m" * 64
    assert out.latents is None  # a composite is not the decode of any latents
    derived = sd_engine.pipelines.pipeline("inpaint")
    assert type(derived).__name__ == "StableDiffusionInpaintPipeline"
    assert derived.unet is sd_engine.pipelines.base.unet

    replay = sd_engine.generate(
        request_from_metadata(out.metadata, init_image=parent.image, mask_image=mask)
    )
    assert np.array_equal(pixels(replay)[0], pixels([out])[0])


def test_dedicated_inpainting_model_when_configured(tiny_models, make_request, parent):
    engine = DiffusersEngine(
        tiny_models.sd_model_dir, device="cpu", inpaint_model_dir=tiny_models.inpaint_model_dir
    )
    mask = square_mask(64, box=(0.1, 0.1, 0.45, 0.4))
    (out,) = engine.generate(edit(make_request, parent, mask))
    assert_only_the_region_changed(out.image, parent.image, mask)
    assert out.metadata["pipeline"] == "StableDiffusionInpaintPipeline"
    assert out.metadata["model_hash"] == model_hash(tiny_models.inpaint_model_dir)
    assert engine.inpainter.pipelines.base.unet.config.in_channels == 9
    assert engine._pipe is None  # the base model was never needed for the edit


def test_inpainting_with_a_controlnet(sd_engine, make_request, parent, control):
    mask = square_mask(64)
    (out,) = sd_engine.generate(edit(make_request, parent, mask, controls=(control(),)))
    assert_only_the_region_changed(out.image, parent.image, mask)
    assert type(sd_engine.pipelines.pipeline("inpaint", ("canny",))).__name__ == (
        "StableDiffusionControlNetInpaintPipeline"
    )


def test_vector_engine_redraws_the_region_with_the_edited_attributes():
    engine = VectorEngine()
    base = {"subject": "robot", "colors": ["blue"]}
    (parent,) = engine.generate(
        RenderRequest(prompt="", attributes=base, seeds=(4,), width=128, height=128)
    )
    mask = square_mask(128, box=(0.0, 0.0, 1.0, 0.4))
    request = RenderRequest(
        prompt="",
        attributes={**base, "colors": ["red"]},
        seeds=(4,),
        width=128,
        height=128,
        init_image=parent.image,
        mask_image=mask,
        strength=1.0,
    )
    (out,) = engine.generate(request)
    assert_only_the_region_changed(out.image, parent.image, mask)


def test_masks_read_bright_or_opaque_paint_and_feather_a_bounded_edge():
    rgba = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    rgba.paste((255, 0, 0, 255), (10, 10, 20, 20))  # red paint on a transparent layer
    mask = np.asarray(binary_mask(rgba))
    assert mask[15, 15] == 255 and mask[5, 5] == 0 and mask.sum() == 100 * 255
    alpha = np.asarray(feather(binary_mask(rgba)))
    reach = 4 * feather_radius(64)
    assert alpha[15, 15] > 0 and alpha[10 + 10 + reach :, :].max() == 0


def _error(response):
    error = response.json()["error"]
    return response.status_code, error.get("field"), error.get("code")


@pytest.mark.django_db
def test_edit_over_the_api_prices_links_composites_and_rerenders(
    use_tiny_models, tenant, other_tenant
):
    client = api_client_for(tenant)
    job = client.post(
        "/api/v1/jobs/",
        {"description": "a robot", "engine": "diffusers", "n": 1, "size": 64, "steps": 3},
        format="json",
    ).json()
    runner.process_one("t")
    parent = GenerationJob.objects.get(pk=job["id"]).images.get()
    mask = square_mask(64)
    body = {"mask": base64.b64encode(png(mask)).decode(), "prompt": "a red bow tie instead"}
    response = client.post(f"/api/v1/images/{parent.pk}/edit/", body, format="json")
    assert response.status_code == 201, response.json()
    edit_job = response.json()
    assert edit_job["mode"] == "edit" and edit_job["parent_image"] == str(parent.pk)
    assert edit_job["description"].endswith("a red bow tie instead")
    assert edit_job["cost_credits"] == pricing.quote_cost(
        engine="diffusers", n=1, size=64, steps=3, strength=1.0, edit=True
    )
    stored = GenerationJob.objects.get(pk=edit_job["id"])
    assert stored.mask.name.startswith(f"tenants/{tenant.pk}/masks/")
    assert edit_job["mask_hash"] == stored.mask_hash

    runner.process_one("t")
    stored.refresh_from_db()
    assert stored.status == "succeeded", stored.failure_message
    child = stored.images.get()
    assert child.metadata["mask_hash"] == stored.mask_hash and not child.latents
    result = Image.open(io.BytesIO(storage.read_bytes(child.original.name))).convert("RGB")
    before = Image.open(io.BytesIO(storage.read_bytes(parent.original.name))).convert("RGB")
    assert_only_the_region_changed(result, before, mask)

    rerender = client.post(f"/api/v1/images/{child.pk}/rerender/").json()
    assert rerender["mode"] == "edit" and rerender["mask_hash"] == stored.mask_hash
    runner.process_one("t")
    again = GenerationJob.objects.get(pk=rerender["id"]).images.get()
    assert storage.read_bytes(again.original.name) == storage.read_bytes(child.original.name)

    # Bad inputs: each a clear 4xx naming the field.
    url = f"/api/v1/images/{parent.pk}/edit/"
    wrong = {**body, "mask": base64.b64encode(png(square_mask(128))).decode()}
    assert _error(client.post(url, wrong, format="json")) == (400, "mask", "wrong_size")
    empty = {**body, "mask": base64.b64encode(png(Image.new("L", (64, 64)))).decode()}
    assert _error(client.post(url, empty, format="json")) == (400, "mask", "empty_mask")
    junk = {**body, "mask": base64.b64encode(b"GIF89a not really").decode()}
    assert _error(client.post(url, junk, format="json"))[:2] == (400, "mask")
    assert _error(client.post(url, {**body, "prompt": "  "}, format="json"))[:2] == (
        400,
        "prompt",
    )
    other = api_client_for(other_tenant).post(url, body, format="json")
    assert other.status_code == 404
    assert GenerationJob.objects.filter(mode="edit").count() == 2


@pytest.mark.django_db
def test_edit_page_posts_the_painted_mask(no_models, tenant, owner_client):
    client = api_client_for(tenant)
    job = client.post(
        "/api/v1/jobs/", {"description": "a blue robot", "n": 1, "size": 128}, format="json"
    ).json()
    runner.process_one("t")
    image = GenerationJob.objects.get(pk=job["id"]).images.get()
    page = owner_client.get(f"/images/{image.pk}/edit/")
    assert page.status_code == 200
    assert b'id="mask-canvas"' in page.content and b"js/mask_editor.js" in page.content
    assert b"<script>" not in page.content  # CSP: no inline script
    data_url = "data:image/png;base64," + base64.b64encode(png(square_mask(128))).decode()
    response = owner_client.post(
        f"/images/{image.pk}/edit/", {"mask_data": data_url, "prompt": "a red bow tie"}
    )
    assert response.status_code == 302
    empty = owner_client.post(f"/images/{image.pk}/edit/", {"mask_data": "", "prompt": "a hat"})
    assert empty.status_code == 400 and b"mask" in empty.content
    runner.process_one("t")
    edit_job = GenerationJob.objects.get(mode="edit")
    assert edit_job.status == "succeeded" and edit_job.engine == "vector"
