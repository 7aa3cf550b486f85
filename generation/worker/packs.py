"""Candidates -> scores -> stored files -> image rows, and the winner's avatar pack."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core import storage
from generation.engines import registry as engine_registry
from generation.engines.base import Candidate
from generation.engines.scoring import best_of, combined_scores
from generation.models import GeneratedImage, GenerationJob, ImageFile
from generation.worker.postprocess import build_sidecar, make_avatar_pack

logger = logging.getLogger(__name__)

THUMBNAIL_SIZE = 256
PACK_SIZES = (1024, 512, 256, 128, 64)


@dataclass
class ScoredCandidate:
    candidate: Candidate
    clip_score: float | None = None
    brand_score: float | None = None
    final_score: float | None = None


@dataclass
class StoredCandidate:
    scored: ScoredCandidate
    original: str
    sidecar: str
    thumbnails: list[dict[str, Any]] = field(default_factory=list)
    latents: str = ""


def score_candidates(
    candidates: list[Candidate], *, text: str, reference_names=(), brand_weight: float = 0.5
) -> list[ScoredCandidate]:
    """CLIP text-image scores (and brand scores vs references) when CLIP is configured."""
    scorer = engine_registry.get_scorer()
    scored = [ScoredCandidate(c) for c in candidates]
    if scorer is None or not candidates:
        return scored
    images = [c.image for c in candidates]
    text_scores = scorer.text_image_scores(text, images)
    brand_scores = None
    refs = _reference_images(reference_names)
    if refs:
        brand_scores = scorer.image_image_scores(images, refs)

    finals = (
        combined_scores(text_scores, brand_scores, brand_weight) if brand_scores else text_scores
    )
    for i, item in enumerate(scored):
        item.clip_score = float(text_scores[i])
        item.brand_score = float(brand_scores[i]) if brand_scores else None
        item.final_score = float(finals[i])
    return scored


def _reference_images(names) -> list:
    """The preset's reference images that still exist: one removed while the job rendered
    (its file is deleted after the removal commits) is skipped, not a failed job."""
    from PIL import Image

    refs = []
    for name in names:
        try:
            refs.append(Image.open(io.BytesIO(storage.read_bytes(name))).convert("RGB"))
        except FileNotFoundError:
            logger.info("reference image %s was removed during the job; skipped", name)
    return refs


def _png_bytes(image) -> bytes:
    from PIL import Image

    clean = Image.frombytes(image.mode, image.size, image.tobytes())  # drops any metadata
    buf = io.BytesIO()
    clean.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def store_candidates(job: GenerationJob, scored: list[ScoredCandidate]) -> list[StoredCandidate]:
    stored = []
    for item in scored:
        cand = item.candidate
        metadata = {**cand.metadata, "job_id": str(job.pk), "index": cand.index, "seed": cand.seed}
        original = storage.save_bytes(job.tenant_id, "images", "png", _png_bytes(cand.image))
        sidecar = storage.save_bytes(job.tenant_id, "images", "json", build_sidecar(metadata))
        thumbs = []
        for f in make_avatar_pack(
            cand.image, sizes=(THUMBNAIL_SIZE,), circle=False, formats=("webp",)
        ):
            name = storage.save_bytes(job.tenant_id, "images", f.format, f.data)
            thumbs.append(
                {
                    "size": f.size,
                    "shape": f.shape,
                    "format": f.format,
                    "content_type": f.content_type,
                    "name": name,
                    "bytes": len(f.data),
                }
            )
        stored.append(StoredCandidate(item, original, sidecar, thumbs, _store_latents(job, cand)))
    return stored


def _store_latents(job: GenerationJob, cand: Candidate) -> str:
    """The latents a diffusion candidate was decoded from (.npy, exact dtype), for variations."""
    if cand.latents is None:
        return ""
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, cand.latents, allow_pickle=False)
    return storage.save_bytes(job.tenant_id, "latents", "npy", buf.getvalue())


def _best_index(stored: list[StoredCandidate]) -> int:
    scores = [s.scored.final_score for s in stored]
    if any(s is None for s in scores):
        return 0

    return best_of(scores)


def create_image_rows(job: GenerationJob, stored: list[StoredCandidate]) -> list[GeneratedImage]:
    best = _best_index(stored) if stored else -1
    if job.rerender_of_id:
        # A re-render selects the replayed image, not the best of its batch.
        target = job.rerender_of.metadata.get("batch_index", 0) if job.rerender_of else 0
        best = next((i for i, s in enumerate(stored) if s.scored.candidate.index == target), best)
    images = []
    for i, item in enumerate(stored):
        cand = item.scored.candidate
        image = GeneratedImage.objects.create(
            tenant_id=job.tenant_id,
            job=job,
            index=cand.index,
            seed=cand.seed,
            engine=job.engine,
            clip_score=item.scored.clip_score,
            brand_score=item.scored.brand_score,
            final_score=item.scored.final_score,
            selected=(i == best),
            adapter_version_id=job.adapter_version_id,
            metadata={**cand.metadata, "job_id": str(job.pk)},
            original=item.original,
            sidecar=item.sidecar,
            latents=item.latents,
        )
        for t in item.thumbnails:
            ImageFile.objects.create(
                tenant_id=job.tenant_id,
                image=image,
                size=t["size"],
                shape=t["shape"],
                format=t["format"],
                content_type=t["content_type"],
                file=t["name"],
                bytes=t["bytes"],
            )
        images.append(image)
    return images


def ensure_pack(image: GeneratedImage, *, circle: bool) -> list[ImageFile]:
    """All avatar sizes x formats (and the circle variant when asked) for one image; idempotent."""
    from PIL import Image

    existing = {(f.size, f.shape, f.format) for f in image.files.all()}
    source = Image.open(io.BytesIO(storage.read_bytes(image.original.name)))
    source.load()
    wanted = []
    for shape_circle in (False, True) if circle else (False,):
        wanted += make_avatar_pack(
            source, sizes=PACK_SIZES, circle=shape_circle, formats=("png", "webp")
        )
    created = []
    with transaction.atomic():
        for f in wanted:
            if (f.size, f.shape, f.format) in existing:
                continue
            name = storage.save_bytes(image.tenant_id, "images", f.format, f.data)
            created.append(
                ImageFile.objects.create(
                    tenant_id=image.tenant_id,
                    image=image,
                    size=f.size,
                    shape=f.shape,
                    format=f.format,
                    content_type=f.content_type,
                    file=name,
                    bytes=len(f.data),
                )
            )
            existing.add((f.size, f.shape, f.format))
    return created


def sidecar_json(image: GeneratedImage) -> dict[str, Any]:
    return json.loads(storage.read_bytes(image.sidecar.name)) if image.sidecar else image.metadata
