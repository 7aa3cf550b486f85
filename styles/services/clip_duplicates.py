"""The CLIP pass of the near-duplicate check: embeddings, one matrix product, pairs.

Only with real CLIP weights (`core.model_settings.weights_status().scores_meaningful`): random
test weights still produce embeddings, and their cosines rank noise, so then the pass never
runs and the dataset page and API say so; the hash stages (`near_duplicates`) decide alone.

CLIP lives in generation.engines, above this app. So ingestion only nudges the GPU cluster by
the task's dotted path (as fine-tunes do, `core.queue`): `generation.tasks.check_dataset_clip`
embeds the accepted images that have no embedding of the configured checkpoint, hands them to
`record_embeddings`, then calls `find_clip_duplicates`, which lives here because it is plain
numpy over rows of this app. The rows are the truth: an image without an embedding of the
current checkpoint is "pending", whatever happened to a queue message.

Matching: each newly embedded image against every image uploaded before it, as rows of one
matrix product (in chunks of rows, so memory stays bounded for 2000-image datasets), the
earlier-only mask applied to the product, then the best earlier image per row. An existing
hash pair gets its cosine recorded (confirmed or not); a best match at or above
`CLIP_MIN_COSINE` without a pair becomes a new warning found by CLIP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import IntegrityError, transaction

from core.model_settings import weights_status
from core.queue import GPU_CLUSTER, nudge
from styles.models import DatasetImage, DuplicatePair
from styles.services.near_duplicates import Fingerprint

# PROVISIONAL, not validated: no real CLIP weights exist where this was written, so no
# cosine between real embeddings of edited copies and of distinct same-style renders was
# measured. 0.95 is a common near-duplicate cut for ViT-B CLIP image embeddings, chosen high
# because a brand's renders share one style (their embeddings sit close together). Validate it
# on the deployed checkpoint with real brand renders and edited copies before trusting it.
CLIP_MIN_COSINE = 0.95
ROWS_PER_PRODUCT = 512  # new images per matrix product: 512 × 2000 float32 = 4 MB


@dataclass(frozen=True)
class EmbeddingMatch:
    row: int  # position of the newer image in upload order
    other: int  # position of the most similar earlier image
    cosine: float


def best_earlier_matches(
    embeddings: np.ndarray, new_rows: np.ndarray, *, min_cosine: float = CLIP_MIN_COSINE
) -> list[EmbeddingMatch]:
    """For each row in `new_rows`, its most similar earlier row (lower index) when the cosine
    reaches `min_cosine`. `embeddings` are L2-normalised, one row per image in upload order."""
    embeddings = np.asarray(embeddings, dtype=np.float32)
    new_rows = np.asarray(new_rows, dtype=np.int64)
    matches: list[EmbeddingMatch] = []
    columns = np.arange(len(embeddings))
    for start in range(0, len(new_rows), ROWS_PER_PRODUCT):
        rows = new_rows[start : start + ROWS_PER_PRODUCT]
        cosines = embeddings[rows] @ embeddings.T
        cosines[columns[None, :] >= rows[:, None]] = -np.inf  # earlier images only
        best = np.argmax(cosines, axis=1)
        best_cosine = cosines[np.arange(len(rows)), best]
        keep = np.flatnonzero(best_cosine >= min_cosine)
        matches += [EmbeddingMatch(int(rows[i]), int(best[i]), float(best_cosine[i])) for i in keep]
    return matches


def pair_cosines(embeddings: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Cosine of each (i, j) row pair, gathered at once."""
    if not len(pairs):
        return np.zeros(0, dtype=np.float32)
    return np.einsum("nd,nd->n", embeddings[pairs[:, 0]], embeddings[pairs[:, 1]])


# -- queueing --------------------------------------------------------------------------------


def clip_enabled() -> bool:
    """Only real CLIP weights make embedding cosines mean anything."""
    return weights_status().scores_meaningful


def request_clip_check(dataset_id) -> bool:
    """Nudge the GPU cluster to embed the dataset's new images; False (nothing queued) when
    no real CLIP weights are configured."""
    if not clip_enabled():
        return False
    nudge(
        "generation.tasks.check_dataset_clip",
        str(dataset_id),
        what=f"CLIP check of dataset {dataset_id}",
        cluster=GPU_CLUSTER,
        task_name=f"dataset-clip-{dataset_id}",
    )
    return True


