"""Vector state packs end to end: one priced job, every state differs only in the face,
deliverables (zip, sprite, manifest, animations) with real alpha, bit-identical re-render."""

from __future__ import annotations

import io
import itertools
import json
import zipfile

import jsonschema
import numpy as np
import pytest
from PIL import Image

from core import storage
from core.vocabulary import DEFAULT_STATE_PACK_STATES
from generation.engines.vector.expressions import face_region
from generation.jobs import pricing
from generation.models import GenerationJob, StatePack
from generation.statepacks import render_job
from generation.statepacks.manifest import SCHEMA_PATH
from generation.worker import runner
from tenants.models import CreditEntry
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db


def run_pack(tenant, image, **headers):
    client = api_client_for(tenant)
    response = client.post(f"/api/v1/images/{image.pk}/state-pack/", format="json", **headers)
    assert response.status_code == 201, response.json()
    runner.process_one("t")
    return StatePack.objects.get(pk=response.json()["id"]), response.json()


def test_vector_pack_changes_only_the_face(no_models, tenant, make_picked):
    image = make_picked(tenant, description="a friendly blue robot with headphones")
    pack, body = run_pack(tenant, image)
    job = pack.job
    assert job.status == "succeeded", job.failure_message
    assert body["states"] == list(DEFAULT_STATE_PACK_STATES)
    assert job.mode == "statepack" and job.parent_image_id == image.pk
    assert job.cost_credits == pricing.quote_cost(engine="vector", n=7, size=128)
    assert job.seeds == [image.seed] * 7
    states = list(job.images.order_by("index"))
    assert [s.metadata["state"] for s in states] == list(DEFAULT_STATE_PACK_STATES)
    pixels = [
        np.asarray(Image.open(io.BytesIO(storage.read_bytes(s.original.name)))) for s in states
    ]
    plan = render_job.vector_plan(render_job.RenderRequest(prompt="", attributes=job.attributes,
                                  palette=()), "neutral", image.seed)  # fmt: skip
    x0, y0, x1, y1 = face_region(plan, 128)
    outside = np.ones((128, 128), dtype=bool)
    outside[y0:y1, x0:x1] = False
    assert outside.mean() > 0.7  # the face is a small part of the picture
    for a, b in itertools.combinations(range(len(states)), 2):
        changed = np.any(pixels[a] != pixels[b], axis=2)
        assert changed.any(), (states[a].metadata["state"], states[b].metadata["state"])
        assert not changed[outside].any(), (
            states[a].metadata["state"],
            states[b].metadata["state"],
        )
    # The neutral state is the source avatar's drawing with only the expression changed.
    source = np.asarray(Image.open(io.BytesIO(storage.read_bytes(image.original.name))))
    assert not np.any(source != pixels[0], axis=2)[outside].any()


def test_vector_pack_deliverables(no_models, tenant, make_picked):
    image = make_picked(tenant)
    pack, _ = run_pack(tenant, image)
    assert pack.is_ready and pack.matting == "vector_alpha" and pack.animation == "facial_actions"
    archive = zipfile.ZipFile(io.BytesIO(storage.read_bytes(pack.files["zip"])))
    names = set(archive.namelist())
    for state in DEFAULT_STATE_PACK_STATES:
        for size in (128, 64):
            assert f"states/{state}/{size}.png" in names
        assert f"states/{state}/256.png" not in names  # never upscaled past the render
    manifest = json.loads(archive.read("manifest.json"))
    jsonschema.validate(manifest, json.loads(SCHEMA_PATH.read_text()))
    assert manifest == pack.manifest
    still = Image.open(io.BytesIO(archive.read("states/happy/128.png")))
    alpha = np.asarray(still)[..., 3]
    assert still.mode == "RGBA" and alpha[0, 0] == 0 and alpha[64, 64] == 255
    sheet = Image.open(io.BytesIO(archive.read("sprite.png")))
    for state in manifest["states"]:
        r = state["frame"]
        assert r["x"] + r["w"] <= sheet.width and r["y"] + r["h"] <= sheet.height
        tile = sheet.crop((r["x"], r["y"], r["x"] + r["w"], r["y"] + r["h"]))
        assert tile.tobytes() == Image.open(io.BytesIO(archive.read(state["file"]))).tobytes()


def test_vector_state_rerenders_bit_identically(no_models, tenant, make_picked):
    pack, _ = run_pack(tenant, make_picked(tenant))
    for image in pack.job.images.all():
        stored = Image.open(io.BytesIO(storage.read_bytes(image.original.name)))
        assert render_job.rerender_state(image).tobytes() == stored.tobytes()


def test_pack_is_idempotent_and_charged_once(no_models, tenant, make_picked):
    image, other = make_picked(tenant), make_picked(tenant, seed=9)
    client = api_client_for(tenant)
    url = f"/api/v1/images/{image.pk}/state-pack/"
    first = client.post(url, format="json", HTTP_IDEMPOTENCY_KEY="pack-1").json()
    again = client.post(url, format="json", HTTP_IDEMPOTENCY_KEY="pack-1").json()
    assert first["id"] == again["id"] and StatePack.objects.count() == 1
    reserved = CreditEntry.objects.filter(reference=f"job:{first['job']}", kind="reserve")
    assert reserved.count() == 1
    response = client.post(
        f"/api/v1/images/{other.pk}/state-pack/", format="json", HTTP_IDEMPOTENCY_KEY="pack-1"
    )
    assert response.status_code == 409
    assert GenerationJob.objects.filter(mode="statepack").count() == 1
