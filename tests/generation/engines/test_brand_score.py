"""Brand consistency: CLIP image-image similarity to a preset's reference images is stored on
each image, returned by the API and, normalised within the batch like the text score, blended
into best-of-N with the configured weight (the server default or the preset's own)."""

import pytest

from generation.quality.blend import normalise
from generation.worker import runner
from styles.models import StylePreset
from styles.services import presets
from tenants.actors import Actor
from tests.factories import api_client_for, owner_of
from tests.styles.conftest import png_bytes, upload

pytestmark = [pytest.mark.django_db, pytest.mark.ml]


def test_reference_images_give_a_brand_score_used_in_best_of_n(tenant, use_tiny_models, settings):
    settings.AVATARSAAS_BRAND_WEIGHT = 0.25
    owner = Actor(user=owner_of(tenant))
    cartoon = StylePreset.objects.get(tenant=None, slug="cartoon")
    preset = presets.create_preset(
        tenant=tenant, actor=owner, copy_of=cartoon.pk, name="Branded", engine="vector"
    )
    for i in range(2):
        presets.add_reference_image(
            tenant=tenant,
            actor=owner,
            preset_id=preset.pk,
            upload=upload(f"r{i}.png", png_bytes(i)),
        )
    client = api_client_for(tenant)
    response = client.post(
        "/api/v1/jobs/",
        {"description": "a blue robot", "preset": str(preset.pk), "n": 3, "size": 64},
        format="json",
    )
    assert response.status_code == 201, response.json()
    runner.process_one()
    images = client.get(f"/api/v1/jobs/{response.json()['id']}/images/").json()
    assert len(images) == 3
    assert all(i["brand_score"] is not None and i["clip_score"] is not None for i in images)
    text_z = normalise([i["clip_score"] for i in images])
    brand_z = normalise([i["brand_score"] for i in images])
    for image, t, b in zip(images, text_z, brand_z, strict=True):
        assert image["final_score"] == pytest.approx(0.75 * t + 0.25 * b)
    best = max(images, key=lambda i: i["final_score"])
    assert best["selected"] and best["rank"] == 1


def test_without_references_there_is_no_brand_score(tenant, use_tiny_models):
    client = api_client_for(tenant)
    response = client.post(
        "/api/v1/jobs/",
        {"description": "a cat", "engine": "vector", "n": 1, "size": 64},
        format="json",
    )
    runner.process_one()
    [image] = client.get(f"/api/v1/jobs/{response.json()['id']}/images/").json()
    # One candidate: nothing to normalise against, so its blended score is 0.
    assert image["brand_score"] is None and image["clip_score"] is not None
    assert image["final_score"] == 0.0 and image["rank"] == 1 and image["selected"]
