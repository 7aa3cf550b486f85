"""The CLIP pass of the near-duplicate check, on constructed embeddings: one matrix product
pairs an edited copy with its original and leaves distinct same-style images alone; the pass
records its cosine on hash pairs and adds the pairs only it finds; without real CLIP weights
nothing is queued, and the dataset page and API say the check was not run.

The embeddings here are constructed (a shared "style" direction plus a per-image one), so the
assertions hold for any checkpoint; the run through real open_clip is in
tests/generation/training/test_dataset_clip_runner.py. The cosine threshold itself is
provisional: no real CLIP weights exist here to validate it."""

import numpy as np
import pytest

from bench.brand_renders import brand_attributes, brand_render, edited_copies, encoded
from styles import selectors
from styles.models import DatasetImage, DuplicatePair
from styles.services import clip_duplicates, dataset_ingest, datasets
from styles.services.clip_duplicates import CLIP_MIN_COSINE, best_earlier_matches
from tenants.actors import Actor
from tests.factories import api_client_for
from tests.styles.conftest import upload

DIM = 512
MODEL = "c" * 64


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _same_style(n: int, seed: int = 0) -> np.ndarray:
    """n distinct images of one style: pairwise cosines about 0.90, below the threshold."""
    rng = np.random.default_rng(seed)
    style = _unit(rng.normal(size=DIM))
    return _unit(0.95 * style + 0.31 * _unit(rng.normal(size=(n, DIM))))


def _edited(vectors: np.ndarray, seed: int = 1) -> np.ndarray:
    """An edited copy moves its embedding a little: cosine about 0.99 to the original."""
    rng = np.random.default_rng(seed)
    return _unit(vectors + 0.1 * _unit(rng.normal(size=vectors.shape)))


def test_an_edited_copy_is_paired_with_its_original_and_distinct_images_are_not():
    distinct = _same_style(300)
    cosines = distinct @ distinct.T
    off_diagonal = cosines[~np.eye(len(distinct), dtype=bool)]
    assert 0.85 < off_diagonal.max() < CLIP_MIN_COSINE  # close, as one brand's renders are

    originals = [3, 50, 299]
    embeddings = np.concatenate([distinct, _edited(distinct[originals])])
    matches = best_earlier_matches(embeddings, np.arange(len(embeddings)))
    assert [(m.row, m.other) for m in matches] == [(300, 3), (301, 50), (302, 299)]
    assert all(m.cosine > 0.98 for m in matches)


def test_distinct_images_alone_give_no_pairs():
    distinct = _same_style(300, seed=5)
    assert best_earlier_matches(distinct, np.arange(300)) == []


def test_only_earlier_images_count_and_chunks_change_nothing(monkeypatch):
    distinct = _same_style(40, seed=2)
    # The copy uploaded first: the original (later) is the one paired, with the copy.
    embeddings = np.concatenate([_edited(distinct[:1]), distinct])
    whole = best_earlier_matches(embeddings, np.arange(41))
    assert [(m.row, m.other) for m in whole] == [(1, 0)]
    # Checking only the copy (row 0) finds nothing: nothing was uploaded before it.
    assert best_earlier_matches(embeddings, np.array([0])) == []

    monkeypatch.setattr(clip_duplicates, "ROWS_PER_PRODUCT", 3)
    chunked = best_earlier_matches(embeddings, np.arange(41))
    assert [(m.row, m.other) for m in chunked] == [(1, 0)]
    assert chunked[0].cosine == pytest.approx(whole[0].cosine, abs=1e-5)


# -- through the rows ----------------------------------------------------------------------


def _ingest(tenant, files: dict[str, bytes]):
    dataset = datasets.create_dataset(
        tenant=tenant, actor=Actor.system(), name="Brand", trigger_word="acmebot"
    )
    dataset_ingest.ingest_uploads(
        tenant=tenant,
        actor=Actor.system(),
        dataset_id=dataset.pk,
        files=[upload(name, data) for name, data in files.items()],
    )
    return dataset


@pytest.fixture
def brand_set(pro_tenant, small_images):
    """Four distinct renders, a 5 % crop of the first (the hashes catch it) and a 25 % crop of
    the second (beyond the hashes' crop hypotheses: they do not)."""
    renders = [brand_render(a, 256, seed=i) for i, a in enumerate(brand_attributes(4))]
    files = {f"mascot_{i}.png": encoded(im) for i, im in enumerate(renders)}
    files["mascot_0_crop.png"] = encoded(edited_copies(renders[0])["cropped_5pct_centre"])
    files["mascot_1_zoomed.png"] = encoded(renders[1].crop((32, 32, 224, 224)))
    dataset = _ingest(pro_tenant, files)
    rows = {
        img.original_name: img
        for img in DatasetImage.objects.filter(dataset=dataset, status="accepted")
    }
    assert len(rows) == 6
    return dataset, rows