# -- the pass, called by the generation-side task ------------------------------------------


def images_to_embed(dataset_id, model: str, limit: int = 256) -> list[DatasetImage]:
    """Accepted images without an embedding of checkpoint `model`, oldest first."""
    return list(
        DatasetImage.objects.filter(dataset_id=dataset_id, status=DatasetImage.Status.ACCEPTED)
        .exclude(clip_model=model)
        .only("pk", "file", "tenant_id", "dataset_id")
        .order_by("created_at", "pk")[:limit]
    )


def record_embeddings(embeddings: dict, model: str) -> None:
    """Store one L2-normalised float32 vector per image id."""
    with transaction.atomic():
        for image_id, vector in embeddings.items():
            DatasetImage.objects.filter(pk=image_id).update(
                clip_embedding=np.asarray(vector, dtype=np.float32).tobytes(), clip_model=model
            )


def find_clip_duplicates(dataset_id, model: str, new_ids) -> dict[str, int]:
    """Pairs for the images `new_ids` (just embedded) against every earlier image of the
    dataset embedded with `model`: cosines recorded on existing pairs, new CLIP pairs."""
    rows = list(
        DatasetImage.objects.filter(
            dataset_id=dataset_id, status=DatasetImage.Status.ACCEPTED, clip_model=model
        )
        .order_by("created_at", "pk")
        .values_list("pk", "clip_embedding")
    )
    if not rows:
        return {"confirmed": 0, "found": 0}
    ids = [pk for pk, _ in rows]
    position = {pk: i for i, pk in enumerate(ids)}
    embeddings = np.stack([np.frombuffer(bytes(blob), dtype=np.float32) for _, blob in rows])
    new_rows = np.array(sorted(position[pk] for pk in new_ids if pk in position), dtype=np.int64)
    confirmed = _record_pair_cosines(dataset_id, embeddings, position)
    found = 0
    for match in best_earlier_matches(embeddings, new_rows):
        found += _add_clip_pair(dataset_id, ids[match.row], ids[match.other], match.cosine)
    return {"confirmed": confirmed, "found": found}


def _record_pair_cosines(dataset_id, embeddings: np.ndarray, position: dict) -> int:
    pairs = [
        (pk, position[a], position[b])
        for pk, a, b in DuplicatePair.objects.filter(
            dataset_id=dataset_id, clip_similarity__isnull=True
        ).values_list("pk", "image_id", "other_id")
        if a in position and b in position
    ]
    if not pairs:
        return 0
    cosines = pair_cosines(embeddings, np.array([(a, b) for _, a, b in pairs]))
    with transaction.atomic():
        for (pk, _, _), cosine in zip(pairs, cosines, strict=True):
            DuplicatePair.objects.filter(pk=pk).update(clip_similarity=float(cosine))
    return len(pairs)


def _add_clip_pair(dataset_id, image_id, other_id, cosine: float) -> int:
    if DuplicatePair.objects.filter(image_id=other_id, other_id=image_id).exists():
        return 0  # already warned the other way round
    images = {
        row.pk: row
        for row in DatasetImage.objects.filter(pk__in=[image_id, other_id]).only(
            "pk", "tenant_id", "phash", "colorhash", "thumbnail"
        )
    }
    phash, color, difference = _hash_distances(images[image_id], images[other_id])
    try:
        with transaction.atomic():
            _, created = DuplicatePair.objects.get_or_create(
                image_id=image_id,
                other_id=other_id,
                defaults={
                    "tenant_id": images[image_id].tenant_id,
                    "dataset_id": dataset_id,
                    "found_by": DuplicatePair.FoundBy.CLIP,
                    "clip_similarity": cosine,
                    "phash_distance": phash,
                    "color_distance": color,
                    "difference": difference,
                },
            )
    except IntegrityError:  # a concurrent run of the same check made it first
        return 0
    return int(created)


def _hash_distances(image: DatasetImage, other: DatasetImage) -> tuple[int, int, float]:
    """The hash stages' distances, shown with a CLIP pair like with any other."""
    a = Fingerprint.stored(image.phash, image.colorhash, image.thumbnail)
    b = Fingerprint.stored(other.phash, other.colorhash, other.thumbnail)
    if a is None or b is None:
        return 64, 42, 1.0  # hashed before fingerprints existed: as far apart as they go
    return a.distance(b)
