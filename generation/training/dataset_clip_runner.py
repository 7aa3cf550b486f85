"""The CLIP pass of a dataset's near-duplicate check, on a GPU worker.

Embeds the dataset's accepted images that have no embedding of the configured CLIP
checkpoint (a batch at a time, so memory holds one batch of images), stores the vectors and
lets `styles.services.clip_duplicates` pair them: one matrix product against every earlier
image. With no real CLIP weights it does nothing and says why: random-weight embeddings still
produce cosines, and they mean nothing.
"""

from __future__ import annotations

import io
import logging

from core import storage
from generation.engines import registry as engine_registry
from generation.engines.scoring import BATCH_SIZE
from styles.models import LoraDataset
from styles.services import clip_duplicates

logger = logging.getLogger(__name__)


def check_dataset(dataset_id) -> dict:
    """Embed the dataset's new images and record CLIP pairs; safe to run twice."""
    if not clip_duplicates.clip_enabled():
        return {"skipped": "no real CLIP weights configured"}
    if not LoraDataset.objects.filter(pk=dataset_id).exists():
        return {"skipped": "dataset deleted"}
    scorer = engine_registry.get_scorer()
    if scorer is None:
        return {"skipped": "no real CLIP weights configured"}
    model = scorer.model_hash
    embedded: list = []
    while batch := clip_duplicates.images_to_embed(dataset_id, model, limit=BATCH_SIZE):
        images = [_open(row.file.name) for row in batch]
        vectors = scorer.image_embeddings(images)
        clip_duplicates.record_embeddings(
            {row.pk: vector for row, vector in zip(batch, vectors, strict=True)}, model
        )
        embedded += [row.pk for row in batch]
    pairs = clip_duplicates.find_clip_duplicates(dataset_id, model, embedded)
    logger.info("CLIP check of dataset %s: %d embedded, %s", dataset_id, len(embedded), pairs)
    return {"embedded": len(embedded), **pairs}


def _open(name: str):
    from PIL import Image

    image = Image.open(io.BytesIO(storage.read_bytes(name)))
    image.load()
    return image
