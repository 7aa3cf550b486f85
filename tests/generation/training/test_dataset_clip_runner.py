"""The CLIP pass of the near-duplicate check through real open_clip (the tiny random model).

The tiny model's weights are random, so its cosines mean nothing: these tests declare them
"real" (AVATARSAAS_WEIGHTS_ARE_REAL) only to drive the code path, and assert what holds for any
checkpoint (every accepted image embedded once, unit vectors equal to the scorer's own output,
hash pairs given a cosine, a second run doing nothing). Which pairs CLIP finds is tested on
constructed embeddings in tests/styles/services/test_clip_duplicates.py. Without real weights
the task does nothing and says why."""

import io

import numpy as np
import pytest
from PIL import Image

from bench.brand_renders import brand_attributes, brand_render, edited_copies, encoded
from core import storage
from generation import tasks
from generation.engines import registry as engine_registry
from styles import selectors
from styles.models import DatasetImage, DuplicatePair
from styles.services import dataset_ingest, datasets
from tenants.actors import Actor
from tests.styles.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(pro_tenant, small_images):
    renders = [brand_render(a, 256, seed=i) for i, a in enumerate(brand_attributes(3))]
    files = {f"mascot_{i}.png": encoded(im) for i, im in enumerate(renders)}
    files["mascot_0_small.png"] = encoded(edited_copies(renders[0])["resized"])
    dataset = datasets.create_dataset(
        tenant=pro_tenant, actor=Actor.system(), name="Brand", trigger_word="acmebot"
    )
    dataset_ingest.ingest_uploads(
        tenant=pro_tenant,
        actor=Actor.system(),
        dataset_id=dataset.pk,
        files=[upload(name, data) for name, data in files.items()],
    )
    assert DuplicatePair.objects.filter(dataset=dataset).count() == 1  # the hash pair
    return dataset


def test_the_pass_embeds_every_image_once_through_open_clip(use_tiny_models, settings, dataset):
    settings.AVATARSAAS_WEIGHTS_ARE_REAL = True  # to drive the code path; see the docstring
    result = tasks.check_dataset_clip(str(dataset.pk))
    assert result["embedded"] == 4 and result["confirmed"] == 1

    scorer = engine_registry.get_scorer()
    rows = list(DatasetImage.objects.filter(dataset=dataset, status="accepted"))
    assert {row.clip_model for row in rows} == {scorer.model_hash}
    vectors = np.stack([np.frombuffer(bytes(row.clip_embedding), np.float32) for row in rows])
    assert vectors.shape == (4, 32)  # the tiny model's embed_dim
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    images = [Image.open(io.BytesIO(storage.read_bytes(row.file.name))) for row in rows]
    np.testing.assert_allclose(vectors, scorer.image_embeddings(images), atol=1e-5)

    pair = DuplicatePair.objects.get(dataset=dataset, found_by="hashes")
    first, second = (
        vectors[[r.pk for r in rows].index(pk)] for pk in (pair.image_id, pair.other_id)
    )
    assert pair.clip_similarity == pytest.approx(float(first @ second), abs=1e-5)

    check = selectors.clip_check(dataset)
    assert (check.status, check.checked, check.pending) == ("done", 4, 0)
    again = tasks.check_dataset_clip(str(dataset.pk))
    assert again == {"embedded": 0, "confirmed": 0, "found": 0}


@pytest.mark.parametrize("weights", ["random", "none"])
def test_without_real_clip_weights_the_task_skips_and_says_so(
    use_tiny_models, settings, dataset, weights
):
    # random: the tiny checkpoint, weights not declared real; none: no checkpoint at all.
    settings.AVATARSAAS_WEIGHTS_ARE_REAL = weights == "none"
    if weights == "none":
        settings.AVATARSAAS_CLIP_CHECKPOINT = ""
    assert tasks.check_dataset_clip(str(dataset.pk)) == {
        "skipped": "no real CLIP weights configured"
    }
    assert not DatasetImage.objects.filter(dataset=dataset).exclude(clip_model="").exists()
    assert DuplicatePair.objects.get(dataset=dataset).clip_similarity is None
    assert selectors.clip_check(dataset).status == "not_run"
