"""On the worker: candidates are CLIP-scored against the meaning text (not the prompt), and a
preset's reference embeddings are computed once per reference set, then served from cache."""

import io

import pytest
from PIL import Image

from core import storage
from generation.engines import registry
from generation.models import GenerationJob
from generation.quality import reference_cache
from generation.worker import runner
from styles.models import StylePreset
from styles.services import presets
from tenants.actors import Actor
from tests.factories import api_client_for, owner_of
from tests.styles.conftest import png_bytes, upload

pytestmark = [pytest.mark.django_db, pytest.mark.ml]


@pytest.fixture
def brand_preset(tenant):
    owner = Actor(user=owner_of(tenant))
    cartoon = StylePreset.objects.get(tenant=None, slug="cartoon")
    preset = presets.create_preset(
        tenant=tenant,
        actor=owner,
        copy_of=cartoon.pk,
        name="Branded",
        engine="vector",
        trigger_word="zxqbrand",
        brand_weight=0.3,
    )
    for i in range(2):
        presets.add_reference_image(
            tenant=tenant,
            actor=owner,
            preset_id=preset.pk,
            upload=upload(f"r{i}.png", png_bytes(i)),
        )
    return preset


def _run_job(tenant, preset, seed=1, n=2):
    response = api_client_for(tenant).post(
        "/api/v1/jobs/",
        {"description": "a blue robot", "preset": str(preset.pk), "n": n, "size": 64, "seed": seed},
        format="json",
    )
    assert response.status_code == 201, response.json()
    runner.process_one()
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.status == "succeeded", job.failure_message
    return job


def _pixels(image_row):
    return Image.open(io.BytesIO(storage.read_bytes(image_row.original.name))).convert("RGB")


def test_text_scores_are_taken_against_the_meaning_not_the_prompt(
    tenant, brand_preset, use_tiny_models
):
    job = _run_job(tenant, brand_preset)
    meaning = job.quality["meaning"]
    assert meaning == "a blue robot"
    assert "zxqbrand" in job.prompt and "zxqbrand" not in meaning
    scorer = registry.get_scorer()
    for image in job.images.all():
        against_meaning = scorer.text_image_scores(meaning, [_pixels(image)])[0]
        against_prompt = scorer.text_image_scores(job.prompt, [_pixels(image)])[0]
        assert image.clip_score == pytest.approx(against_meaning, abs=1e-4)
        assert image.clip_score != pytest.approx(against_prompt, abs=1e-4)
    assert job.quality["brand_weight"] == 0.3 and job.quality["ranked_by"] == "blended"
    assert sorted(job.images.values_list("rank", flat=True)) == [1, 2]


def test_reference_embeddings_are_computed_once_per_reference_set(
    tenant, brand_preset, use_tiny_models
):
    reference_cache.clear(shared=True)
    _run_job(tenant, brand_preset, seed=1)
    assert reference_cache.stats()["computed"] == 1
    second = _run_job(tenant, brand_preset, seed=2)
    assert reference_cache.stats()["computed"] == 1  # same references: no recomputation
    assert reference_cache.stats()["local_hits"] == 1

    # Cached embeddings give the same brand scores as embedding the references afresh.
    refs = [
        Image.open(io.BytesIO(storage.read_bytes(r.file.name))).convert("RGB")
        for r in brand_preset.references.all()
    ]
    scorer = registry.get_scorer()
    for image in second.images.all():
        fresh = scorer.image_image_scores([_pixels(image)], refs)[0]
        assert image.brand_score == pytest.approx(fresh, abs=1e-4)

    # Another worker process: its own LRU is empty, the shared (Django) cache answers.
    reference_cache.clear()
    _run_job(tenant, brand_preset, seed=3)
    assert reference_cache.stats() == {
        "local_hits": 0,
        "shared_hits": 1,
        "computed": 0,
        "entries": 1,
    }

    # A reference added: a new reference set, computed once again.
    owner = Actor(user=owner_of(tenant))
    presets.add_reference_image(
        tenant=tenant, actor=owner, preset_id=brand_preset.pk, upload=upload("r9.png", png_bytes(9))
    )
    _run_job(tenant, brand_preset, seed=4)
    _run_job(tenant, brand_preset, seed=5)
    assert reference_cache.stats()["computed"] == 1


def test_a_new_clip_checkpoint_gets_its_own_cache_entry():
    names = ("tenants/a/references/1.png", "tenants/a/references/2.png")
    assert reference_cache.cache_key("aaa", names) != reference_cache.cache_key("bbb", names)
    assert reference_cache.cache_key("aaa", names) == reference_cache.cache_key(
        "aaa", tuple(reversed(names))
    )
    assert reference_cache.cache_key("aaa", names) != reference_cache.cache_key("aaa", names[:1])
