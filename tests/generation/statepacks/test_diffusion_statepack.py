"""A tiny-diffusion state pack end to end on the real worker: image-to-image from the picked
image with its line art as ControlNet condition, identity re-rolls within budget, the state
cycle loop, a bit-identical re-render of any state."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest
from PIL import Image

from core import storage
from generation.jobs import pricing
from generation.models import StatePack
from generation.statepacks import render_job
from generation.statepacks.expressions import STATES
from generation.statepacks.manifest import schema
from generation.worker import runner
from styles.models import StylePreset
from tests.factories import api_client_for

pytestmark = [pytest.mark.django_db, pytest.mark.ml]
STATES_OF_PRESET = ["neutral", "happy", "talking"]


def test_tiny_diffusion_pack_end_to_end(use_tiny_models, settings, tenant, make_picked):
    settings.AVATARSAAS_STATEPACK_IDENTITY_THRESHOLD = 1.01  # no state can pass: every one
    settings.AVATARSAAS_STATEPACK_MAX_REROLLS = 2  # re-rolls until the budget is spent
    preset = StylePreset.objects.create(
        tenant=tenant,
        slug="bot",
        name="Bot",
        engine="diffusers",
        palette=["#1e5ac8", "#ffffff"],
        state_pack_states=STATES_OF_PRESET,
    )
    image = make_picked(
        tenant, engine="diffusers", size=64, steps=6, preset=str(preset.pk), description="a robot"
    )
    client = api_client_for(tenant)
    response = client.post(f"/api/v1/images/{image.pk}/state-pack/", format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["states"] == STATES_OF_PRESET and body["status"] == "queued"
    assert body["animation"] == "state_cycle" and not body["ready"]
    assert body["cost_credits"] == pricing.quote_cost(
        engine="diffusers", n=3, size=64, steps=6, controls=1, strength=0.5
    )
    runner.process_one("t")
    pack = StatePack.objects.get(pk=body["id"])
    job = pack.job
    assert job.status == "succeeded", job.failure_message
    assert [c["type"] for c in job.controls] == ["lineart"]
    images = list(job.images.order_by("index"))
    assert len(images) == 3
    for state, image_row in zip(STATES_OF_PRESET, images, strict=True):
        meta = image_row.metadata
        assert meta["mode"] == "img2img" and meta["controls"][0]["type"] == "lineart"
        assert STATES[state].phrase in meta["prompt"]
        assert image_row.quality["identity"] is not None
    # Every state re-rolled while budget lasted: 2 extra renders in all, the rest none.
    assert sum(r["rerolls"] for r in pack.results) == 2
    assert job.quality["state_pack"]["rerolls"] == 2
    assert all(isinstance(r["palette_delta_e"], float) for r in pack.results)
    detail = client.get(f"/api/v1/state-packs/{pack.pk}/").json()
    assert detail["ready"] and detail["identity_meaningful"] is False
    assert [s["identity_score"] for s in detail["states_detail"]] == [
        r["identity_score"] for r in pack.results
    ]
    manifest = json.loads(client.get(detail["files"]["manifest"]).getvalue())
    jsonschema.validate(manifest, schema())
    assert (
        manifest["identity"]["meaningful"] is False
        and "mean nothing" in (manifest["identity"]["note"])
    )
    (loop,) = manifest["animations"]
    assert loop["source"] == "state_cycle" and "cycles the state images" in loop["note"]
    assert [f["state"] for f in loop["frames"]] == STATES_OF_PRESET
    # Random tiny-model pixels have no plain background: matting refuses and says why.
    assert pack.matting == "refused" and "not plain enough" in pack.matting_note
    assert manifest["background"]["transparent"] is False
    # Any state, re-rendered from the stored inputs and its recorded seed and strength.
    for image_row in (images[0], images[-1]):
        stored = Image.open(io.BytesIO(storage.read_bytes(image_row.original.name)))
        assert render_job.rerender_state(image_row).tobytes() == stored.tobytes()
