"""ControlNet through the product: a job's own control image and a preset's control images,
stored maps with their hashes, pricing, brand locks, bad uploads, bit-identical re-render."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image, ImageDraw
from rest_framework.test import APIClient

from core import storage
from generation.engines.control_maps import sha256_hex
from generation.jobs import pricing
from generation.models import GenerationJob
from generation.worker import runner
from styles.models import StylePreset
from tests.factories import api_client_for, owner_of

pytestmark = [pytest.mark.django_db, pytest.mark.ml]


def drawing_png(size: int = 96) -> bytes:
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), outline="black", width=3)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def job_body(**extra):
    return {
        "description": "a cheerful green robot mascot",
        "engine": "diffusers",
        "n": 2,
        "size": 64,
        "steps": 2,
        "seed": 5,
        **extra,
    }


def run_all():
    while runner.process_one("test") is not None:
        pass


def test_own_control_image_is_stored_hashed_priced_and_rerenders_bit_identically(
    use_tiny_models, tenant
):
    client = api_client_for(tenant)
    png = base64.b64encode(drawing_png()).decode()
    response = client.post(
        "/api/v1/jobs/",
        job_body(control_image=png, control_type="lineart", control_scale=0.8),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    plain = pricing.quote_cost(engine="diffusers", n=2, size=64, steps=2)
    assert body["cost_credits"] == plain + 2 * pricing.CONTROL_COST
    (control,) = body["controls"]
    assert control["type"] == "lineart" and control["scale"] == 0.8
    assert control["source"] == "upload" and "map" not in control

    job = GenerationJob.objects.get(pk=body["id"])
    stored = storage.read_bytes(job.controls[0]["map"])
    assert job.controls[0]["map"].startswith(f"tenants/{tenant.pk}/controls/")
    assert sha256_hex(stored) == control["map_hash"]
    assert Image.open(io.BytesIO(stored)).size == (64, 64)

    run_all()
    job.refresh_from_db()
    assert job.status == "succeeded", job.failure_message
    image = job.images.get(selected=True)
    sidecar = json.loads(storage.read_bytes(image.sidecar.name))
    assert sidecar["controls"][0]["map_hash"] == control["map_hash"]
    assert sidecar["controls"][0]["type"] == "lineart"

    rerender = client.post(f"/api/v1/images/{image.pk}/rerender/")
    assert rerender.status_code == 201, rerender.json()
    assert rerender.json()["controls"][0]["map_hash"] == control["map_hash"]
    run_all()
    again = GenerationJob.objects.get(pk=rerender.json()["id"]).images.get(selected=True)
    assert storage.read_bytes(again.original.name) == storage.read_bytes(image.original.name)


def test_preset_control_images_apply_to_its_jobs(use_tiny_models, tenant):
    client = api_client_for(tenant)
    preset = client.post("/api/v1/presets/", {"name": "Mascot outline"}, format="json").json()
    upload = io.BytesIO(drawing_png())
    upload.name = "outline.png"
    response = client.post(
        f"/api/v1/presets/{preset['id']}/control-images/",
        {"file": upload, "control_type": "silhouette", "conditioning_scale": 0.7},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    control_id = response.json()["id"]
    assert client.get(f"/api/v1/presets/{preset['id']}/").json()["control_images"] == [control_id]
    assert client.get(response.json()["url"]).status_code == 200

    job = client.post("/api/v1/jobs/", job_body(preset=preset["id"]), format="json").json()
    assert [(c["type"], c["scale"], c["source"]) for c in job["controls"]] == [
        ("silhouette", 0.7, f"preset:{control_id}")
    ]
    off = client.post(
        "/api/v1/jobs/", job_body(preset=preset["id"], use_preset_controls=False), format="json"
    ).json()
    assert off["controls"] == []
    # The vector engine has no ControlNet: the preset's control images simply do not apply.
    vector = client.post(
        "/api/v1/jobs/", job_body(preset=preset["id"], engine="vector"), format="json"
    ).json()
    assert vector["controls"] == []
    run_all()
    assert GenerationJob.objects.get(pk=job["id"]).status == "succeeded"

    patched = client.patch(
        f"/api/v1/control-images/{control_id}/", {"conditioning_scale": 0.3}, format="json"
    )
    assert patched.json()["conditioning_scale"] == 0.3
    assert client.delete(f"/api/v1/control-images/{control_id}/").status_code == 204
    assert client.get(f"/api/v1/presets/{preset['id']}/control-images/").json() == []


def _error(response):
    body = response.json()["error"]
    return response.status_code, body.get("field"), body.get("code")


def test_bad_control_images_get_a_clear_400_naming_the_field(use_tiny_models, tenant):
    client = api_client_for(tenant)
    text = base64.b64encode(b"this is not a picture at all").decode()
    status, field, code = _error(
        client.post("/api/v1/jobs/", job_body(control_image=text), format="json")
    )
    assert (status, field, code) == (400, "control_image", "not_an_image")

    huge = Image.new("L", (4100, 4100))
    buf = io.BytesIO()
    huge.save(buf, format="PNG")
    status, field, code = _error(
        client.post(
            "/api/v1/jobs/",
            job_body(control_image=base64.b64encode(buf.getvalue()).decode()),
            format="json",
        )
    )
    assert (status, field, code) == (400, "control_image", "too_large")

    response = client.post("/api/v1/jobs/", job_body(control_image="not base64 !!"), format="json")
    assert response.status_code == 400 and "control_image" in json.dumps(response.json())

    png = base64.b64encode(drawing_png()).decode()
    status, field, _ = _error(
        client.post("/api/v1/jobs/", job_body(control_image=png, engine="vector"), format="json")
    )
    assert (status, field) == (400, "control_image")
    assert GenerationJob.objects.count() == 0


def test_unconfigured_controlnet_is_refused_at_submit(use_tiny_models, settings, tenant):
    settings.AVATARSAAS_CONTROLNET_MODELS = {"canny": settings.AVATARSAAS_SD_MODEL}
    png = base64.b64encode(drawing_png()).decode()
    response = api_client_for(tenant).post(
        "/api/v1/jobs/", job_body(control_image=png, control_type="pose"), format="json"
    )
    assert _error(response) == (400, "control_type", "controlnet_not_configured")
    assert "AVATARSAAS_CONTROLNET_POSE" in response.json()["error"]["message"]


def test_locked_preset_can_forbid_custom_control_images(use_tiny_models, tenant):
    client = api_client_for(tenant)
    preset = client.post("/api/v1/presets/", {"name": "Locked"}, format="json").json()
    # Locking is for owners and admins signed in (API keys may not lift or set a lock).
    owner = APIClient()
    owner.force_login(owner_of(tenant))
    bad = owner.patch(
        f"/api/v1/presets/{preset['id']}/",
        {"is_locked": True, "lock_rules": {"custom_control": "no"}},
        format="json",
    )
    assert bad.status_code == 400
    locked = owner.patch(
        f"/api/v1/presets/{preset['id']}/",
        {"is_locked": True, "lock_rules": {"custom_control": False}},
        format="json",
    )
    assert locked.status_code == 200, locked.json()
    png = base64.b64encode(drawing_png()).decode()
    response = client.post(
        "/api/v1/jobs/", job_body(preset=preset["id"], control_image=png), format="json"
    )
    assert _error(response) == (403, "control_image", "brand_lock")
    fine = client.post("/api/v1/jobs/", job_body(preset=preset["id"]), format="json")
    assert fine.status_code == 201
    assert StylePreset.objects.get(pk=preset["id"]).lock_rules == {"custom_control": False}


def test_control_image_over_multipart_from_a_form(use_tiny_models, tenant, owner_client):
    upload = io.BytesIO(drawing_png())
    upload.name = "sketch.png"
    response = owner_client.post(
        "/generate/",
        {
            "description": "a friendly robot",
            "n": 1,
            "engine": "diffusers",
            "size": 64,
            "steps": 1,
            "control_image": upload,
            "control_type": "scribble",
            "control_scale": 1.2,
        },
    )
    assert response.status_code == 302, response.content[:500]
    job = GenerationJob.objects.get()
    assert job.controls[0]["type"] == "scribble" and job.controls[0]["scale"] == 1.2
    page = owner_client.get(f"/jobs/{job.pk}/")
    assert b"scribble control map" in page.content
    assert owner_client.get(f"/jobs/{job.pk}/controls/0.png").status_code == 200
    assert owner_client.get(f"/jobs/{job.pk}/controls/1.png").status_code == 404