def test_the_pass_confirms_hash_pairs_and_adds_the_pairs_only_it_finds(brand_set):
    dataset, rows = brand_set
    [hash_pair] = DuplicatePair.objects.filter(dataset=dataset)
    assert (hash_pair.image.original_name, hash_pair.other.original_name) == (
        "mascot_0_crop.png",
        "mascot_0.png",
    )
    assert hash_pair.found_by == "hashes" and hash_pair.clip_similarity is None

    distinct = _same_style(4, seed=3)
    copies = _edited(distinct[:2])
    vectors = {f"mascot_{i}.png": distinct[i] for i in range(4)}
    vectors |= {"mascot_0_crop.png": copies[0], "mascot_1_zoomed.png": copies[1]}
    clip_duplicates.record_embeddings({rows[n].pk: v for n, v in vectors.items()}, MODEL)
    result = clip_duplicates.find_clip_duplicates(dataset.pk, MODEL, [r.pk for r in rows.values()])
    assert result == {"confirmed": 1, "found": 1}

    hash_pair.refresh_from_db()
    assert hash_pair.found_by == "hashes" and hash_pair.clip_similarity > 0.98
    clip_pair = DuplicatePair.objects.get(dataset=dataset, found_by="clip")
    assert (clip_pair.image_id, clip_pair.other_id) == (
        rows["mascot_1_zoomed.png"].pk,
        rows["mascot_1.png"].pk,
    )
    assert clip_pair.clip_similarity > 0.98 and clip_pair.phash_distance > 0
    # No pair among the distinct renders; running again adds nothing.
    assert DuplicatePair.objects.filter(dataset=dataset).count() == 2
    again = clip_duplicates.find_clip_duplicates(dataset.pk, MODEL, [r.pk for r in rows.values()])
    assert again == {"confirmed": 0, "found": 0}
    assert DuplicatePair.objects.filter(dataset=dataset).count() == 2


def test_embeddings_of_another_checkpoint_are_not_compared(brand_set):
    dataset, rows = brand_set
    vectors = _same_style(6, seed=4)
    vectors[5] = vectors[4]  # identical embeddings, but of two different checkpoints
    ids = list(rows.values())
    clip_duplicates.record_embeddings(
        {r.pk: v for r, v in zip(ids[:5], vectors[:5], strict=True)}, MODEL
    )
    clip_duplicates.record_embeddings({ids[5].pk: vectors[5]}, "d" * 64)
    assert clip_duplicates.find_clip_duplicates(dataset.pk, MODEL, [ids[5].pk])["found"] == 0
    assert [r.pk for r in clip_duplicates.images_to_embed(dataset.pk, MODEL)] == [ids[5].pk]


# -- configured or not ---------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(clip_duplicates, "nudge", lambda func, *a, **kw: calls.append((func, a)))
    return calls


def _one_upload(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return _ingest(tenant, {"mascot.png": encoded(brand_render(brand_attributes(1)[0], 256))})


def test_without_clip_weights_nothing_is_queued_and_page_and_api_say_so(
    settings, pro_tenant, client, queued, django_capture_on_commit_callbacks
):
    settings.AVATARSAAS_CLIP_CHECKPOINT = ""
    dataset = _one_upload(pro_tenant, django_capture_on_commit_callbacks)
    assert queued == []
    check = selectors.clip_check(dataset)
    assert check.status == "not_run" and "was not run" in check.message

    api = api_client_for(pro_tenant)
    body = api.get(f"/api/v1/datasets/{dataset.pk}/").json()
    assert body["clip_check"]["status"] == "not_run"
    assert "CLIP check was not run" in body["clip_check"]["message"]
    zh = api.get(f"/api/v1/datasets/{dataset.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert "CLIP" in zh["clip_check"]["message"] and "未运行" in zh["clip_check"]["message"]

    from tests.factories import owner_of

    client.force_login(owner_of(pro_tenant))
    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert 'id="clip-check" data-status="not_run"' in page
    assert "The CLIP check was not run" in page


def test_random_clip_weights_count_as_not_configured(
    settings, pro_tenant, queued, django_capture_on_commit_callbacks
):
    settings.AVATARSAAS_CLIP_CHECKPOINT = "/models/tiny-random-clip.pt"
    settings.AVATARSAAS_WEIGHTS_ARE_REAL = False
    dataset = _one_upload(pro_tenant, django_capture_on_commit_callbacks)
    assert queued == [] and selectors.clip_check(dataset).status == "not_run"


def test_with_real_clip_weights_an_upload_queues_the_pass_and_images_are_pending(
    settings, pro_tenant, queued, django_capture_on_commit_callbacks
):
    settings.AVATARSAAS_CLIP_CHECKPOINT = "/models/clip.pt"
    settings.AVATARSAAS_WEIGHTS_ARE_REAL = True
    dataset = _one_upload(pro_tenant, django_capture_on_commit_callbacks)
    assert queued == [("generation.tasks.check_dataset_clip", (str(dataset.pk),))]
    check = selectors.clip_check(dataset)
    assert (check.status, check.checked, check.pending) == ("pending", 0, 1)
