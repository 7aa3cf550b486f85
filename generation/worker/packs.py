"""Candidates -> scores -> stored files -> image rows, and the winner's avatar pack."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
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
from generation.worker.postprocess import AvatarFile, build_sidecar, make_avatar_pack

logger = logging.getLogger(__name__)

THUMBNAIL_SIZE = 256
PACK_SIZES = (1024, 512, 256, 128, 64)

# The worker's outputs are content-addressed: a re-render of the same pixels stores nothing new,
# and a file's name is its cache validator (generation.file_responses).
_save = storage.save_content_addressed


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


def store_candidates(
    job: GenerationJob,
    scored: list[ScoredCandidate],
    *,
    after_each: Callable[[], None] | None = None,
) -> list[StoredCandidate]:
    """Encode and store each candidate's original, sidecar, thumbnail and latents. No database
    access (the packing stage runs this off the render loop); `after_each` (the lease renewal)
    runs once a candidate is stored."""
    stored = []
    for item in scored:
        cand = item.candidate
        metadata = {**cand.metadata, "job_id": str(job.pk), "index": cand.index, "seed": cand.seed}
        original = _save(job.tenant_id, "images", "png", _png_bytes(cand.image))
        sidecar = _save(job.tenant_id, "images", "json", build_sidecar(metadata))
        thumbs = store_files(
            job.tenant_id,
            make_avatar_pack(cand.image, sizes=(THUMBNAIL_SIZE,), circle=False, formats=("webp",)),
        )
        stored.append(StoredCandidate(item, original, sidecar, thumbs, _store_latents(job, cand)))
        if after_each is not None:
            after_each()
    return stored


def store_files(tenant_id, files: list[AvatarFile], *, skip=frozenset()) -> list[dict[str, Any]]:
    """Store encoded avatar files (those whose (size, shape, format) is not in `skip`); the
    returned dicts are what `create_file_rows` turns into ImageFile rows."""
    out = []
    for f in files:
        if (f.size, f.shape, f.format) in skip:
            continue
        out.append(
            {
                "size": f.size,
                "shape": f.shape,
                "format": f.format,
                "content_type": f.content_type,
                "name": _save(tenant_id, "images", f.format, f.data),
                "bytes": len(f.data),
            }
        )
    return out


def encode_pack(image, *, circle: bool) -> list[AvatarFile]:
    """All avatar sizes x formats (and the circle variant when asked) of one image. The pixels
    are taken as the stored original holds them (no info dict), so a pack encoded from the
    in-memory candidate and one re-encoded from storage are byte-identical."""
    from PIL import Image

    source = Image.frombytes(image.mode, image.size, image.tobytes())
    files = []
    for shape_circle in (False, True) if circle else (False,):
        files += make_avatar_pack(
            source, sizes=PACK_SIZES, circle=shape_circle, formats=("png", "webp")
        )
    return files


def file_key(f) -> tuple[int, str, str]:
    if isinstance(f, dict):
        return (f["size"], f["shape"], f["format"])
    return (f.size, f.shape, f.format)


def _store_latents(job: GenerationJob, cand: Candidate) -> str:
    """The latents a diffusion candidate was decoded from (.npy, exact dtype), for variations."""
    if cand.latents is None:
        return ""
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, cand.latents, allow_pickle=False)
    return _save(job.tenant_id, "latents", "npy", buf.getvalue())


def best_position(stored: list[StoredCandidate], rerender_index: int | None = None) -> int:
    """Which stored candidate becomes the selected image: for a re-render the replayed one
    (`rerender_index` is its batch index), else the one ranked first (rank 1), else the best
    final score, else the first; -1 for an empty batch."""
    if not stored:
        return -1
    if rerender_index is not None:
        for i, s in enumerate(stored):
            if s.scored.candidate.index == rerender_index:
                return i
    ranked = [i for i, s in enumerate(stored) if s.scored.rank == 1]
    if ranked:
        return ranked[0]
    scores = [s.scored.final_score for s in stored]
    if any(s is None for s in scores):
        return 0
    return best_of(scores)


def rerender_index(job: GenerationJob) -> int | None:
    """The batch index a re-render replays (reads the parent image: call on the render loop)."""
    if not job.rerender_of_id:
        return None
    return job.rerender_of.metadata.get("batch_index", 0) if job.rerender_of else 0


def create_image_rows(
    job: GenerationJob,
    stored: list[StoredCandidate],
    *,
    quality: dict[str, Any] | None = None,
    best: int | None = None,
) -> list[GeneratedImage]:
    """The job's image rows (and thumbnails); `quality` (rejects, meaning text, ranker) is saved
    on the job in the same transaction. `best` is the selected position (`best_position`)."""
    if quality is not None:
        job.quality = quality
        job.rejected_candidates = min(len(quality.get("rejected", [])), 32767)
        job.save(update_fields=["quality", "rejected_candidates"])
    if best is None:
        best = best_position(stored, rerender_index(job))
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
        create_file_rows(image, item.thumbnails)
        images.append(image)
    return images


def create_file_rows(image: GeneratedImage, files: list[dict[str, Any]]) -> list[ImageFile]:
    return [
        ImageFile.objects.create(
            tenant_id=image.tenant_id,
            image=image,
            size=f["size"],
            shape=f["shape"],
            format=f["format"],
            content_type=f["content_type"],
            file=f["name"],
            bytes=f["bytes"],
        )
        for f in files
    ]


def ensure_pack(image: GeneratedImage, *, circle: bool) -> list[ImageFile]:
    """All avatar sizes x formats (and the circle variant when asked) for one stored image,
    re-encoded from its original; idempotent. (The worker encodes the winner's pack off the
    render loop instead, see generation.worker.packing.)"""
    from PIL import Image

    existing = {(f.size, f.shape, f.format) for f in image.files.all()}
    source = Image.open(io.BytesIO(storage.read_bytes(image.original.name)))
    source.load()
    wanted = [f for f in encode_pack(source, circle=circle) if file_key(f) not in existing]
    with transaction.atomic():
        return create_file_rows(image, store_files(image.tenant_id, wanted))


def sidecar_json(image: GeneratedImage) -> dict[str, Any]:
    return json.loads(storage.read_bytes(image.sidecar.name)) if image.sidecar else image.metadata
