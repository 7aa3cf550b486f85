"""Stable Diffusion (1.x and XL) from a local diffusers directory, with hot-swapped LoRAs.

One engine instance owns one warm pipeline; a GPU worker process keeps one instance alive for
its whole life. torch/diffusers are imported lazily so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generation.engines.base import (
    AdapterRef,
    Candidate,
    EngineError,
    ModelNotConfigured,
    ProgressCallback,
    RenderRequest,
)
from generation.engines.diffusers_requests import SCHEDULERS, check_prompt, validate_request
from generation.engines.loading import model_hash, pick_device, resolve_model_path
from generation.engines.masks import composite
from generation.engines.pipelines import PipelineSet, control_types, task_kwargs, task_metadata
from generation.engines.prompt_encoding import prompt_kwargs

if TYPE_CHECKING:
    from PIL import Image

PIPELINE_CLASSES = {
    "StableDiffusionPipeline": "StableDiffusionPipeline",
    "StableDiffusionXLPipeline": "StableDiffusionXLPipeline",
    # Dedicated inpainting models (AVATARSAAS_INPAINT_MODEL), used for region edits only.
    "StableDiffusionInpaintPipeline": "StableDiffusionInpaintPipeline",
    "StableDiffusionXLInpaintPipeline": "StableDiffusionXLInpaintPipeline",
}


def library_versions() -> dict[str, str]:
    import diffusers
    import peft
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "peft": peft.__version__,
        "transformers": transformers.__version__,
    }


def _adapter_name(version_id: str) -> str:
    # peft keeps adapters in ModuleDicts, whose keys may not contain "."; keep readable ids as
    # they are and disambiguate rewritten ones with a short hash.
    safe = re.sub(r"[^0-9A-Za-z_-]", "_", version_id)
    if safe != version_id:
        safe = f"{safe}_{hashlib.sha256(version_id.encode()).hexdigest()[:8]}"
    return safe


class DiffusersEngine:
    """Stable Diffusion engine over a local `save_pretrained` directory.

    The pipeline loads on first use (or `load()`) and stays warm. All candidates of a request
    render in one batched call, one CPU `torch.Generator` per seed, so a candidate's pixels
    depend only on its seed and the other render settings (see `batch_seeds` in metadata).
    LoRA adapters are loaded once and kept in an LRU of `lora_cache_size`; `adapter_loads`
    counts disk loads.
    """

    name = "diffusers"

    def __init__(
        self,
        model_dir: str | Path | None,
        device: str = "auto",
        lora_cache_size: int = 8,
        safety_checker_dir: str | Path | None = None,
        controlnet_dirs: dict[str, str] | None = None,
        inpaint_model_dir: str | Path | None = None,
    ):
        self.model_dir = resolve_model_path(
            model_dir, what="Stable Diffusion model", setting="AVATARSAAS_SD_MODEL"
        )
        if not (self.model_dir / "model_index.json").is_file():
            raise ModelNotConfigured(
                f"{self.model_dir} is not a diffusers pipeline directory (no model_index.json)."
            )
        self.safety_checker_dir = (
            resolve_model_path(
                safety_checker_dir, what="safety checker", setting="AVATARSAAS_SAFETY_CHECKER"
            )
            if safety_checker_dir
            else None
        )
        self.device, self.dtype = pick_device(device)
        self.lora_cache_size = max(1, int(lora_cache_size))
        self.adapter_loads = 0
        self._adapters: OrderedDict[str, str] = OrderedDict()  # version_id -> adapter name
        self._lora_enabled = True
        self._pipe: Any = None
        self.controlnet_dirs = dict(controlnet_dirs or {})
        self._pipelines: PipelineSet | None = None
        self.inpaint_model_dir = (
            resolve_model_path(
                inpaint_model_dir, what="inpainting model", setting="AVATARSAAS_INPAINT_MODEL"
            )
            if inpaint_model_dir
            else None
        )
        self._inpainter: DiffusersEngine | None = None
        self._scheduler_config: Any = None
        self._safety: tuple[Any, Any] | None = None
        self._model_hash: str | None = None
        # One job at a time per pipeline: adapters and scheduler are pipeline-wide state.
        self._lock = threading.RLock()

    # -- loading -----------------------------------------------------------------------------

    @property
    def pipeline_class(self) -> str:
        index = json.loads((self.model_dir / "model_index.json").read_text(encoding="utf-8"))
        cls = index.get("_class_name", "")
        if cls not in PIPELINE_CLASSES:
            raise ModelNotConfigured(
                f"{self.model_dir} holds a {cls or 'unknown'} pipeline; "
                f"supported: {', '.join(PIPELINE_CLASSES)}."
            )
        return PIPELINE_CLASSES[cls]

    @property
    def model_hash(self) -> str:
        if self._model_hash is None:
            self._model_hash = model_hash(self.model_dir)
        return self._model_hash

    def load(self) -> Any:
        """Load the pipeline (once) and return it."""
        with self._lock:
            if self._pipe is None:
                self._pipe = self._load_pipeline()
                self._scheduler_config = self._pipe.scheduler.config
                self._pipelines = PipelineSet(
                    self._pipe,
                    device=self.device,
                    dtype=self.dtype,
                    controlnet_dirs=self.controlnet_dirs,
                )
                if self.safety_checker_dir:
                    self._safety = self._load_safety_checker()
            return self._pipe

    def _load_pipeline(self) -> Any:
        import diffusers

        cls = getattr(diffusers, self.pipeline_class)
        kwargs: dict[str, Any] = {"dtype": self.dtype, "local_files_only": True}
        if cls.__name__ in ("StableDiffusionPipeline", "StableDiffusionInpaintPipeline"):
            # The safety checker, when configured, runs in _flag_unsafe for both SD and SDXL.
            kwargs.update(safety_checker=None, feature_extractor=None)
            kwargs["requires_safety_checker"] = False
        try:
            pipe = cls.from_pretrained(str(self.model_dir), **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelNotConfigured(f"Could not load {self.model_dir}: {exc}") from exc
        pipe = pipe.to(self.device)
        # diffusers >= 0.20 already uses torch SDPA (AttnProcessor2_0) by default; no xformers.
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def _load_safety_checker(self) -> tuple[Any, Any]:
        from diffusers.pipelines.stable_diffusion.safety_checker import (
            StableDiffusionSafetyChecker,
        )
        from transformers import CLIPImageProcessor

        path = str(self.safety_checker_dir)
        checker = StableDiffusionSafetyChecker.from_pretrained(path, local_files_only=True)
        processor = CLIPImageProcessor.from_pretrained(path, local_files_only=True)
        return checker.to(self.device, self.dtype).eval(), processor

    # -- per-job state -----------------------------------------------------------------------

    def _make_scheduler(self, name: str) -> Any:
        import diffusers

        cls_name, extra = SCHEDULERS[name]
        # Always start from the model's original config: building from the *current* scheduler
        # would carry one sampler's options (e.g. karras sigmas) into the next.
        return getattr(diffusers, cls_name).from_config(self._scheduler_config, **extra)

    def _ensure_adapter(self, pipe: Any, adapter: AdapterRef) -> str:
        if adapter.version_id in self._adapters:
            self._adapters.move_to_end(adapter.version_id)
            return self._adapters[adapter.version_id]
        path = Path(adapter.path)
        if not path.exists():
            raise EngineError(
                f"adapter: weights for {adapter.version_id} not found at {path}.",
                code="adapter_missing",
            )
        while len(self._adapters) >= self.lora_cache_size:
            _, evicted = self._adapters.popitem(last=False)
            pipe.delete_adapters(evicted)
        name = _adapter_name(adapter.version_id)
        kwargs: dict[str, Any] = {"adapter_name": name}
        if path.is_file():
            kwargs["weight_name"] = path.name
            path = path.parent
        try:
            pipe.load_lora_weights(str(path), **kwargs)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            if name in pipe.get_list_adapters().get("unet", []):
                pipe.delete_adapters(name)
            raise EngineError(
                f"adapter: could not load {adapter.version_id}: {exc}", code="adapter_invalid"
            ) from exc
        self.adapter_loads += 1
        self._adapters[adapter.version_id] = name
        return name

    def _apply_adapter(self, pipe: Any, adapter: AdapterRef | None) -> None:
        if adapter is None:
            # Disabled peft layers run only the base layer, so the output is bit-identical to
            # a pipeline that never saw a LoRA (tested in test_lora_hot_swap).
            if self._adapters and self._lora_enabled:
                pipe.disable_lora()
                self._lora_enabled = False
            return
        name = self._ensure_adapter(pipe, adapter)
        if not self._lora_enabled:
            pipe.enable_lora()
            self._lora_enabled = True
        pipe.set_adapters([name], adapter_weights=[float(adapter.strength)])

    @property
    def pipelines(self) -> PipelineSet:
        """The base pipeline and the ControlNet/img2img/inpaint pipelines derived from it."""
        self.load()
        assert self._pipelines is not None
        return self._pipelines

    @property
    def inpainter(self) -> DiffusersEngine:
        """The engine of the dedicated inpainting model (its own warm pipeline and adapters)."""
        with self._lock:
            if self._inpainter is None:
                self._inpainter = DiffusersEngine(
                    self.inpaint_model_dir,
                    device=self.device,
                    lora_cache_size=self.lora_cache_size,
                    safety_checker_dir=self.safety_checker_dir,
                    controlnet_dirs=self.controlnet_dirs,
                )
            return self._inpainter

    @property
    def cached_adapters(self) -> list[str]:
        """Version ids of the adapters held in memory, least recently used first."""
        return list(self._adapters)

    # -- generation --------------------------------------------------------------------------

    def generate(
        self, request: RenderRequest, progress: ProgressCallback | None = None
    ) -> list[Candidate]:
        """Render one candidate per seed in a single batched pipeline call."""
        import torch

        validate_request(request)
        check_prompt(request.prompt)
        if request.mode == "inpaint" and self.inpaint_model_dir is not None:
            return self.inpainter.generate(request, progress)
        self.load()
        pipelines = self.pipelines
        final: dict[str, Any] = {}

        def on_step_end(task_pipe: Any, step: int, _t: Any, kwargs: dict) -> dict:
            final["latents"] = kwargs.get("latents")
            if progress is not None:
                # img2img runs only strength x steps of the schedule.
                progress(step + 1, getattr(task_pipe, "num_timesteps", None) or request.steps)
            return kwargs

        with self._lock:
            self._apply_adapter(pipelines.base, request.adapter)
            task_pipe = pipelines.pipeline(request.mode, control_types(request))
            task_pipe.scheduler = self._make_scheduler(request.scheduler)
            # CPU generators: the initial noise is the same on every device, and one generator
            # per seed makes each candidate's noise independent of its batch neighbours.
            generators = [torch.Generator("cpu").manual_seed(s) for s in request.seeds]
            # Over 77 tokens the text is encoded in chunks rather than truncated.
            text = prompt_kwargs(task_pipe, request.prompt, request.negative_prompt)
            with torch.inference_mode():
                out = task_pipe(
                    **text,
                    num_images_per_prompt=request.n,
                    num_inference_steps=request.steps,
                    guidance_scale=request.guidance_scale,
                    generator=generators,
                    callback_on_step_end=on_step_end,
                    **task_kwargs(request),
                )
            images: list[Image.Image] = list(out.images)
            if request.mode == "inpaint":
                # Outside the feathered mask every pixel is the parent's own.
                images = [composite(im, request.init_image, request.mask_image) for im in images]
            flagged = self._flag_unsafe(images)
        return self._candidates(request, images, flagged, final.get("latents"))

    def _flag_unsafe(self, images: list[Image.Image]) -> list[bool]:
        if self._safety is None:
            return [False] * len(images)
        import numpy as np
        import torch

        checker, processor = self._safety
        pixels = processor(images, return_tensors="pt").pixel_values.to(self.device, self.dtype)
        arrays = np.stack([np.asarray(im, dtype=np.float32) / 255.0 for im in images])
        with torch.inference_mode():
            _, has_nsfw = checker(clip_input=pixels, images=arrays)
        return [bool(f) for f in has_nsfw]

    def _candidates(
        self,
        request: RenderRequest,
        images: list[Image.Image],
        flagged: list[bool],
        latents: Any = None,
    ) -> list[Candidate]:
        base = self._render_metadata(request)
        keep = latents is not None and request.mode != "inpaint"
        candidates = [
            Candidate(
                index=i,
                seed=seed,
                image=image,
                metadata={**base, "seed": seed, "batch_index": i},
                latents=latents[i : i + 1].detach().cpu().numpy() if keep else None,
            )
            for i, (seed, image, bad) in enumerate(zip(request.seeds, images, flagged, strict=True))
            if not bad
        ]
        if not candidates:
            raise EngineError(
                f"All {request.n} candidates were flagged by the safety checker.",
                code="output_blocked",
            )
        return candidates

    def _render_metadata(self, request: RenderRequest) -> dict[str, Any]:
        adapter = request.adapter
        return {
            "engine": self.name,
            "model_hash": self.model_hash,
            "pipeline": self.pipeline_class,
            "scheduler": request.scheduler,
            "steps": request.steps,
            "guidance_scale": request.guidance_scale,
            "width": request.width,
            "height": request.height,
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "adapter": (
                {"version_id": adapter.version_id, "strength": adapter.strength}
                if adapter
                else None
            ),
            **task_metadata(request, self.pipelines),
            # Conv/attention kernels round differently per batch size (even on CPU a candidate
            # can differ from a solo render of its seed by 1/255 in a few pixels), so an exact
            # re-render replays the whole batch: see diffusers_requests.request_from_metadata.
            "batch_seeds": list(request.seeds),
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "safety_checked": self._safety is not None,
            "versions": library_versions(),
        }

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "model_hash": self.model_hash,
            "model_dir": str(self.model_dir),
            "pipeline": self.pipeline_class,
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "safety_checker": str(self.safety_checker_dir) if self.safety_checker_dir else None,
            "versions": library_versions(),
        }
