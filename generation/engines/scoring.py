"""open_clip similarity scores for picking the best candidate.

The same loader serves real weights and the tiny test model: an open_clip architecture name
plus a local checkpoint file. A custom architecture is described by `<arch>.json` placed
beside the checkpoint, which is registered with open_clip before the model is built.
torch/open_clip are imported lazily so the web process never loads them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.images import flatten_alpha
from generation.engines.base import EngineError, ModelNotConfigured
from generation.engines.loading import model_hash, pick_device, resolve_model_path

if TYPE_CHECKING:
    from PIL import Image

BATCH_SIZE = 32
_registered_configs: set[str] = set()
_register_lock = threading.Lock()


def register_arch_config(arch: str, checkpoint: Path) -> None:
    """Register `<arch>.json` next to `checkpoint` with open_clip, once per process."""
    import open_clip

    config = checkpoint.parent / f"{arch}.json"
    with _register_lock:
        if config.is_file() and str(config) not in _registered_configs:
            open_clip.add_model_config(config)
            _registered_configs.add(str(config))


def load_open_clip(arch: str, checkpoint: str | Path, device: str) -> tuple[Any, Any, Any]:
    """Build (model, preprocess, tokenizer) for `arch` with weights from a local checkpoint."""
    import open_clip

    checkpoint = Path(checkpoint)
    register_arch_config(arch, checkpoint)
    if arch not in open_clip.list_models():
        raise ModelNotConfigured(
            f"Unknown CLIP architecture {arch!r}: not built into open_clip and no {arch}.json "
            f"beside {checkpoint} (AVATARSAAS_CLIP_ARCH)."
        )
    # fp32 everywhere: scoring is a small share of a job's time, and fp32 keeps scores
    # comparable between CPU tests and GPU workers.
    model, _, preprocess = open_clip.create_model_and_transforms(
        arch, pretrained=str(checkpoint), device=device, precision="fp32"
    )
    return model.eval(), preprocess, open_clip.get_tokenizer(arch)


def best_of(scores: Sequence[float]) -> int:
    """Index of the highest score (the first one on ties)."""
    if not scores:
        raise ValueError("scores: at least one score is required.")
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def combined_scores(
    text_scores: Sequence[float],
    brand_scores: Sequence[float] | None,
    brand_weight: float,
) -> list[float]:
    """Blend prompt similarity with similarity to a preset's reference images.

    `brand_weight` in [0, 1] is the share given to the brand scores; with no brand scores the
    text scores are returned unchanged.
    """
    if not 0.0 <= brand_weight <= 1.0:
        raise ValueError("brand_weight: must be between 0 and 1.")
    if brand_scores is None or brand_weight == 0.0:
        return [float(s) for s in text_scores]
    if len(brand_scores) != len(text_scores):
        raise ValueError("brand_scores: need one score per candidate, like text_scores.")
    return [
        (1.0 - brand_weight) * float(t) + brand_weight * float(b)
        for t, b in zip(text_scores, brand_scores, strict=True)
    ]


class ClipScorer:
    """Cosine similarities from an open_clip model, loaded once per instance."""

    best_of = staticmethod(best_of)

    def __init__(self, arch: str | None, checkpoint: str | Path | None, device: str = "auto"):
        if not arch:
            raise ModelNotConfigured("No CLIP architecture configured: set AVATARSAAS_CLIP_ARCH.")
        self.arch = arch
        self.checkpoint = resolve_model_path(
            checkpoint, what="CLIP checkpoint", setting="AVATARSAAS_CLIP_CHECKPOINT"
        )
        self.device, _ = pick_device(device)
        self._loaded: tuple[Any, Any, Any] | None = None
        self._lock = threading.Lock()

    def load(self) -> tuple[Any, Any, Any]:
        with self._lock:
            if self._loaded is None:
                self._loaded = load_open_clip(self.arch, self.checkpoint, self.device)
            return self._loaded

    def _image_embeddings(self, images: Sequence[Image.Image]) -> Any:
        import torch
        import torch.nn.functional as F

        model, preprocess, _ = self.load()
        chunks = []
        with torch.inference_mode():
            for start in range(0, len(images), BATCH_SIZE):
                batch = images[start : start + BATCH_SIZE]
                # Transparent logos over white, not the black convert("RGB") leaves behind.
                pixels = torch.stack([preprocess(flatten_alpha(im)) for im in batch])
                chunks.append(model.encode_image(pixels.to(self.device)).float())
        return F.normalize(torch.cat(chunks), dim=-1)

    def _text_embedding(self, text: str) -> Any:
        import torch
        import torch.nn.functional as F

        model, _, tokenizer = self.load()
        with torch.inference_mode():
            tokens = tokenizer([text]).to(self.device)
            return F.normalize(model.encode_text(tokens).float(), dim=-1)[0]

    @staticmethod
    def _to_floats(values: Any) -> list[float]:
        scores = [float(v) for v in values.cpu().tolist()]
        if not all(math.isfinite(s) for s in scores):
            raise EngineError("CLIP produced a non-finite score.", code="scoring_failed")
        return scores

    def text_image_scores(self, text: str, images: Sequence[Image.Image]) -> list[float]:
        """Cosine similarity in [-1, 1] of each image to `text`, in image order."""
        if not images:
            return []
        return self._to_floats(self._image_embeddings(images) @ self._text_embedding(text))

    def image_image_scores(
        self, images: Sequence[Image.Image], reference_images: Sequence[Image.Image]
    ) -> list[float]:
        """Mean cosine similarity of each image to the reference images."""
        if not reference_images:
            raise ValueError("reference_images: at least one reference image is required.")
        if not images:
            return []
        refs = self._image_embeddings(reference_images)
        return self._to_floats((self._image_embeddings(images) @ refs.T).mean(dim=1))

    # Reference embeddings are computed once per reference set and model, then cached by the
    # worker (generation.quality.reference_cache); these two take and give plain numpy arrays.

    @property
    def model_hash(self) -> str:
        """sha256 of the checkpoint (cached per file signature by `loading.model_hash`)."""
        return model_hash(self.checkpoint)

    def image_embeddings(self, images: Sequence[Image.Image]) -> Any:
        """L2-normalised embeddings, one float32 numpy row per image."""
        if not images:
            raise ValueError("images: at least one image is required.")
        return self._image_embeddings(images).cpu().numpy().astype("float32")

    def scores_against(self, images: Sequence[Image.Image], embeddings: Any) -> list[float]:
        """Mean cosine similarity of each image to precomputed normalised embeddings."""
        import torch

        if len(embeddings) == 0:
            raise ValueError("embeddings: at least one reference embedding is required.")
        if not images:
            return []
        refs = torch.as_tensor(embeddings, dtype=torch.float32, device=self.device)
        return self._to_floats((self._image_embeddings(images) @ refs.T).mean(dim=1))

    def describe(self) -> dict[str, Any]:
        import open_clip

        return {
            "scorer": "open_clip",
            "arch": self.arch,
            "checkpoint": str(self.checkpoint),
            "model_hash": model_hash(self.checkpoint),
            "device": self.device,
            "open_clip": open_clip.__version__,
        }
