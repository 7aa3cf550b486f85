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
from generation.engines.scoring import best_of
from generation.models import GeneratedImage, GenerationJob, ImageFile
from generation.quality import reference_cache
from generation.quality.blend import blend
from generation.worker.postprocess import build_sidecar, make_avatar_pack

logger = logging.getLogger(__name__)

THUMBNAIL_SIZE = 256
PACK_SIZES = (1024, 512, 256, 128, 64)


@dataclass
class ScoredCandidate:
    candidate: Candidate
    clip_score: float | None = None  # raw cosine vs the meaning text
    brand_score: float | None = None  # raw mean cosine vs the preset's references
    final_score: float | None = None  # batch-normalised blend (generation.quality.blend)
    rank: int | None = None  # 1 = put first (set by generation.worker.ranking)
    quality: dict[str, Any] = field(default_factory=dict)


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
    """CLIP scores when CLIP is configured: each image vs `text` (pass the meaning text, see
    generation.quality.meaning) and vs the reference images (embeddings cached per reference
    set), each normalised within the batch, then blended with `brand_weight`."""
    scorer = engine_registry.get_scorer()
    scored = [ScoredCandidate(c) for c in candidates]
    if scorer is None or not candidates:
        return scored
    images = [c.image for c in candidates]
    text_scores = scorer.text_image_scores(text, images)
    brand_scores = _brand_scores(scorer, images, tuple(reference_names))
    finals, text_z, brand_z = blend(text_scores, brand_scores, brand_weight)
    for i, item in enumerate(scored):
        item.clip_score = float(text_scores[i])
        item.brand_score = float(brand_scores[i]) if brand_scores else None
        item.final_score = float(finals[i])
        item.quality = {
            "text_z": round(text_z[i], 6),
            "brand_z": round(brand_z[i], 6) if brand_z else None,
            "brand_weight": brand_weight if brand_scores else 0.0,
        }
    return scored


def _brand_scores(scorer, images, names: tuple[str, ...]) -> list[float] | None:
    if not names:
        return None
    embeddings = reference_cache.embeddings_for(
        model_hash=scorer.model_hash,
        names=names,
        compute=lambda: _embed_references(scorer, names),
    )
    if embeddings is None:
        return None
    return scorer.scores_against(images, embeddings)


def _embed_references(scorer, names):
    refs = _reference_images(names)
    return scorer.image_embeddings(refs) if refs else None


def _reference_images(names) -> list:
    """The preset's reference images that still exist: one removed while the job rendered
    (its file is deleted after the removal commits) is skipped, not a failed job."""
    from PIL import Image

    refs = []
    for name in names:
        try:
            refs.append(Image.open(io.BytesIO(storage.read_bytes(name))))  # scorer flattens
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
    """The candidate ranked first (rank 1), else the best final score, else the first."""
    ranked = [i for i, s in enumerate(stored) if s.scored.rank == 1]
    if ranked:
        return ranked[0]
    scores = [s.scored.final_score for s in stored]
    if any(s is None for s in scores):
        return 0
    return best_of(scores)


def create_image_rows(
    job: GenerationJob, stored: list[StoredCandidate], *, quality: dict[str, Any] | None = None
) -> list[GeneratedImage]:
    """The job's image rows (and thumbnails); `quality` (rejects, meaning text, ranker) is saved
    on the job in the same transaction."""
    if quality is not None:
        job.quality = quality
        job.rejected_candidates = min(len(quality.get("rejected", [])), 32767)
        job.save(update_fields=["quality", "rejected_candidates"])
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
            rank=item.scored.rank,
            quality=item.scored.quality,
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
