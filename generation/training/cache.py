"""Each training example encoded once per run: VAE latent moments (both orientations when
flips are on) and, while the text encoders are frozen, the caption's embedding (SDXL: both
encoders' prompt embeddings and the pooled embedding).

Without it every step re-read, re-decoded and re-encoded its images. The moments (mean, std),
not a sampled latent, are kept, so each step still draws its own latent sample from the step's
generator exactly as before. Files live in a local directory on the worker, one per example,
under a manifest fingerprinting everything that shapes them; a resumed run on the same worker
reuses them, anything else that differs starts the directory afresh.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generation.training.config import TrainConfig, TrainExample
from generation.training.data import (
    Placement,
    Size,
    caption_with_trigger,
    fit_to_bucket,
    image_bucket,
    pixel_tensor,
    placement,
)
from generation.training.models import SDXL, TEXT_ENCODERS

MANIFEST = "manifest.json"
CACHE_FORMAT = 2  # 2: text rows are dicts (SDXL's pooled embedding), latents keep the placement


def _save_atomic(obj: Any, path: Path) -> None:
    import torch

    partial = path.with_suffix(".part")
    torch.save(obj, partial)
    partial.replace(path)


class ExampleEncoder:
    """Buckets (and each image's placement in its bucket), latent moments and text embeddings
    of a run's examples.

    `cache_dir=None` keeps nothing: every request encodes again (what the trainer did before
    the cache, and the baseline of bench/train_bench.py). `vae_encodes` counts images encoded.
    """

    def __init__(
        self,
        parts: dict[str, Any],
        examples: Sequence[TrainExample],
        config: TrainConfig,
        device: str,
        dtype: Any,
        cache_dir: Path | None,
        model_dir: Path,
    ):
        self.parts, self.examples, self.config = parts, examples, config
        self.device, self.dtype = device, dtype
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.captions = [caption_with_trigger(e.caption, config.trigger_word) for e in examples]
        # Caption dropout keeps only the trigger, so the trigger alone calls up the style.
        self.dropped_caption = config.trigger_word
        self.flip = config.recipe.random_flip
        self.cache_text = self.cache_dir is not None and not config.train_text_encoder
        self.vae_encodes = 0
        self.buckets: list[Size] = []
        self.placements: list[Placement] = []
        self.sdxl = parts["kind"] == SDXL
        self._model_dir = model_dir

    # -- preparation ------------------------------------------------------------------------

    def fingerprint(self) -> str:
        cfg = self.config
        keys = [e.key for e in self.examples]
        if any(k is None for k in keys):  # content unknown: never trust an earlier run's files
            keys.append(uuid.uuid4().hex)
        shaping = {
            "format": CACHE_FORMAT,
            "model": str(self._model_dir),
            "kind": self.parts["kind"],
            # Weights replaced in place at the same path must not reuse old latents.
            "weights": sorted(
                (str(f.relative_to(self._model_dir)), f.stat().st_size, f.stat().st_mtime_ns)
                for part in ("vae", *TEXT_ENCODERS)
                for f in (self._model_dir / part).glob("*")
                if f.is_file()
            ),
            "dtype": str(self.dtype),
            "resolution": cfg.resolution,
            "bucket_step": cfg.bucket_step,
            "bucketing": cfg.recipe.bucketing,
            "flip": self.flip,
            "background": list(cfg.background),
            "text": self.cache_text,
            "captions": self.captions,
            "dropped": self.dropped_caption,
            "keys": keys,
        }
        return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()

    def prepare(self) -> None:
        """One pass over the examples: bucket each, and fill the cache where there is one."""
        import torch

        if self.cache_dir is None:
            for example in self.examples:
                self._place(example.load())
            return
        self._open_cache()
        for index, example in enumerate(self.examples):
            path = self._path(index)
            if path.is_file():
                entry = torch.load(path, weights_only=True)
                self.buckets.append(tuple(entry["bucket"]))
                original, scaled, left, top = entry["placement"]
                self.placements.append(Placement(tuple(original), tuple(scaled), left, top))
                continue
            image = example.load()
            bucket, place = self._place(image)
            if self.cache_text:  # written first: the latents file marks the example done
                _save_atomic(self._text_row(self.captions[index]), self._text_path(index))
            mean, std = self._encode_image(image, bucket)
            row = [list(place.original), list(place.scaled), place.left, place.top]
            _save_atomic({"bucket": list(bucket), "placement": row, "mean": mean, "std": std}, path)
        dropped = self.cache_dir / "dropped.pt"
        if self.cache_text and not dropped.is_file():
            _save_atomic(self._text_row(self.dropped_caption), dropped)

    def _open_cache(self) -> None:
        manifest = self.cache_dir / MANIFEST
        fingerprint = self.fingerprint()
        if (
            manifest.is_file()
            and json.loads(manifest.read_text()).get("fingerprint") == fingerprint
        ):
            return
        if self.cache_dir.exists():  # made for other images, settings or weights
            shutil.rmtree(self.cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps({"fingerprint": fingerprint}))

    def _path(self, index: int) -> Path:
        return self.cache_dir / f"{index:06d}.pt"

    def _text_path(self, index: int) -> Path:
        return self.cache_dir / f"{index:06d}-text.pt"

    def _text_row(self, caption: str) -> dict[str, Any]:
        return {k: v[0].float().cpu() for k, v in self.encode_texts([caption]).items()}

    def _place(self, image) -> tuple[Size, Placement]:
        cfg = self.config
        bucket = image_bucket(image, cfg.resolution, cfg.bucket_step, cfg.recipe.bucketing)
        place = placement(image.size, bucket)
        self.buckets.append(bucket)
        self.placements.append(place)
        return bucket, place

    # -- encoding ---------------------------------------------------------------------------

    def _encode_image(self, image, bucket: Size) -> tuple[Any, Any]:
        """(mean, std) of the VAE posterior, shape [V, C, h, w] fp32 on the CPU; V = 2 (as is,
        mirrored) with flips on. One VAE call per image, whatever V is."""
        import torch
        from PIL import Image

        fitted = fit_to_bucket(image, bucket, self.config.background)
        views = [fitted]
        if self.flip:
            views.append(fitted.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
        vae = self.parts["vae"]  # fp32 for SDXL under fp16 (see models.load_components)
        pixels = torch.stack([pixel_tensor(v) for v in views]).to(self.device, vae.dtype)
        with torch.no_grad():
            dist = vae.encode(pixels).latent_dist
        self.vae_encodes += 1
        return dist.mean.float().cpu(), dist.std.float().cpu()

    def encode_texts(self, captions: list[str], *, grad: bool = False) -> dict[str, Any]:
        """{"hidden": text-encoder states, "pooled": SDXL only} on the training device."""
        if self.sdxl:
            from generation.training.sdxl import encode_prompts

            return encode_prompts(self.parts, captions, self.device, grad=grad)
        return {"hidden": self.encode_text(captions, grad=grad)}

    def encode_text(self, captions: list[str], *, grad: bool = False) -> Any:
        """SD 1.x text-encoder states on the training device."""
        import torch

        tokenizer = self.parts["tokenizer"]
        tokens = tokenizer(
            captions,
            padding="max_length",
            max_length=tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids.to(self.device)
        with torch.set_grad_enabled(grad):
            return self.parts["text_encoder"](tokens, return_dict=False)[0]

    # -- what a step asks for ---------------------------------------------------------------

    def moments(self, index: int, flipped: bool) -> tuple[Any, Any]:
        """Latent (mean, std) of example `index`, mirrored or not: [C, h, w] fp32."""
        view = 1 if flipped else 0
        if self.cache_dir is None:
            image = self.examples[index].load()
            mean, std = self._encode_image(image, self.buckets[index])
        else:
            import torch

            entry = torch.load(self._path(index), weights_only=True)
            mean, std = entry["mean"], entry["std"]
        return mean[view], std[view]

    def text(self, indices: list[int], dropped: list[bool]) -> dict[str, Any]:
        """{"hidden", "pooled" (SDXL)} for the batch on the training device, in the weights'
        dtype; with gradients when the text encoders train."""
        import torch

        captions = [
            self.dropped_caption if drop else self.captions[i]
            for i, drop in zip(indices, dropped, strict=True)
        ]
        if not self.cache_text:
            grad = self.config.train_text_encoder
            return {k: v.to(self.dtype) for k, v in self.encode_texts(captions, grad=grad).items()}
        rows = [
            torch.load(
                self.cache_dir / "dropped.pt" if drop else self._text_path(i), weights_only=True
            )
            for i, drop in zip(indices, dropped, strict=True)
        ]
        return {k: torch.stack([r[k] for r in rows]).to(self.device, self.dtype) for k in rows[0]}

    def hidden_states(self, indices: list[int], dropped: list[bool]) -> Any:
        """Text-encoder states for the batch (what the UNet cross-attends to)."""
        return self.text(indices, dropped)["hidden"]

    def unet_conditioning(
        self, indices: list[int], dropped: list[bool], flips: list[bool]
    ) -> dict[str, Any]:
        """Keyword arguments of the UNet call besides the noisy latents and timesteps: the
        text states, and for SDXL the pooled text and each sample's size/crop time ids."""
        text = self.text(indices, dropped)
        kwargs = {"encoder_hidden_states": text["hidden"]}
        if self.sdxl:
            from generation.training.sdxl import time_ids

            places = [self.placements[i] for i in indices]
            ids = time_ids(places, self.buckets[indices[0]], flips)
            kwargs["added_cond_kwargs"] = {
                "text_embeds": text["pooled"],
                "time_ids": ids.to(self.device, self.dtype),
            }
        return kwargs
